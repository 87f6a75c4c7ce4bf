//! CSV dialects: text encoding and separator.

use anyhow::{bail, Result};

/// Bytes to UTF-8 text. "utf-8" (a BOM is skipped), "windows-1252" / "latin-1", or
/// "auto" (default): UTF-8 when valid, else Windows-1252 (a superset of Latin-1's
/// printable characters), which is what spreadsheet exports on Windows write.
pub fn decode(bytes: Vec<u8>, encoding: Option<&str>) -> Result<(String, Option<String>)> {
    let enc = encoding.unwrap_or("auto").to_ascii_lowercase();
    let strip_bom = |b: &[u8]| if b.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
    match enc.as_str() {
        "utf-8" | "utf8" => {
            let skip = strip_bom(&bytes);
            match String::from_utf8(bytes[skip..].to_vec()) {
                Ok(s) => Ok((s, None)),
                Err(e) => {
                    let at = e.utf8_error().valid_up_to() + skip;
                    let line = bytes[..at].iter().filter(|b| **b == b'\n').count() + 1;
                    bail!("not valid UTF-8 at byte {at} (line {line}): set [csv] encoding = \"windows-1252\" in the profile if the export is Latin-1 / Windows-1252")
                }
            }
        }
        "windows-1252" | "cp1252" | "latin-1" | "latin1" | "iso-8859-1" => {
            let (text, _, _) = encoding_rs::WINDOWS_1252.decode(&bytes);
            Ok((text.into_owned(), None))
        }
        "auto" => {
            let skip = strip_bom(&bytes);
            match std::str::from_utf8(&bytes[skip..]) {
                Ok(_) => {
                    let mut b = bytes;
                    b.drain(..skip);
                    Ok((String::from_utf8(b).expect("checked"), None))
                }
                Err(_) => {
                    let (text, _, _) = encoding_rs::WINDOWS_1252.decode(&bytes);
                    Ok((text.into_owned(), Some("not UTF-8: decoded as Windows-1252".into())))
                }
            }
        }
        other => bail!("encoding `{other}`: expected utf-8, windows-1252, latin-1 or auto"),
    }
}

/// The most frequent of `,` `;` tab `|` outside quotes on the header line (`,` on a tie
/// or none).
pub fn sniff_separator(text: &str) -> u8 {
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0), (b'|', 0)];
    let mut quoted = false;
    for b in text.bytes() {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => break,
            _ if !quoted => {
                for c in counts.iter_mut() {
                    if c.0 == b {
                        c.1 += 1;
                    }
                }
            }
            _ => {}
        }
    }
    counts.iter().fold((b',', 0), |best, c| if c.1 > best.1 { *c } else { best }).0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_the_header_separator_outside_quotes() {
        assert_eq!(sniff_separator("a;b;\"c,d,e\"\n1;2;3"), b';');
        assert_eq!(sniff_separator("a\tb\tc\n"), b'\t');
        assert_eq!(sniff_separator("a,b\n1;2;3;4"), b',');
        assert_eq!(sniff_separator("single\n"), b',');
    }

    #[test]
    fn decodes_bom_and_windows_1252() {
        let (s, n) = decode(b"\xEF\xBB\xBFid\n".to_vec(), None).unwrap();
        assert_eq!((s.as_str(), n), ("id\n", None));
        let (s, n) = decode(b"R\xE9seau\n".to_vec(), None).unwrap();
        assert_eq!(s, "Réseau\n");
        assert!(n.unwrap().contains("Windows-1252"));
        let e = decode(b"R\xE9seau\n".to_vec(), Some("utf-8")).unwrap_err().to_string();
        assert!(e.contains("not valid UTF-8 at byte 1 (line 1)"), "{e}");
    }
}

//! Personal data out of the outputs. Reasons, agent and team names are typed by people
//! and sometimes hold a customer's e-mail address or phone number ("Refund for
//! jane@example.com"); reports are mailed to many readers. E-mail addresses and phone
//! numbers in displayed text become `[e-mail]` and `[phone]` as the data is loaded, so
//! every output (tables, charts, HTML, Markdown, XLSX) shows the redacted text and the
//! drivers group on it. Customer identifiers are never displayed.

use std::borrow::Cow;

/// A phone number has at least this many digits (dates such as 2026-07-01 have 8).
const PHONE_DIGITS: usize = 9;

/// E.164 numbers have at most 15 digits; a longer run is some other number.
const MAX_PHONE_DIGITS: usize = 15;

/// 2026-07-01…, 2026/07/01…, 01/07/2026…, 01.07.2026…: a date, not a phone number.
fn date_like(span: &[u8]) -> bool {
    let groups: Vec<usize> =
        span.split(|c| !c.is_ascii_digit()).filter(|g| !g.is_empty()).map(<[u8]>::len).take(3).collect();
    let seps = span.iter().filter(|c| b"-/.".contains(c)).count();
    seps >= 2 && matches!(groups.as_slice(), [4, 1 | 2, 1 | 2] | [1 | 2, 1 | 2, 4])
}

/// `s` with e-mail addresses and phone numbers replaced; borrowed when there are none.
pub fn redact(s: &str) -> Cow<'_, str> {
    let b = s.as_bytes();
    let digits = b.iter().filter(|c| c.is_ascii_digit()).count();
    if !b.contains(&b'@') && digits < PHONE_DIGITS {
        return Cow::Borrowed(s);
    }
    let spans = spans(b);
    if spans.is_empty() {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut at = 0;
    for (start, end, what) in spans {
        out.push_str(&s[at..start]);
        out.push_str(what);
        at = end;
    }
    out.push_str(&s[at..]);
    Cow::Owned(out)
}

/// Whether `s` holds an e-mail address or a phone number.
pub fn has_personal_data(s: &str) -> bool {
    matches!(redact(s), Cow::Owned(_))
}

/// Byte spans (start, end, replacement), in order, not overlapping. Every byte that
/// delimits a span is ASCII, so the spans fall on character boundaries.
fn spans(b: &[u8]) -> Vec<(usize, usize, &'static str)> {
    let local = |c: u8| c.is_ascii_alphanumeric() || b"._%+-'".contains(&c);
    let domain = |c: u8| c.is_ascii_alphanumeric() || c == b'.' || c == b'-';
    let mut out: Vec<(usize, usize, &'static str)> = Vec::new();
    // E-mail addresses: local@domain.tld
    for (i, _) in b.iter().enumerate().filter(|(_, c)| **c == b'@') {
        let mut start = i;
        while start > 0 && local(b[start - 1]) {
            start -= 1;
        }
        let mut end = i + 1;
        while end < b.len() && domain(b[end]) {
            end += 1;
        }
        while end > i + 1 && matches!(b[end - 1], b'.' | b'-') {
            end -= 1;
        }
        let host = &b[i + 1..end];
        let dotted = host.iter().rposition(|c| *c == b'.').is_some_and(|d| d > 0 && d + 1 < host.len());
        if start < i && dotted && out.last().is_none_or(|l| l.1 <= start) {
            out.push((start, end, "[e-mail]"));
        }
    }
    // Phone numbers: an optional +, then digits with single separators ( ) . - / space.
    let mut phones = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let starts = b[i].is_ascii_digit() || (b[i] == b'+' && b.get(i + 1).is_some_and(u8::is_ascii_digit));
        let boundary = i == 0 || !b[i - 1].is_ascii_alphanumeric();
        if !(starts && boundary) && b[i] != b'(' {
            i += 1;
            continue;
        }
        let start = i;
        let (mut j, mut last_digit, mut n, mut gap) = (i, None, 0usize, 0usize);
        while j < b.len() {
            let c = b[j];
            if c.is_ascii_digit() {
                n += 1;
                gap = 0;
                last_digit = Some(j);
            } else if (b" ().-/".contains(&c) || (c == b'+' && j == start)) && gap < 2 {
                gap += 1;
            } else {
                break;
            }
            j += 1;
        }
        match last_digit {
            Some(end)
                if (PHONE_DIGITS..=MAX_PHONE_DIGITS).contains(&n)
                    && !b.get(end + 1).is_some_and(u8::is_ascii_alphabetic)
                    && !date_like(&b[start..=end]) =>
            {
                phones.push((start, end + 1, "[phone]"));
                i = end + 1;
            }
            _ => i = j.max(i + 1),
        }
    }
    for p in phones {
        if !out.iter().any(|e| p.0 < e.1 && e.0 < p.1) {
            out.push(p);
        }
    }
    out.sort_by_key(|s| s.0);
    out
}

/// Customer ids shorter than this are not searched for in text (a "42" would blank out
/// every 42); they are still never displayed as ids.
const MIN_ID_LEN: usize = 4;

/// The words of `s` that could be an id (letters, digits and `-_./#` inside), with
/// their byte offsets; a trailing `.` or `/` is not part of the word.
pub fn words(s: &str) -> impl Iterator<Item = (usize, &str)> {
    let word = |c: char| c.is_alphanumeric() || "-_./#".contains(c);
    let mut rest = s.char_indices().peekable();
    std::iter::from_fn(move || {
        while rest.peek().is_some_and(|(_, c)| !word(*c)) {
            rest.next();
        }
        let (start, _) = *rest.peek()?;
        let mut end = start;
        while let Some((i, c)) = rest.peek().copied().filter(|(_, c)| word(*c)) {
            end = i + c.len_utf8();
            rest.next();
        }
        Some((start, s[start..end].trim_end_matches(['.', '/'])))
    })
    .filter(|(_, w)| w.chars().count() >= MIN_ID_LEN)
}

/// Redaction with the customers' own ids: e-mail addresses and phone numbers, then any
/// word that is a known customer id.
pub struct Redactor {
    ids: rustc_hash::FxHashSet<String>,
}

impl Redactor {
    pub fn new(ids: impl IntoIterator<Item = String>) -> Self {
        Redactor { ids: ids.into_iter().filter(|i| i.chars().count() >= MIN_ID_LEN).collect() }
    }

    pub fn clean<'a>(&self, s: &'a str) -> Cow<'a, str> {
        let first = redact(s);
        if self.ids.is_empty() {
            return first;
        }
        let text = first.as_ref();
        let mut out = String::new();
        let mut at = 0;
        for (start, token) in words(text) {
            if self.ids.contains(token) {
                out.push_str(&text[at..start]);
                out.push_str("[customer]");
                at = start + token.len();
            }
        }
        if at == 0 && out.is_empty() {
            return first;
        }
        out.push_str(&text[at..]);
        Cow::Owned(out)
    }

    /// A value shown in a data-quality finding: cleaned, and masked whole for columns
    /// that identify customers.
    pub fn finding(&self, column: &str, value: &str) -> String {
        if column.contains("customer") {
            return if value.is_empty() { String::new() } else { "[customer]".into() };
        }
        self.clean(value).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e_mail_addresses_and_phone_numbers_are_replaced() {
        assert_eq!(redact("Refund for jane.doe+x@mail.example.com please"), "Refund for [e-mail] please");
        assert_eq!(redact("call +44 20 7946 0958 or (555) 123-4567."), "call [phone] or [phone].");
        assert_eq!(redact("Tel: 06.12.34.56.78"), "Tel: [phone]");
        assert_eq!(redact("a@b.c and 0612345678"), "[e-mail] and [phone]");
        assert_eq!(redact("06.12.34.56.78 on 2026-07-01 09:00"), "[phone] on 2026-07-01 09:00");
    }

    #[test]
    fn ordinary_text_is_left_alone() {
        for s in [
            "Billing",
            "Outage 2026-07-01",
            "Order 1234567",
            "@mallory",
            "x@localhost",
            "Réseau — 3 × 4",
            "v2.10.3",
            "2026-07-01 09:00:00",
            "01/07/2026 09:30",
            "123456789012345670000000",
        ] {
            assert!(matches!(redact(s), Cow::Borrowed(_)), "{s}");
        }
    }

    #[test]
    fn customer_ids_are_masked_in_text_and_findings() {
        let r = Redactor::new(["CUS-125248".to_string(), "42".to_string()]);
        assert_eq!(r.finding("customer_id", "anything"), "[customer]");
        assert_eq!(r.finding("reason", "mail bob@ex.com"), "mail [e-mail]");
        assert_eq!(r.clean("Help CUS-125248, then 42"), "Help [customer], then 42");
        assert_eq!(r.clean("x@y.org CUS-125248."), "[e-mail] [customer].");
        assert!(matches!(r.clean("CUS-1252489"), Cow::Borrowed(_)));
    }
}

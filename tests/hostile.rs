//! Hostile and personal text: a fixture full of customer ids, e-mail addresses, phone
//! numbers, formulas and markup in every text field. No output of the report — HTML,
//! Markdown, SVG charts, CSV tables, XLSX, metrics.json, the manifest, report.eml —
//! holds a customer's identifier, address or number, and formulas are neutralised.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

const CUSTOMER_IDS: [&str; 3] = ["CUST-770912", "CUST-118845", "CUST-903311"];
const EMAILS: [&str; 3] = ["jane.doe@example.org", "bob+refund@mail.example.com", "c.dupont@exemple.fr"];
const PHONES: [&str; 3] = ["+44 20 7946 0958", "(555) 123-4567", "06.12.34.56.78"];

fn fixture(dir: &Path) -> PathBuf {
    let mut t = String::from(
        "ticket_id,created_at,first_response_at,solved_at,status,channel,priority,reason,agent,team,customer_id,requester_email,subject,csat_score\n",
    );
    let reasons = [
        format!("Refund for {}", EMAILS[0]),
        format!("Call back on {}", PHONES[0]),
        "=HYPERLINK(\"\"http://e.vil\"\",\"\"x\"\")".to_string(),
        "<script>alert(1)</script> ![x](http://e.vil/p.png)".to_string(),
    ];
    let agents = [format!("Ann ({})", PHONES[1]), format!("Bob {}", EMAILS[1]), "@mallory".into(), "Cy".into()];
    for i in 0..40 {
        let day = 1 + i % 28;
        let c = CUSTOMER_IDS[i % 3];
        t += &format!(
            "T{i},2026-09-{day:02} 09:00,2026-09-{day:02} 10:00,2026-09-{day:02} 15:00,solved,email,normal,\"{}\",\"{}\",\"Team {}\",{c},{},\"Help {c} {}\",{}\n",
            reasons[i % 4],
            agents[i % 4],
            if i % 2 == 0 { EMAILS[2] } else { "ops" },
            EMAILS[i % 3],
            PHONES[i % 3],
            1 + i % 5
        );
    }
    // A row with a missing field: its text must not reach the data-quality table.
    t += &format!("T99,2026-09-05 09:00,{} {}\n", EMAILS[2], CUSTOMER_IDS[2]);
    std::fs::write(dir.join("tickets.csv"), t).unwrap();
    let mut s = String::from("survey_id,responded_at,kind,score,ticket_id,comment\n");
    for i in 0..20 {
        s += &format!(
            "S{i},2026-09-{:02} 16:00,csat,{},T{i},\"Reach me at {}\"\n",
            1 + i % 28,
            1 + i % 5,
            EMAILS[i % 3]
        );
    }
    std::fs::write(dir.join("surveys.csv"), s).unwrap();
    let cfg = dir.join("report.toml");
    std::fs::write(
        &cfg,
        "[report]\ntimezone = \"Europe/Paris\"\n[inputs.tickets]\npath = \"tickets.csv\"\n[inputs.surveys]\npath = \"surveys.csv\"\n\
         [email]\nfrom = \"reports@example.com\"\nto = [\"director@example.com\"]\n",
    )
    .unwrap();
    cfg
}

/// Every output as text: files as they are, the XLSX's XML parts, the e-mail's
/// decoded parts (and the XLSX attached to it).
fn texts(dir: &Path) -> Vec<(String, String)> {
    fn unzip(name: &str, bytes: &[u8], out: &mut Vec<(String, String)>) {
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        for i in 0..z.len() {
            let mut f = z.by_index(i).unwrap();
            let mut s = String::new();
            f.read_to_string(&mut s).unwrap();
            let part = f.name().map(|n| n.to_string()).unwrap_or_default();
            out.push((format!("{name}:{part}"), s));
        }
    }
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            let p = e.path();
            let name = p.display().to_string();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let bytes = std::fs::read(&p).unwrap();
            match p.extension().and_then(|e| e.to_str()) {
                Some("png") => {}
                Some("xlsx") => unzip(&name, &bytes, &mut out),
                Some("eml") => {
                    let msg = mail_parser::MessageParser::default().parse(&bytes).unwrap();
                    for (i, part) in msg.parts.iter().enumerate() {
                        let body = part.contents();
                        if body.starts_with(b"PK") {
                            unzip(&format!("{name} part {i}"), body, &mut out);
                        } else if !body.starts_with(b"\x89PNG") {
                            out.push((format!("{name} part {i}"), String::from_utf8_lossy(body).into_owned()));
                        }
                    }
                    out.push((name, String::from_utf8_lossy(&bytes).into_owned()));
                }
                _ => out.push((name, String::from_utf8_lossy(&bytes).into_owned())),
            }
        }
    }
    out
}

#[test]
fn no_output_holds_personal_data_and_formulas_are_neutralised() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = fixture(tmp.path());
    let out = tmp.path().join("report");
    let run = Command::new(env!("CARGO_BIN_EXE_csreport"))
        .args(["report", "-c", cfg.to_str().unwrap(), "--period", "2026-09", "--as-of", "2026-10-05", "-q"])
        .args(["--email", "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let all = texts(&out);
    assert!(all.len() > 20, "{} outputs", all.len());
    let mut leaks = Vec::new();
    for (name, text) in &all {
        for needle in CUSTOMER_IDS.iter().chain(&EMAILS).chain(&PHONES) {
            if text.contains(needle) {
                leaks.push(format!("{needle} in {name}"));
            }
        }
        // The sender and recipient addresses are the only ones allowed (in the e-mail).
        if !name.ends_with(".eml") && !name.contains("manifest") {
            for w in text.split(|c: char| c.is_whitespace() || "\"'<>(),;".contains(c)) {
                if w.contains('@') && w.contains(".example") && !w.contains("director@") && !w.contains("reports@") {
                    leaks.push(format!("{w} in {name}"));
                }
            }
        }
    }
    assert!(leaks.is_empty(), "{leaks:#?}");
    // The redacted text is what the drivers show.
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("Refund for \\[e-mail\\]") && md.contains("Call back on \\[phone\\]"), "{md}");
    // Markup is inert: escaped in HTML, neutralised in Markdown.
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(!html.contains("<script>alert") && html.contains("&lt;script&gt;"), "script in HTML");
    assert!(!md.contains("![x](http"), "an image in Markdown");
    // Formulas start with an apostrophe in the CSV tables and the XLSX cells.
    let drivers = std::fs::read_to_string(out.join("tables/drivers.csv")).unwrap();
    assert!(drivers.contains("\"'=HYPERLINK("), "{drivers}");
    let xlsx: Vec<&(String, String)> = all.iter().filter(|(n, _)| n.contains("report.xlsx:")).collect();
    let strings = &xlsx.iter().find(|(n, _)| n.ends_with("sharedStrings.xml")).expect("shared strings").1;
    assert!(strings.contains("&apos;=HYPERLINK") || strings.contains("'=HYPERLINK"), "{strings}");
    assert!(!strings.contains(">=HYPERLINK"), "a formula-like cell in the XLSX");
    assert!(xlsx.iter().all(|(_, x)| !x.contains("<f>")), "a formula cell in the XLSX");
}

//! E-mail delivery end to end: the real binary sends the sample report to a small SMTP
//! listener on loopback (this test's own, no external server), and what arrives is
//! parsed: recipients, subject, every cid: image resolvable, attachments present.

use mail_parser::MimeHeaders;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

fn root() -> PathBuf {
    PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("run by cargo test"))
}

/// What one SMTP session delivered: the RCPT TO addresses and the DATA.
type Received = (Vec<String>, Vec<u8>);

/// Accepts one SMTP session on a free loopback port.
/// One SMTP session on a free local port, run by `session` on (reader, writer).
fn serve<T: Send + 'static>(
    session: impl FnOnce(BufReader<std::net::TcpStream>, std::net::TcpStream) -> T + Send + 'static,
) -> (u16, std::thread::JoinHandle<T>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let out = stream.try_clone().unwrap();
        session(BufReader::new(stream), out)
    });
    (port, handle)
}

fn smtp_sink() -> (u16, std::thread::JoinHandle<Received>) {
    serve(|mut r, mut out| {
        let mut rcpts = Vec::new();
        let mut data = Vec::new();
        out.write_all(b"220 sink ESMTP\r\n").unwrap();
        let mut line = String::new();
        loop {
            line.clear();
            if r.read_line(&mut line).unwrap() == 0 {
                break;
            }
            let cmd = line.to_ascii_uppercase();
            if cmd.starts_with("EHLO") || cmd.starts_with("HELO") {
                out.write_all(b"250-sink\r\n250 8BITMIME\r\n").unwrap();
            } else if cmd.starts_with("MAIL FROM") {
                out.write_all(b"250 OK\r\n").unwrap();
            } else if cmd.starts_with("RCPT TO") {
                rcpts.push(line.trim()[8..].trim().trim_matches(|c| c == '<' || c == '>').to_string());
                out.write_all(b"250 OK\r\n").unwrap();
            } else if cmd.starts_with("DATA") {
                out.write_all(b"354 go on\r\n").unwrap();
                let mut buf = Vec::new();
                let mut byte = [0u8; 1];
                while !buf.ends_with(b"\r\n.\r\n") {
                    r.read_exact(&mut byte).unwrap();
                    buf.push(byte[0]);
                }
                buf.truncate(buf.len() - 5);
                data = buf;
                out.write_all(b"250 queued\r\n").unwrap();
            } else if cmd.starts_with("QUIT") {
                out.write_all(b"221 bye\r\n").unwrap();
                break;
            } else {
                out.write_all(b"250 OK\r\n").unwrap();
            }
        }
        (rcpts, data)
    })
}

fn config(dir: &Path, port: u16) -> PathBuf {
    let sample = root().join("sample-data/report.toml");
    let text = std::fs::read_to_string(&sample).unwrap();
    // Same report, inputs from sample-data, mail to the test's listener.
    let data = root().join("sample-data");
    let text = text
        .replace("path = \"tickets.csv\"", &format!("path = {:?}", data.join("tickets.csv")))
        .replace("path = \"calls.csv\"", &format!("path = {:?}", data.join("calls.csv")))
        .replace("path = \"surveys.csv\"", &format!("path = {:?}", data.join("surveys.csv")))
        .replace("path = \"agent_time.csv\"", &format!("path = {:?}", data.join("agent_time.csv")));
    let cfg = dir.join("report.toml");
    std::fs::write(
        &cfg,
        format!(
            "{text}\n[email]\nfrom = \"Reports <reports@example.com>\"\nto = [\"director@example.com\", \"ops@example.com\"]\n\
             subject = \"{{title}} — {{period}}\"\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {port}\ntls = \"none\"\n"
        ),
    )
    .unwrap();
    cfg
}

fn report(cfg: &Path, out: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_csreport"))
        .args(["report", "-c", cfg.to_str().unwrap(), "--period", "2026-Q3", "--as-of", "2026-11-23T06:00:00"])
        .args(["--out", out.to_str().unwrap(), "-q"])
        .args(extra)
        .env_remove("CSREPORT_SMTP_USER")
        .env_remove("CSREPORT_SMTP_PASSWORD")
        .output()
        .unwrap()
}

#[test]
fn the_report_is_sent_and_arrives_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let (port, sink) = smtp_sink();
    let cfg = config(tmp.path(), port);
    let out = tmp.path().join("q3");
    let run = report(&cfg, &out, &["--send"]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let (rcpts, data) = sink.join().unwrap();
    assert_eq!(rcpts, ["director@example.com", "ops@example.com"]);
    let msg = mail_parser::MessageParser::default().parse(&data).expect("a MIME message");
    assert_eq!(msg.subject(), Some("Acme Support — customer service report — 2026-Q3"));
    let html = msg.body_html(0).expect("an HTML body").to_string();
    assert!(!html.contains("<svg"), "mail clients block SVG: charts must be images");
    let text = msg.body_text(0).expect("a plain-text alternative").to_string();
    assert!(text.contains("## Executive summary"), "{text}");
    // Every cid: in the HTML is a part of the message, and every chart is there.
    let cids: Vec<String> = html.split("cid:").skip(1).map(|s| s.split('"').next().unwrap().to_string()).collect();
    assert_eq!(cids.len(), 10 + 16, "10 charts and 16 sparklines: {cids:?}");
    let parts: Vec<String> =
        msg.parts.iter().filter_map(|p| p.content_id().map(|c| c.trim_matches(['<', '>']).to_string())).collect();
    for c in &cids {
        assert!(parts.contains(c), "cid:{c} has no part ({parts:?})");
    }
    let names: Vec<String> = msg.attachments().filter_map(|a| a.attachment_name().map(str::to_string)).collect();
    assert!(names.contains(&"metrics.csv".to_string()) && names.contains(&"report.xlsx".to_string()), "{names:?}");
    // What was sent is the report.eml of the folder (same Message-ID and parts).
    let eml = std::fs::read(out.join("report.eml")).unwrap();
    let saved = mail_parser::MessageParser::default().parse(&eml).unwrap();
    assert!(msg.message_id().is_some_and(|id| id.ends_with("@csreport")));
    assert_eq!(saved.message_id(), msg.message_id());
    assert_eq!(saved.parts.len(), msg.parts.len());
}

#[test]
fn a_failed_delivery_exits_3_and_keeps_the_report() {
    let tmp = tempfile::tempdir().unwrap();
    // A port nobody listens on.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let cfg = config(tmp.path(), port);
    let out = tmp.path().join("q3");
    let run = report(&cfg, &out, &["--send"]);
    assert_eq!(run.status.code(), Some(3));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("SMTP delivery to 127.0.0.1 failed"), "{err}");
    assert!(out.join("report.html").is_file() && out.join("report.eml").is_file());
}

#[test]
fn the_eml_is_byte_identical_across_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path(), 25);
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    assert!(report(&cfg, &a, &["--email"]).status.success());
    assert!(report(&cfg, &b, &["--email"]).status.success());
    for f in ["report.eml", "report.xlsx", "tables/metrics.csv", "tables/drivers.csv"] {
        assert_eq!(std::fs::read(a.join(f)).unwrap(), std::fs::read(b.join(f)).unwrap(), "{f} differs");
    }
}

/// An SMTP server that offers AUTH and refuses whatever it is given; returns what the
/// client sent.
fn smtp_refusing_auth() -> (u16, std::thread::JoinHandle<String>) {
    serve(|mut r, mut out| {
        let mut seen = String::new();
        out.write_all(b"220 strict ESMTP\r\n").unwrap();
        let mut line = String::new();
        while r.read_line(&mut line).unwrap_or(0) > 0 {
            seen.push_str(&line);
            let cmd = line.to_ascii_uppercase();
            let reply: &[u8] = if cmd.starts_with("EHLO") {
                b"250-strict\r\n250 AUTH PLAIN LOGIN\r\n"
            } else if cmd.starts_with("AUTH") {
                b"535 5.7.8 Authentication credentials invalid\r\n"
            } else if cmd.starts_with("QUIT") {
                b"221 bye\r\n"
            } else {
                b"503 bad sequence\r\n"
            };
            out.write_all(reply).unwrap();
            if cmd.starts_with("QUIT") || cmd.starts_with("AUTH") {
                break;
            }
            line.clear();
        }
        seen
    })
}

#[test]
fn smtp_secrets_never_reach_the_logs_the_manifest_or_the_report() {
    use base64_like::encode;
    let secret = "s3cr3t-Pa55w0rd!";
    for from_file in [true, false] {
        let tmp = tempfile::tempdir().unwrap();
        let (port, server) = smtp_refusing_auth();
        let cfg = config(tmp.path(), port);
        if from_file {
            std::fs::write(tmp.path().join("smtp.secret"), format!("mailer:{secret}\n")).unwrap();
            let text = std::fs::read_to_string(&cfg).unwrap() + "credentials_file = \"smtp.secret\"\n";
            std::fs::write(&cfg, text).unwrap();
        }
        let out = tmp.path().join("q3");
        let run = Command::new(env!("CARGO_BIN_EXE_csreport"))
            .args(["report", "-c", cfg.to_str().unwrap(), "--period", "2026-Q3", "--as-of", "2026-11-23T06:00:00"])
            .args(["--out", out.to_str().unwrap(), "--send", "--verbose", "--timings"])
            .env("CSREPORT_SMTP_USER", "mailer")
            .env("CSREPORT_SMTP_PASSWORD", secret)
            .output()
            .unwrap();
        let sent = server.join().unwrap();
        assert_eq!(run.status.code(), Some(3), "{}", String::from_utf8_lossy(&run.stderr));
        // The password did go to the server (so the test exercises authentication)...
        assert!(sent.contains("AUTH"), "{sent}");
        // ...and nowhere else: not on stderr/stdout, not in any file of the report.
        let logs = format!("{}{}", String::from_utf8_lossy(&run.stderr), String::from_utf8_lossy(&run.stdout));
        assert!(logs.contains("SMTP delivery to 127.0.0.1 failed"), "{logs}");
        for needle in [secret.to_string(), encode(&format!("\0mailer\0{secret}")), encode(secret)] {
            assert!(!logs.contains(&needle), "the password in the logs: {logs}");
            for f in std::fs::read_dir(&out).unwrap().flatten().filter(|f| f.path().is_file()) {
                let text = String::from_utf8_lossy(&std::fs::read(f.path()).unwrap()).into_owned();
                assert!(!text.contains(&needle), "the password in {}", f.path().display());
            }
        }
    }
}

/// Standard base64 (for looking for an encoded password), no crate needed.
mod base64_like {
    pub fn encode(s: &str) -> String {
        const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let b = s.as_bytes();
        let mut out = String::new();
        for c in b.chunks(3) {
            let n = (c[0] as u32) << 16 | (*c.get(1).unwrap_or(&0) as u32) << 8 | *c.get(2).unwrap_or(&0) as u32;
            for i in 0..4 {
                if i <= c.len() {
                    out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }
}

//! E-mail: the report as a MIME message (report.eml) and its delivery over SMTP or
//! sendmail. Mail clients block SVG and data: URIs, so the HTML body shows the charts
//! as PNG images referenced by Content-ID; the Markdown is the plain-text alternative;
//! the metrics CSV and report.xlsx are attached. Boundaries, Message-ID and Date derive
//! from the report (its period and as-of), so the same run gives the same bytes.
//!
//! Credentials come from CSREPORT_SMTP_USER / CSREPORT_SMTP_PASSWORD or from
//! `[email] credentials_file` (one line, `user:password`), never from the command line;
//! they are never printed.

use crate::config::EmailSection;
use anyhow::{bail, Context, Result};
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, MultiPartKind, SinglePart};
use lettre::{Message, Transport};
use sha2::{Digest, Sha256};
use std::path::Path;

pub struct Parts<'a> {
    pub subject: String,
    pub html: String,
    pub text: String,
    /// (content id, PNG bytes)
    pub images: Vec<(String, Vec<u8>)>,
    /// (file name, content type, bytes)
    pub attachments: Vec<(String, &'static str, Vec<u8>)>,
    /// Seeds the boundaries and the Message-ID: the period, the as-of, the config hash.
    pub seed: &'a str,
    pub date: std::time::SystemTime,
}

fn mailbox(s: &str, key: &str) -> Result<Mailbox> {
    s.parse().map_err(|e| anyhow::anyhow!("[email] {key} = \"{s}\": not an e-mail address ({e})"))
}

fn token(seed: &str, what: &str) -> String {
    let h = Sha256::digest(format!("{seed}\u{1f}{what}").as_bytes());
    h.iter().take(12).map(|b| format!("{b:02x}")).collect()
}

/// Expand `{title}`, `{period}`, `{period_range}`, `{as_of}` in the subject template.
pub fn subject(template: &str, title: &str, period: &str, range: &str, as_of: &str) -> String {
    template
        .replace("{title}", title)
        .replace("{period}", period)
        .replace("{period_range}", range)
        .replace("{as_of}", as_of)
}

pub fn build(cfg: &EmailSection, p: &Parts) -> Result<Message> {
    let Some(from) = &cfg.from else { bail!("[email] from: needed to build the e-mail") };
    if cfg.to.is_empty() {
        bail!("[email] to: give at least one recipient");
    }
    let mut b = Message::builder()
        .from(mailbox(from, "from")?)
        .subject(&p.subject)
        .date(p.date)
        .message_id(Some(format!("<{}@csreport>", token(p.seed, "message-id"))));
    for t in &cfg.to {
        b = b.to(mailbox(t, "to")?);
    }
    for c in &cfg.cc {
        b = b.cc(mailbox(c, "cc")?);
    }
    let boundary = |what: &str| format!("csreport-{}", token(p.seed, what));
    let mut related = MultiPart::builder()
        .kind(MultiPartKind::Related)
        .boundary(boundary("related"))
        .singlepart(SinglePart::html(p.html.clone()));
    for (cid, png) in &p.images {
        related =
            related.singlepart(Attachment::new_inline(cid.clone()).body(png.clone(), ContentType::parse("image/png")?));
    }
    let alternative = MultiPart::builder()
        .kind(MultiPartKind::Alternative)
        .boundary(boundary("alternative"))
        .singlepart(SinglePart::plain(p.text.clone()))
        .multipart(related);
    let mut mixed = MultiPart::builder().kind(MultiPartKind::Mixed).boundary(boundary("mixed")).multipart(alternative);
    for (name, ct, bytes) in &p.attachments {
        mixed = mixed.singlepart(Attachment::new(name.clone()).body(bytes.clone(), ContentType::parse(ct)?));
    }
    Ok(b.multipart(mixed)?)
}

fn credentials(cfg: &EmailSection, base_dir: &Path) -> Result<Option<(String, String)>> {
    if let Some(f) = &cfg.credentials_file {
        let path = base_dir.join(f);
        let text = std::fs::read_to_string(&path).with_context(|| format!("failed to read `{}`", path.display()))?;
        let line = text.lines().next().unwrap_or("").trim();
        let Some((u, p)) = line.split_once(':') else {
            bail!("`{}`: expected one line `user:password`", path.display());
        };
        return Ok(Some((u.to_string(), p.to_string())));
    }
    match (std::env::var("CSREPORT_SMTP_USER"), std::env::var("CSREPORT_SMTP_PASSWORD")) {
        (Ok(u), Ok(p)) => Ok(Some((u, p))),
        (Ok(_), Err(_)) => bail!("CSREPORT_SMTP_USER is set but CSREPORT_SMTP_PASSWORD is not"),
        _ => Ok(None),
    }
}

/// Deliver the message; errors never contain the password.
pub fn send(cfg: &EmailSection, base_dir: &Path, message: &Message) -> Result<()> {
    match cfg.transport.as_str() {
        "sendmail" => {
            let t = match &cfg.sendmail_command {
                Some(c) => lettre::SendmailTransport::new_with_command(c),
                None => lettre::SendmailTransport::new(),
            };
            t.send(message).map_err(|e| anyhow::anyhow!("sendmail failed: {e}"))?;
        }
        _ => {
            let Some(host) = &cfg.smtp_host else { bail!("[email] smtp_host: needed to send over SMTP") };
            let mut b = match cfg.tls.as_str() {
                "tls" => lettre::SmtpTransport::relay(host)?,
                "starttls" => lettre::SmtpTransport::starttls_relay(host)?,
                _ => lettre::SmtpTransport::builder_dangerous(host),
            };
            if let Some(port) = cfg.smtp_port {
                b = b.port(port);
            }
            if let Some((u, p)) = credentials(cfg, base_dir)? {
                b = b.credentials(lettre::transport::smtp::authentication::Credentials::new(u, p));
            }
            let t = b.timeout(Some(std::time::Duration::from_secs(60))).build();
            t.send(message).map_err(|e| anyhow::anyhow!("SMTP delivery to {host} failed: {e}"))?;
        }
    }
    Ok(())
}

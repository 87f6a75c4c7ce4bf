//! Templates: overridden one file at a time, ejected, never read outside their folder;
//! hostile text escaped in HTML and neutralised in Markdown; and the golden report.md
//! of sample-data (refresh with CSREPORT_BLESS=1 cargo test --release --test templates,
//! then review the diff).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;

fn root() -> PathBuf {
    PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("run by cargo test"))
}

fn csreport(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_csreport")).args(args).current_dir(root()).output().unwrap()
}

fn q3(out: &Path, extra: &[&str]) -> Output {
    let mut a = vec![
        "report",
        "-c",
        "sample-data/report.toml",
        "--period",
        "2026-Q3",
        "--as-of",
        "2026-11-23T06:00:00",
        "-q",
        "--out",
    ];
    a.push(out.to_str().unwrap());
    a.extend_from_slice(extra);
    csreport(&a)
}

#[test]
fn golden_report_md() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("q3");
    let o = q3(&out, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    let golden = root().join("tests/golden/report-2026-Q3.md");
    if std::env::var_os("CSREPORT_BLESS").is_some() {
        std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
        std::fs::write(&golden, &md).unwrap();
    }
    let want = std::fs::read_to_string(&golden).unwrap_or_default();
    if md != want {
        let line = md.lines().zip(want.lines()).position(|(a, b)| a != b).map_or(0, |i| i + 1);
        panic!("report.md differs from tests/golden/report-2026-Q3.md (first at line {line}); if intended: CSREPORT_BLESS=1 cargo test --release --test templates");
    }
}

#[test]
fn eject_then_override_one_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("tpl");
    let o = csreport(&["templates", "eject", dir.to_str().unwrap()]);
    assert!(o.status.success());
    assert_eq!(
        std::fs::read_to_string(dir.join("report.html")).unwrap(),
        include_str!("../report-templates/report.html")
    );
    let again = csreport(&["templates", "eject", dir.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists: pass --force to overwrite it"));

    for f in ["report.md", "strings.en.toml", "strings.fr.toml"] {
        assert!(dir.join(f).is_file(), "{f} not ejected");
    }
    // report.md and the English words are overridden; report.html stays built-in.
    std::fs::remove_file(dir.join("report.html")).unwrap();
    let words = std::fs::read_to_string(dir.join("strings.en.toml")).unwrap();
    std::fs::write(
        dir.join("strings.en.toml"),
        words.replace("scorecard = \"KPI scorecard\"", "scorecard = \"Our numbers\""),
    )
    .unwrap();
    std::fs::write(
        dir.join("report.md"),
        "# Our weekly note for {{ period }}\n\n{% for s in summary %}* {{ s | md }}\n{% endfor %}",
    )
    .unwrap();
    let out = tmp.path().join("q3");
    let o = q3(&out, &["--templates", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.starts_with("# Our weekly note for 2026-Q3\n\n* Service level worsened"), "{md}");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<h2>Executive summary</h2>") && html.contains("<h2>Our numbers</h2>"));
    let m = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(m.contains("tpl (report.md, strings.en.toml, strings.fr.toml)"), "{m}");

    // A words file must keep every key: the missing one is named before any work.
    std::fs::write(dir.join("strings.fr.toml"), "period = \"Période\"\n").unwrap();
    let o = q3(&tmp.path().join("fr"), &["--templates", dir.to_str().unwrap(), "--lang", "fr"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("strings.fr.toml`: missing keys") && err.contains("scorecard"), "{err}");
}

#[test]
fn a_template_syntax_error_names_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("tpl");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("report.md"), "{% if %}broken").unwrap();
    let out = tmp.path().join("q3");
    let o = q3(&out, &["--templates", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    let want = format!("template `{}` does not parse:\n--> 1:7", dir.join("report.md").display());
    assert!(err.contains(&want), "{err}");
    assert!(!out.exists(), "nothing written");
    let o = q3(&out, &["--templates", tmp.path().join("nope").to_str().unwrap()]);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("template folder")
            && String::from_utf8_lossy(&o.stderr).contains("does not exist")
    );
}

#[cfg(unix)]
#[test]
fn a_template_folder_cannot_read_outside_itself() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("tpl");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(tmp.path().join("secret.txt"), "password=hunter2").unwrap();
    std::os::unix::fs::symlink(tmp.path().join("secret.txt"), dir.join("report.md")).unwrap();
    let out = tmp.path().join("q3");
    let o = q3(&out, &["--templates", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("points outside the template folder"));
}

#[test]
fn hostile_text_is_escaped_in_html_and_neutralised_in_markdown() {
    let tmp = tempfile::tempdir().unwrap();
    let (o, out) = common::september_report(
        tmp.path(),
        "ticket_id,created_at,solved_at,reason,agent,channel\n\
         A,2026-09-01 10:00,2026-09-01 11:00,<script>alert(1)</script>,<img src=x onerror=alert(2)>,email\n\
         B,2026-09-02 10:00,2026-09-02 12:00,[click](http://e.vil),Bob,email\n\
         C,2026-09-03 10:00,2026-09-03 12:00,![pix](http://e.vil/p.png),Bob,email\n",
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(!html.contains("<script>alert(1)"), "script tag in the HTML");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;"), "escaped reason missing");
    assert!(!html.contains("<img src=x"), "img tag in the HTML");
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(!md.contains("<script>") && md.contains("&lt;script&gt;"), "{md}");
    assert!(!md.contains("[click](http") && md.contains("\\[click\\](http"), "a live link in the Markdown");
    assert!(!md.contains("![pix]") && md.contains("\\!\\[pix\\]"), "an image in the Markdown");
    // (Agent names are not shown in this report; the reason column carries the attack.)
}

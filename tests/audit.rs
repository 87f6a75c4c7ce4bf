//! Audit: the same inputs, config and --as-of give the same bytes in every output, the
//! manifest records what the report was made from, and `csreport verify` says exactly
//! what changed when an input, the config, the templates or an output was tampered with.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("run by cargo test"))
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_csreport")).args(args).current_dir(dir).output().unwrap()
}

/// A private copy of sample-data (it gets tampered with) in `dir/data`.
fn copy_sample(dir: &Path) {
    let to = dir.join("data");
    std::fs::create_dir_all(&to).unwrap();
    for f in ["tickets.csv", "calls.csv", "surveys.csv", "agent_time.csv", "report.toml"] {
        std::fs::copy(root().join("sample-data").join(f), to.join(f)).unwrap();
    }
    let cfg = std::fs::read_to_string(to.join("report.toml")).unwrap()
        + "\n[email]\nfrom = \"reports@example.com\"\nto = [\"director@example.com\"]\n";
    std::fs::write(to.join("report.toml"), cfg).unwrap();
}

fn report(dir: &Path, out: &str) {
    let o = run(
        dir,
        &[
            "report",
            "-c",
            "data/report.toml",
            "--period",
            "2026-Q3",
            "--as-of",
            "2026-11-23T06:00:00",
            "--out",
            out,
            "-q",
            "--email",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

fn verify(dir: &Path, folder: &str) -> (i32, String) {
    let o = run(dir, &["verify", &format!("{folder}/manifest.json")]);
    (o.status.code().unwrap(), String::from_utf8_lossy(&o.stderr).to_string())
}

#[test]
fn every_output_is_byte_identical_across_runs() {
    let tmp = tempfile::tempdir().unwrap();
    copy_sample(tmp.path());
    report(tmp.path(), "a");
    report(tmp.path(), "b");
    let (a, b) = (files(&tmp.path().join("a")), files(&tmp.path().join("b")));
    assert_eq!(a, b);
    let kinds: Vec<String> = a.iter().filter_map(|p| p.extension().map(|e| e.to_string_lossy().to_string())).collect();
    for ext in ["html", "md", "png", "svg", "json", "csv", "xlsx", "eml"] {
        assert!(kinds.iter().any(|k| k == ext), "no .{ext} output");
    }
    for f in &a {
        assert!(
            std::fs::read(tmp.path().join("a").join(f)).unwrap()
                == std::fs::read(tmp.path().join("b").join(f)).unwrap(),
            "{} differs",
            f.display()
        );
    }
}

#[test]
fn the_manifest_records_inputs_and_its_digest_is_in_the_footer() {
    let tmp = tempfile::tempdir().unwrap();
    copy_sample(tmp.path());
    report(tmp.path(), "q3");
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.path().join("q3/manifest.json")).unwrap()).unwrap();
    assert_eq!(m["period"], "2026-Q3");
    assert_eq!(m["as_of"], "2026-11-23T05:00:00+00:00");
    assert_eq!(m["definitions_version"], 1);
    let tickets = m["inputs"].as_array().unwrap().iter().find(|i| i["name"] == "tickets").unwrap();
    let bytes = std::fs::read(tmp.path().join("data/tickets.csv")).unwrap();
    assert_eq!(tickets["size"], bytes.len() as u64);
    assert_eq!(tickets["sha256"].as_str().unwrap(), csreport::manifest::sha256_hex(&bytes));
    assert_eq!(tickets["rows_read"], 32886);
    let digest = m["digest"].as_str().unwrap();
    assert_eq!(digest.len(), 64);
    let md = std::fs::read_to_string(tmp.path().join("q3/report.md")).unwrap();
    assert!(md.contains(&format!("manifest {digest}")), "footer");
    // The recorded command leaves the output folder out.
    assert!(!m["command"].as_array().unwrap().iter().any(|a| a == "q3"));
}

#[test]
fn verify_passes_then_names_each_tampering() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    copy_sample(d);
    report(d, "q3");
    let (code, err) = verify(d, "q3");
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("verified: q3 is the same report"), "{err}");
    // The folder names its manifest.
    let o = run(d, &["verify", "q3"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("verified: q3 is the same report"));

    // An output edited by hand.
    let html = d.join("q3/report.html");
    let text = std::fs::read_to_string(&html).unwrap().replace("Executive summary", "Summary");
    std::fs::write(&html, text).unwrap();
    let (code, err) = verify(d, "q3");
    assert_eq!(code, 4);
    assert!(err.contains("report.html differs from line"), "{err}");
    assert!(err.contains("«<h2>Summary</h2>»") && err.contains("«<h2>Executive summary</h2>»"), "{err}");

    // An input changed after the report (one call's outcome).
    std::fs::remove_dir_all(d.join("q3")).unwrap();
    report(d, "q3");
    let calls = d.join("data/calls.csv");
    let text = std::fs::read_to_string(&calls).unwrap().replacen(",answered,", ",abandoned,", 1);
    std::fs::write(&calls, text).unwrap();
    let (code, err) = verify(d, "q3");
    assert_eq!(code, 4);
    assert!(err.contains("input calls `data/calls.csv` changed"), "{err}");

    // The config changed (a different title).
    std::fs::copy(root().join("sample-data/calls.csv"), &calls).unwrap();
    let cfg = d.join("data/report.toml");
    let text = std::fs::read_to_string(&cfg).unwrap().replace("Acme Support", "Acme Care");
    std::fs::write(&cfg, text).unwrap();
    let (code, err) = verify(d, "q3");
    assert_eq!(code, 4);
    assert!(err.contains("config `data/report.toml` changed since the report was made"), "{err}");
    assert!(err.contains("report.md differs from line 1"), "{err}");

    // Other templates than the report's (the recorded templates hash no longer matches).
    let text = std::fs::read_to_string(&cfg).unwrap().replace("Acme Care", "Acme Support");
    std::fs::write(&cfg, text).unwrap();
    let manifest = d.join("q3/manifest.json");
    let m = std::fs::read_to_string(&manifest).unwrap();
    let v: serde_json::Value = serde_json::from_str(&m).unwrap();
    let old = v["templates"]["sha256"].as_str().unwrap().to_string();
    std::fs::write(&manifest, m.replace(&old, &"0".repeat(64))).unwrap();
    let (code, err) = verify(d, "q3");
    assert_eq!(code, 4);
    assert!(err.contains("templates: the templates in use (built-in) differ from the report's"), "{err}");
}

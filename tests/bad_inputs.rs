//! The bad-input corpus: every folder of tests/bad-inputs/ is one case, run by the real
//! binary in a private copy of the folder. `args` holds the command line (one argument
//! per line; `#` lines say what the case is about); `expected` holds the exit code and
//! the exact stderr and stdout, with the copy's path written `<case>`.
//!
//! A new case: make the folder with `args` and its inputs, run with CSREPORT_BLESS=1 to
//! write `expected`, and read the message in the diff as a user would.

use std::path::{Path, PathBuf};
use std::process::Command;

fn corpus() -> PathBuf {
    PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("run by cargo test")).join("tests/bad-inputs")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// Runs one case; returns what `expected` must hold.
fn run_case(case: &Path) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("case");
    copy_dir(case, &dir);
    let args_text = std::fs::read_to_string(case.join("args")).unwrap();
    let args: Vec<&str> = args_text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect();
    let out = Command::new(env!("CARGO_BIN_EXE_csreport"))
        .args(&args)
        .current_dir(&dir)
        .env("NO_COLOR", "1")
        .env_remove("CSREPORT_CONFIG")
        .output()
        .unwrap();
    let shown = dir.display().to_string();
    let clean = |b: &[u8]| String::from_utf8_lossy(b).replace(&shown, "<case>");
    let mut text = format!("exit: {}\n", out.status.code().map_or("signal".to_string(), |c| c.to_string()));
    let (stderr, stdout) = (clean(&out.stderr), clean(&out.stdout));
    if !stderr.is_empty() {
        text += &format!("--- stderr\n{stderr}");
    }
    if !stdout.is_empty() {
        text += &format!("--- stdout\n{stdout}");
    }
    // Whatever the outcome, no staging folder is left behind.
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        assert!(!name.contains("csreport-tmp"), "{}: left {name}", case.display());
    }
    text
}

#[test]
fn every_bad_input_gets_its_exact_message_and_exit_code() {
    let bless = std::env::var_os("CSREPORT_BLESS").is_some();
    let mut cases: Vec<PathBuf> =
        std::fs::read_dir(corpus()).unwrap().flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
    cases.sort();
    assert!(cases.len() >= 40, "the corpus has {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let got = run_case(case);
        assert!(!got.contains("panicked"), "{}: a panic\n{got}", case.display());
        let path = case.join("expected");
        if bless {
            std::fs::write(&path, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&path).unwrap_or_default();
        if want != got {
            failures.push(format!("== {}\n-- expected\n{want}-- got\n{got}", case.display()));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases differ:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

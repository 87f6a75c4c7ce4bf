//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::Output;

/// The report of September 2026 (as of 2 October, UTC) over a tickets export given as
/// CSV text; written to `dir/o`, whose path is returned with the run.
pub fn september_report(dir: &Path, tickets_csv: &str) -> (Output, PathBuf) {
    std::fs::write(dir.join("t.csv"), tickets_csv).unwrap();
    std::fs::write(dir.join("r.toml"), "[report]\ntimezone = \"UTC\"\n[inputs.tickets]\npath = \"t.csv\"\n").unwrap();
    let out = dir.join("o");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_csreport"))
        .args(["report", "-c", dir.join("r.toml").to_str().unwrap(), "--period", "2026-09", "--as-of", "2026-10-02"])
        .args(["-q", "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    (run, out)
}

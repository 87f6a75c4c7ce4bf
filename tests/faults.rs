//! Faults: a run killed with SIGKILL while it renders leaves no partial report folder,
//! the earlier report of the same period stays whole, and the next run cleans up.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn root() -> PathBuf {
    PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("run by cargo test"))
}

fn args(out: &Path, as_of: &str) -> Vec<String> {
    let cfg = root().join("sample-data/report.toml");
    ["report", "-c", cfg.to_str().unwrap(), "--period", "2026-Q3", "--as-of", as_of, "--force", "--out"]
        .iter()
        .map(|s| s.to_string())
        .chain([out.to_str().unwrap().to_string()])
        .collect()
}

fn run(out: &Path, as_of: &str) {
    let o = Command::new(env!("CARGO_BIN_EXE_csreport")).args(args(out, as_of)).arg("-q").output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// Every file of a report folder, relative path → bytes.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                out.push((e.path().strip_prefix(dir).unwrap().to_path_buf(), std::fs::read(e.path()).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn sigkill_while_rendering_leaves_the_earlier_report_whole() {
    use std::os::unix::process::ExitStatusExt;
    let tmp = tempfile::tempdir().unwrap();
    // The earlier report (as of October) and what the new run writes when left alone.
    let earlier = tmp.path().join("earlier");
    run(&earlier, "2026-10-05T06:00:00");
    let finished = tmp.path().join("finished");
    run(&finished, "2026-11-23T06:00:00");
    let (old, new) = (snapshot(&earlier), snapshot(&finished));
    assert_ne!(old, new);
    let mut killed_while_rendering = 0;
    // Kill at the start of rendering, then a little later each time: through writing
    // the tables, the XLSX, the HTML and the folder's replacement.
    for (i, delay_ms) in [0u64, 0, 1, 2, 4, 8, 12, 20, 40].into_iter().enumerate() {
        let parent = tmp.path().join(format!("run{i}"));
        let target = parent.join("2026-Q3");
        copy_dir(&earlier, &target);
        let mut child = Command::new(env!("CARGO_BIN_EXE_csreport"))
            .args(args(&target, "2026-11-23T06:00:00"))
            .arg("--verbose")
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let rendering = lines.by_ref().map_while(Result::ok).any(|l| l == "csreport: stage render");
        assert!(rendering, "the run never reached rendering");
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let status = child.wait().unwrap();
        let now = snapshot(&target);
        if status.signal() == Some(9) {
            killed_while_rendering += 1;
            assert!(
                now == old || now == new,
                "run {i}: the report folder is neither the earlier report nor the new one"
            );
        } else {
            assert!(status.success() && now == new, "run {i}: {status:?}");
        }
        // The next run of the same report finishes and leaves nothing else behind.
        run(&target, "2026-11-23T06:00:00");
        assert_eq!(snapshot(&target), new, "run {i}: the re-run");
        let left: Vec<String> = std::fs::read_dir(&parent)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().to_string())
            .collect();
        assert_eq!(left, ["2026-Q3"], "run {i}: left behind");
    }
    assert!(killed_while_rendering >= 3, "only {killed_while_rendering} runs were killed before they finished");
}

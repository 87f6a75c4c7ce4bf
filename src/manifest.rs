//! manifest.json: what a report was made from — tool, definitions, config, templates,
//! inputs (size, SHA-256, rows, coverage), period, as-of, variants — so that
//! `csreport verify` can re-run it and prove the same report comes out.

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub schema_version: u32,
    pub tool: Tool,
    pub definitions_version: u32,
    pub period: String,
    /// RFC 3339, UTC.
    pub as_of: String,
    pub timezone: String,
    pub lang: String,
    pub email: bool,
    /// The command line, with the output folder left out (the manifest sits in it).
    pub command: Vec<String>,
    pub config: Hashed,
    pub templates: Hashed,
    pub inputs: Vec<Input>,
    /// The variants in force (FCR, service level, SLA clock, scales…).
    pub variants: BTreeMap<String, String>,
    /// SHA-256 of this manifest without the digest: shown in the report's footer.
    pub digest: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Tool {
    pub name: String,
    pub version: String,
    pub git_commit: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Hashed {
    /// Where it came from: a path as given, or "built-in".
    pub source: String,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Input {
    pub name: String,
    pub path: String,
    pub size: u64,
    pub sha256: String,
    pub profile: String,
    pub rows_read: u64,
    pub rows_kept: u64,
    pub coverage: Option<(String, String)>,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The SHA-256 of several files, worked on in the background by a thread at the lowest
/// priority, which runs when a core would otherwise be idle, and finished by the caller
/// (at its own priority) when it needs them: the work is one state behind a lock, taken
/// a MiB at a time by whichever thread holds it. A host kept busy by other processes
/// then delays the report by no more than hashing at the end would.
pub struct BackgroundHashes {
    state: std::sync::Arc<std::sync::Mutex<HashWork>>,
    /// Set when the caller takes over: the background thread then stops taking steps
    /// (it would hold the lock at its low priority while the caller waits).
    taken: std::sync::Arc<std::sync::atomic::AtomicBool>,
    worker: Option<std::thread::JoinHandle<()>>,
}

/// The files still to hash, the one being hashed, and the results so far.
struct HashWork {
    paths: std::collections::VecDeque<std::path::PathBuf>,
    current: Option<(std::path::PathBuf, std::fs::File, Sha256, u64)>,
    done: Vec<Result<(u64, String)>>,
    buf: Vec<u8>,
}

impl HashWork {
    fn new(paths: Vec<std::path::PathBuf>) -> Self {
        HashWork { paths: paths.into(), current: None, done: Vec::new(), buf: vec![0u8; 1 << 20] }
    }

    /// Hashes the next MiB; false when every file is done.
    fn step(&mut self) -> bool {
        use std::io::Read;
        let Some((path, file, hasher, size)) = self.current.as_mut() else {
            let Some(path) = self.paths.pop_front() else { return false };
            match std::fs::File::open(&path) {
                Ok(file) => self.current = Some((path, file, Sha256::new(), 0)),
                Err(e) => self.done.push(Err(e).with_context(|| format!("failed to read `{}`", path.display()))),
            }
            return true;
        };
        match file.read(&mut self.buf) {
            Ok(0) => {
                let (_, _, hasher, size) = self.current.take().expect("a file being hashed");
                self.done.push(Ok((size, hex(&hasher.finalize()))));
            }
            Ok(n) => {
                *size += n as u64;
                hasher.update(&self.buf[..n]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                let err = Err(e).with_context(|| format!("failed to read `{}`", path.display()));
                self.current = None;
                self.done.push(err);
            }
        }
        true
    }
}

impl BackgroundHashes {
    /// Starts hashing `paths` in the background.
    pub fn start(paths: Vec<std::path::PathBuf>) -> Self {
        let state = std::sync::Arc::new(std::sync::Mutex::new(HashWork::new(paths)));
        let taken = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (shared, stop) = (state.clone(), taken.clone());
        let worker = std::thread::spawn(move || {
            lowest_priority();
            while !stop.load(std::sync::atomic::Ordering::Relaxed)
                && shared.lock().unwrap_or_else(|e| e.into_inner()).step()
            {}
        });
        BackgroundHashes { state, taken, worker: Some(worker) }
    }

    /// Each file's (size, SHA-256), in the order given: what is left is hashed here.
    pub fn finish(mut self) -> Vec<Result<(u64, String)>> {
        self.taken.store(true, std::sync::atomic::Ordering::Relaxed);
        while self.state.lock().unwrap_or_else(|e| e.into_inner()).step() {}
        if let Some(worker) = self.worker.take() {
            worker.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        }
        std::mem::take(&mut self.state.lock().unwrap_or_else(|e| e.into_inner()).done)
    }
}

/// A report that stops early (an input it cannot read, a folder it may not replace)
/// stops the background hashing too, at the thread's next step.
impl Drop for BackgroundHashes {
    fn drop(&mut self) {
        self.taken.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// The calling thread at the lowest scheduling priority (nice 19) where the system
/// allows it; otherwise it stays as it is.
fn lowest_priority() {
    #[cfg(target_os = "linux")]
    let _ = rustix::process::nice(19);
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of a file, streamed: (size, digest).
pub fn sha256_file(path: &Path) -> Result<(u64, String)> {
    let mut work = HashWork::new(vec![path.to_path_buf()]);
    while work.step() {}
    work.done.pop().expect("one file, hashed or not read")
}

/// The config as csreport understood it (defaults filled, keys in a fixed order): two
/// files that differ only in comments or layout hash the same.
pub fn config_hash(cfg: &crate::config::Config) -> Result<String> {
    Ok(sha256_hex(serde_json::to_string(cfg)?.as_bytes()))
}

pub fn variants(cfg: &crate::config::Config) -> BTreeMap<String, String> {
    let s = &cfg.surveys;
    [
        ("fcr", format!("{:?}", cfg.metrics.fcr_variant)),
        (
            "service_level",
            format!("{:?} within {} s", cfg.calls.service_level_variant, cfg.calls.service_level_seconds),
        ),
        ("short_abandon_seconds", cfg.calls.short_abandon_seconds.to_string()),
        ("sla_clock", format!("{:?}", cfg.sla.clock)),
        ("csat_scale", format!("{}-{}, satisfied from {}", s.csat_min, s.csat_max, s.csat_positive_min)),
        (
            "ces_scale",
            format!(
                "{}-{}, agree from {}, higher is easier: {}",
                s.ces_min, s.ces_max, s.ces_agree_min, s.ces_higher_is_easier
            ),
        ),
        (
            "drivers",
            format!("{} (top {}, sources {})", cfg.drivers.field, cfg.drivers.top, cfg.drivers.sources.join("+")),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_lowercase()))
    .collect()
}

impl Manifest {
    /// Fill in the digest: SHA-256 of the manifest with an empty digest and without the
    /// git commit, so the same version's builds from different commits agree on it.
    pub fn seal(mut self) -> Result<Manifest> {
        let mut basis = self.clone();
        basis.digest = String::new();
        basis.tool.git_commit = String::new();
        self.digest = sha256_hex(serde_json::to_string(&basis)?.as_bytes());
        Ok(self)
    }

    pub fn to_json(&self) -> Result<String> {
        Ok(serde_json::to_string_pretty(self)? + "\n")
    }

    pub fn read(path: &Path) -> Result<Manifest> {
        let text = std::fs::read_to_string(path).with_context(|| format!("failed to read `{}`", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("`{}` is not a csreport manifest", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn background_hashes_are_each_files_sha256_in_order_errors_included() {
        let dir = tempfile::tempdir().unwrap();
        // Empty, under a step, over two steps (1 MiB each), missing.
        let big: Vec<u8> = (0..(2 << 20) + 17).map(|i| (i % 251) as u8).collect();
        let files: [(&str, Option<&[u8]>); 4] =
            [("empty", Some(b"")), ("abc", Some(b"abc")), ("big", Some(&big)), ("missing", None)];
        let mut paths = Vec::new();
        for (name, bytes) in files {
            let p = dir.path().join(name);
            if let Some(b) = bytes {
                std::fs::write(&p, b).unwrap();
            }
            paths.push(p);
        }
        // Whether the background thread or the caller does the work, the same results.
        for wait in [false, true] {
            let hashes = BackgroundHashes::start(paths.clone());
            if wait {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            let got = hashes.finish();
            assert_eq!(got.len(), 4);
            assert_eq!(
                got[0].as_ref().unwrap(),
                &(0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".to_string())
            );
            assert_eq!(
                got[1].as_ref().unwrap(),
                &(3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad".to_string())
            );
            assert_eq!(got[2].as_ref().unwrap(), &(big.len() as u64, sha256_hex(&big)));
            assert_eq!(got[2].as_ref().unwrap(), &sha256_file(&paths[2]).unwrap());
            assert!(got[3].as_ref().unwrap_err().to_string().contains("missing"));
        }
        // Dropped unfinished (a report that stopped early): the thread stops too.
        let hashes = BackgroundHashes::start(vec![paths[2].clone(); 50]);
        let state = hashes.state.clone();
        drop(hashes);
        std::thread::sleep(std::time::Duration::from_millis(50));
        let done = state.lock().unwrap().done.len();
        std::thread::sleep(std::time::Duration::from_millis(100));
        assert_eq!(state.lock().unwrap().done.len(), done, "still hashing after the drop");
        assert!(done < 50);
    }
}

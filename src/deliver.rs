//! deliver: the report folder is written into a staging folder beside it and renamed
//! into place at the end, so a failed run never leaves a half-written report.

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// An existing report folder is kept unless `force`.
pub fn check_target(target: &Path, force: bool) -> Result<()> {
    if target.exists() && !force {
        anyhow::bail!("the report folder `{}` exists: pass --force to replace it", target.display());
    }
    Ok(())
}

pub struct Staging {
    dir: PathBuf,
    target: PathBuf,
    committed: bool,
}

impl Staging {
    pub fn begin(target: &Path) -> Result<Staging> {
        let name = target.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_else(|| "report".into());
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent)
            .with_context(|| format!("failed to create output folder `{}`", parent.display()))?;
        clean_stale(&parent, &name, target);
        let dir = parent.join(format!(".{name}.csreport-tmp-{}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir).with_context(|| format!("failed to clear `{}`", dir.display()))?;
        }
        std::fs::create_dir_all(dir.join("charts")).with_context(|| format!("failed to create `{}`", dir.display()))?;
        Ok(Staging { dir, target: target.to_path_buf(), committed: false })
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    pub fn charts_dir(&self) -> PathBuf {
        self.dir.join("charts")
    }

    pub fn write(&self, rel: &str, bytes: impl AsRef<[u8]>) -> Result<()> {
        let p = self.dir.join(rel);
        std::fs::write(&p, bytes).with_context(|| format!("failed to write `{}`", p.display()))
    }

    /// Move the finished folder into place, replacing an earlier report of the same name
    /// only with `force`. On Linux the two folders are exchanged in one atomic rename, so
    /// a reader (or a kill) sees the earlier report or the new one, never neither.
    pub fn commit(mut self, force: bool) -> Result<PathBuf> {
        check_target(&self.target, force)?;
        if self.target.exists() && exchange(&self.dir, &self.target).is_ok() {
            // The staging name now holds the earlier report.
            self.committed = true;
            std::fs::remove_dir_all(&self.dir)
                .with_context(|| format!("failed to remove the earlier report (now `{}`)", self.dir.display()))?;
            return Ok(self.target.clone());
        }
        let old = self.dir.with_extension("old");
        if self.target.exists() {
            std::fs::rename(&self.target, &old)
                .with_context(|| format!("failed to move the earlier report `{}` aside", self.target.display()))?;
        }
        if let Err(e) = std::fs::rename(&self.dir, &self.target) {
            if old.exists() {
                let _ = std::fs::rename(&old, &self.target);
            }
            return Err(e).with_context(|| format!("failed to move the report into `{}`", self.target.display()));
        }
        self.committed = true;
        if old.exists() {
            std::fs::remove_dir_all(&old).with_context(|| format!("failed to remove `{}`", old.display()))?;
        }
        Ok(self.target.clone())
    }
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use rustix::fs::{renameat_with, RenameFlags, CWD};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(std::io::Error::from)
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<()> {
    Err(std::io::Error::other("no atomic exchange here"))
}

/// A run killed before it finished (SIGKILL, power loss) leaves its staging folder;
/// the next run of the same report removes it, and if the kill fell between the two
/// renames of a non-atomic replacement, puts the earlier report back first.
fn clean_stale(parent: &Path, name: &str, target: &Path) {
    let prefix = format!(".{name}.csreport-tmp-");
    let Ok(entries) = std::fs::read_dir(parent) else { return };
    for e in entries.flatten() {
        let file = e.file_name().to_string_lossy().to_string();
        let Some(rest) = file.strip_prefix(&prefix) else { continue };
        let (pid, old) = match rest.strip_suffix(".old") {
            Some(p) => (p, true),
            None => (rest, false),
        };
        let Ok(pid) = pid.parse::<u32>() else { continue };
        if pid != std::process::id() && alive(pid) {
            continue; // another run of the same report is writing it
        }
        if old && !target.exists() {
            let _ = std::fs::rename(e.path(), target);
        } else {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

fn alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    // Without /proc, assume it is running: leaving a folder is safer than removing one.
    !proc.is_dir() || proc.join(pid.to_string()).exists()
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_staging_leaves_the_earlier_report() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("2026-Q3");
        std::fs::create_dir_all(&target).unwrap();
        std::fs::write(target.join("report.md"), "old").unwrap();
        {
            let s = Staging::begin(&target).unwrap();
            s.write("report.md", "half").unwrap();
            // dropped without commit: a failure mid-run
        }
        assert_eq!(std::fs::read_to_string(target.join("report.md")).unwrap(), "old");
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1, "no staging folder left");
        let e = Staging::begin(&target).unwrap().commit(false).unwrap_err().to_string();
        assert!(e.contains("exists: pass --force to replace it"), "{e}");
        assert_eq!(std::fs::read_to_string(target.join("report.md")).unwrap(), "old");
        let s = Staging::begin(&target).unwrap();
        s.write("report.md", "new").unwrap();
        s.commit(true).unwrap();
        assert_eq!(std::fs::read_to_string(target.join("report.md")).unwrap(), "new");
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_killed_run_is_cleaned_up_by_the_next() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("2026-Q3");
        // A dead run's staging folder, and an earlier report moved aside by a run killed
        // between the two renames (pid 0 is never a user process).
        std::fs::create_dir_all(tmp.path().join(".2026-Q3.csreport-tmp-0")).unwrap();
        std::fs::create_dir_all(tmp.path().join(".2026-Q3.csreport-tmp-999999999.old")).unwrap();
        std::fs::write(tmp.path().join(".2026-Q3.csreport-tmp-999999999.old/report.md"), "old").unwrap();
        let s = Staging::begin(&target).unwrap();
        assert_eq!(std::fs::read_to_string(target.join("report.md")).unwrap(), "old", "put back");
        s.write("report.md", "new").unwrap();
        s.commit(true).unwrap();
        assert_eq!(std::fs::read_to_string(target.join("report.md")).unwrap(), "new");
        let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(left, vec![std::ffi::OsString::from("2026-Q3")]);
    }
}

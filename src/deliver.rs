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
    /// only with `force`.
    pub fn commit(mut self, force: bool) -> Result<PathBuf> {
        check_target(&self.target, force)?;
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
}

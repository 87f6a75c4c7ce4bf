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
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of a file, streamed.
pub fn sha256_file(path: &Path) -> Result<(u64, String)> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).with_context(|| format!("failed to read `{}`", path.display()))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf).with_context(|| format!("failed to read `{}`", path.display()))?;
        if n == 0 {
            break;
        }
        size += n as u64;
        h.update(&buf[..n]);
    }
    Ok((size, h.finalize().iter().map(|b| format!("{b:02x}")).collect()))
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

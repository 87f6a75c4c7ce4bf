//! Mapping profiles: how one export becomes canonical columns, without code.
//! A profile is TOML: a built-in by name (`canonical`, `zendesk`, `freshdesk`) or the
//! user's file; `extends` starts from another profile and overrides it key by key.

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// One value or a list of values.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn list(&self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Profile {
    /// A profile to start from (built-in name or path).
    pub extends: Option<String>,
    pub description: Option<String>,
    pub csv: CsvDialect,
    /// Cell values that mean "no value" (compared after trimming, case-sensitive).
    pub null_values: Option<Vec<String>>,
    pub booleans: Option<Booleans>,
    /// IANA timezone of naive timestamps in this export (default: the report's).
    pub timezone: Option<String>,
    /// canonical column = source column.
    pub columns: BTreeMap<String, String>,
    /// canonical column = a value for every row.
    pub constants: BTreeMap<String, String>,
    pub datetimes: BTreeMap<String, DatetimeSpec>,
    pub durations: BTreeMap<String, DurationSpec>,
    /// canonical timestamp = another canonical timestamp + a duration column.
    pub after: BTreeMap<String, AfterSpec>,
    /// canonical column → { source value = canonical value } (case-insensitive match).
    pub values: BTreeMap<String, BTreeMap<String, String>>,
    /// canonical column = one part of a source column split on a separator.
    pub split: BTreeMap<String, SplitSpec>,
    pub event_log: Option<EventLog>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct CsvDialect {
    /// `,` `;` `\t` (or "tab") `|`; absent or "auto": sniffed from the header line.
    pub separator: Option<String>,
    /// `1,5` means 1.5 in number columns.
    pub decimal_comma: bool,
    /// utf-8 (a BOM is skipped), windows-1252 or latin-1; "auto" (default): UTF-8 when
    /// the file is valid UTF-8, else Windows-1252.
    pub encoding: Option<String>,
    pub quote: Option<char>,
    /// Lines above the header to pass over (a title, a date, a blank line: reports
    /// exported from BI tools). Lines keep the file's numbers in messages.
    pub skip_lines: Option<usize>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Booleans {
    #[serde(rename = "true")]
    pub yes: Vec<String>,
    #[serde(rename = "false")]
    pub no: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatetimeSpec {
    pub column: Option<String>,
    /// A date column and a time column, joined with a space before parsing.
    pub date: Option<String>,
    pub time: Option<String>,
    /// strftime formats tried in order (after ISO 8601, which is always tried first).
    pub format: Option<OneOrMany>,
    /// "seconds" or "milliseconds" since 1970-01-01 UTC.
    pub epoch: Option<String>,
    pub timezone: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DurationSpec {
    pub column: Option<String>,
    /// seconds (default), minutes, hours, or hms (`HH:MM:SS`, `MM:SS`).
    pub unit: Option<String>,
    /// Or the difference of two timestamp columns (parsed like `[datetimes]` with `format`).
    pub start: Option<String>,
    pub end: Option<String>,
    pub format: Option<OneOrMany>,
    /// start and end as epoch "seconds" or "milliseconds".
    pub epoch: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AfterSpec {
    /// The canonical timestamp it starts from.
    pub base: String,
    pub column: String,
    #[serde(default)]
    pub unit: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SplitSpec {
    pub column: String,
    pub separator: String,
    /// 0-based part.
    pub index: usize,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EventLog {
    /// The source column that orders the events (a timestamp): the latest row of each
    /// id is kept (`latest_by` is the same key).
    #[serde(rename = "latest_by", alias = "order_by")]
    pub order_by: String,
    #[serde(default)]
    pub format: Option<OneOrMany>,
    /// canonical timestamp = the time of the earliest event of the id.
    #[serde(default)]
    pub first: Vec<String>,
    /// canonical timestamp = the time of the earliest event where a column has a value.
    #[serde(default)]
    pub first_when: BTreeMap<String, WhenSpec>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WhenSpec {
    pub column: String,
    pub equals: String,
}

const BUILT_IN: [(&str, &str); 3] = [
    ("canonical", include_str!("profiles/canonical.toml")),
    ("zendesk", include_str!("profiles/zendesk.toml")),
    ("freshdesk", include_str!("profiles/freshdesk.toml")),
];

pub fn built_in_names() -> Vec<&'static str> {
    BUILT_IN.iter().map(|(n, _)| *n).collect()
}

fn parse(text: &str, origin: &str) -> Result<Profile> {
    toml::from_str(text).map_err(|e| anyhow::anyhow!("profile {origin}: {e}"))
}

impl Profile {
    /// A built-in by name, or a file (relative to `base_dir`), with `extends` resolved.
    pub fn resolve(name: &str, base_dir: &Path) -> Result<Profile> {
        Self::resolve_depth(name, base_dir, 0)
    }

    fn resolve_depth(name: &str, base_dir: &Path, depth: usize) -> Result<Profile> {
        if depth > 8 {
            bail!("profile `{name}`: `extends` goes more than 8 levels deep (a cycle?)");
        }
        let (p, dir) = if let Some((_, text)) = BUILT_IN.iter().find(|(n, _)| *n == name) {
            (parse(text, &format!("`{name}` (built-in)"))?, base_dir.to_path_buf())
        } else {
            let path = base_dir.join(name);
            if !path.is_file() {
                bail!(
                    "profile `{name}`: not a built-in ({}) and no such file `{}`",
                    built_in_names().join(", "),
                    path.display()
                );
            }
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("failed to read profile `{}`", path.display()))?;
            (parse(&text, &format!("`{}`", path.display()))?, path.parent().map(Path::to_path_buf).unwrap_or_default())
        };
        match p.extends.clone() {
            Some(base) => Ok(Self::resolve_depth(&base, &dir, depth + 1)?.overridden_by(p)),
            None => Ok(p),
        }
    }

    /// `other` on top of `self`: its tables add to and replace entries, its set values win.
    fn overridden_by(mut self, o: Profile) -> Profile {
        self.extends = None;
        self.description = o.description.or(self.description);
        self.csv.separator = o.csv.separator.or(self.csv.separator);
        self.csv.decimal_comma |= o.csv.decimal_comma;
        self.csv.encoding = o.csv.encoding.or(self.csv.encoding);
        self.csv.quote = o.csv.quote.or(self.csv.quote);
        self.csv.skip_lines = o.csv.skip_lines.or(self.csv.skip_lines);
        self.null_values = o.null_values.or(self.null_values);
        self.booleans = o.booleans.or(self.booleans);
        self.timezone = o.timezone.or(self.timezone);
        self.columns.extend(o.columns);
        self.constants.extend(o.constants);
        self.datetimes.extend(o.datetimes);
        self.durations.extend(o.durations);
        self.after.extend(o.after);
        self.values.extend(o.values);
        self.split.extend(o.split);
        self.event_log = o.event_log.or(self.event_log);
        self
    }

    /// The source columns the profile names for a canonical column: a split's, a
    /// `[datetimes]` or `[durations]` spec's, an `[after]` offset's, else its
    /// `[columns]` entry; none where it reads the canonical name itself.
    pub fn named_sources(&self, canonical: &str) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(s) = self.split.get(canonical) {
            out.push(s.column.clone());
        }
        if let Some(d) = self.datetimes.get(canonical) {
            out.extend([&d.column, &d.date, &d.time].into_iter().flatten().cloned());
        }
        if let Some(d) = self.durations.get(canonical) {
            out.extend([&d.column, &d.start, &d.end].into_iter().flatten().cloned());
        }
        if let Some(a) = self.after.get(canonical) {
            out.push(a.column.clone());
        }
        if out.is_empty() {
            out.extend(self.columns.get(canonical).cloned());
        }
        out
    }

    /// Every column of the file this profile reads for `source`: the mapped names of
    /// its canonical columns, and the columns of splits, dates, durations and the
    /// event log.
    pub fn source_columns(&self, source: &str) -> Vec<String> {
        let (canonical, _) = crate::load::schema::columns(source);
        let mut out: Vec<String> =
            canonical.iter().map(|c| self.columns.get(c.name).cloned().unwrap_or_else(|| c.name.to_string())).collect();
        out.extend(self.split.values().map(|s| s.column.clone()));
        for d in self.datetimes.values() {
            out.extend([&d.column, &d.date, &d.time].into_iter().flatten().cloned());
        }
        for d in self.durations.values() {
            out.extend([&d.column, &d.start, &d.end].into_iter().flatten().cloned());
        }
        out.extend(self.after.values().map(|a| a.column.clone()));
        if let Some(e) = &self.event_log {
            out.push(e.order_by.clone());
        }
        out.sort();
        out.dedup();
        out
    }

    /// Source columns that only one canonical timestamp, date, number or label column
    /// reads, as it is (no constant, split, value map, duration, datetime spec or offset,
    /// no other use): a CSV reader may type them while it splits the records, without
    /// text in between (a label as each row's number among the block's distinct values).
    /// Numbers only without `decimal_comma`.
    pub fn direct_columns(&self, source: &str) -> Vec<(String, &'static str, crate::load::schema::Kind)> {
        use crate::load::schema::Kind;
        let (canonical, _) = crate::load::schema::columns(source);
        // Every use of a source column: Some(kind) when a canonical column reads it as it
        // is, None for any other use.
        let mut uses: BTreeMap<String, Vec<Option<(&'static str, Kind)>>> = BTreeMap::new();
        let mut other = |c: &String| uses.entry(c.clone()).or_default().push(None);
        self.split.values().for_each(|s| other(&s.column));
        for d in self.datetimes.values() {
            [&d.column, &d.date, &d.time].into_iter().flatten().for_each(&mut other);
        }
        for d in self.durations.values() {
            [&d.column, &d.start, &d.end].into_iter().flatten().for_each(&mut other);
        }
        self.after.values().for_each(|a| other(&a.column));
        if let Some(e) = &self.event_log {
            other(&e.order_by);
        }
        for c in canonical {
            let src = self.columns.get(c.name).cloned().unwrap_or_else(|| c.name.to_string());
            let elsewhere = self.constants.contains_key(c.name)
                || self.split.contains_key(c.name)
                || self.durations.contains_key(c.name)
                || self.datetimes.contains_key(c.name)
                || self.after.contains_key(c.name);
            if elsewhere {
                continue;
            }
            let plain = !self.values.contains_key(c.name)
                && match c.kind {
                    Kind::Timestamp | Kind::Date => true,
                    Kind::Number => !self.csv.decimal_comma,
                    Kind::Text | Kind::Code => crate::labels::is_label(c.name, c.kind),
                    Kind::Bool => false,
                };
            uses.entry(src).or_default().push(plain.then_some((c.name, c.kind)));
        }
        uses.into_iter()
            .filter_map(|(src, u)| match u.as_slice() {
                [Some((c, kind))] => Some((src, *c, *kind)),
                _ => None,
            })
            .collect()
    }

    pub fn null_tokens(&self) -> Vec<String> {
        self.null_values
            .clone()
            .unwrap_or_else(|| vec!["NA".into(), "N/A".into(), "n/a".into(), "NULL".into(), "null".into()])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_ins_parse() {
        for (name, _) in BUILT_IN {
            Profile::resolve(name, Path::new(".")).unwrap();
        }
    }

    #[test]
    fn extends_overrides_key_by_key() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("mine.toml"),
            "extends = \"zendesk\"\n[columns]\nreason = \"Contact reason [list]\"\n",
        )
        .unwrap();
        let p = Profile::resolve("mine.toml", dir.path()).unwrap();
        assert_eq!(p.columns["reason"], "Contact reason [list]");
        assert_eq!(p.columns["ticket_id"], "Id", "inherited from zendesk");
    }

    #[test]
    fn unknown_profile_lists_the_built_ins() {
        let e = Profile::resolve("zendsk", Path::new(".")).unwrap_err().to_string();
        assert!(e.contains("not a built-in (canonical, zendesk, freshdesk)"), "{e}");
    }

    #[test]
    fn a_typo_in_a_profile_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("p.toml"), "[colums]\nticket_id = \"Id\"\n").unwrap();
        let e = Profile::resolve("p.toml", dir.path()).unwrap_err().to_string();
        assert!(e.contains("colums"), "{e}");
    }
}

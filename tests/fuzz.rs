//! Fuzzing (proptest): mutated exports through the loaders, the mapping step, the
//! metrics and — for the second property — the whole `report` command, in process.
//! Whatever the bytes, csreport returns Ok or an Err with a message; it never panics.
//!
//! In `cargo test`: a fixed seed and a few hundred cases (seconds). A long run, with a
//! new seed each round until the time is up:
//!
//!     CSREPORT_FUZZ_MINUTES=30 cargo test --release --test fuzz -- --nocapture
//!
//! A failure prints the seed file, the mutations and the panic; proptest shrinks the
//! mutations to a minimal list first.

use clap::Parser;
use csreport::config::Config;
use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, RngAlgorithm, TestRng, TestRunner};
use std::path::Path;

/// Seed exports: (source, file name, profile, contents). Small, valid, and covering
/// CSV, JSON and NDJSON, the three built-in profiles and a French dialect.
const SEEDS: &[(&str, &str, &str, &[u8])] = &[
    ("tickets", "t.csv", "canonical", include_bytes!("fixtures/catalog/tickets.csv")),
    ("calls", "c.csv", "canonical", include_bytes!("fixtures/catalog/calls.csv")),
    ("surveys", "s.csv", "canonical", include_bytes!("fixtures/catalog/surveys.csv")),
    ("agent_time", "a.csv", "canonical", include_bytes!("fixtures/catalog/agent_time.csv")),
    ("tickets", "t.json", "canonical", include_bytes!("fixtures/tiny/tickets.json")),
    ("calls", "c.ndjson", "canonical", include_bytes!("fixtures/tiny/calls.ndjson")),
    ("surveys", "s.json", "canonical", include_bytes!("fixtures/tiny/surveys.json")),
    ("tickets", "t.csv", "zendesk", include_bytes!("fixtures/zendesk/tickets.csv")),
    ("tickets", "t.csv", "freshdesk", include_bytes!("fixtures/freshdesk/tickets.csv")),
    ("tickets", "t.csv", "fr-tickets.toml", include_bytes!("fixtures/french/tickets.csv")),
];

/// Tokens that break parsers: quoting, separators, line ends, encodings, numbers and
/// dates at their limits, formulas and markup.
const TOKENS: &[&[u8]] = &[
    b"\"",
    b",",
    b";",
    b"\t",
    b"\n",
    b"\r\n",
    b"\r",
    b"\0",
    b"\xEF\xBB\xBF",
    b"\xFF\xFE",
    b"\xE9",
    b"\xC3",
    b"{",
    b"}",
    b"[",
    b"]",
    b":",
    b"null",
    b"true",
    b"-1",
    b"0",
    b"-0",
    b"1e308",
    b"-1e308",
    b"NaN",
    b"inf",
    b"99999999999999999999",
    b"2026-02-30 10:00",
    b"2026-13-01",
    b"24:61:61",
    b"0000-01-01 00:00",
    b"9999-12-31 23:59:59",
    b"1970-01-01T00:00:00Z",
    b"2026-03-29 02:30",
    b"2026-10-25 02:30",
    b"+14:00",
    b"Z",
    b"\"\"",
    b"=HYPERLINK(\"http://x\")",
    b"<script>alert(1)</script>",
    b"![x](http://x/y.png)",
    b"{{ 1 }}",
    b"{% raw %}",
    b"solved",
    b"abandoned",
    b"csat",
    b"nps",
    b"urgent",
    b"99:99:99",
    b"1:2:3:4",
];

#[derive(Clone, Debug)]
enum Mutation {
    Flip { at: usize, byte: u8 },
    Insert { at: usize, token: usize },
    Delete { at: usize, len: usize },
    DuplicateLine { line: usize },
    SwapLines { a: usize, b: usize },
    Truncate { at: usize },
    RepeatTail { times: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        1 => (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Flip { at, byte }),
        4 => (any::<usize>(), 0..TOKENS.len()).prop_map(|(at, token)| Mutation::Insert { at, token }),
        1 => (any::<usize>(), 1..40usize).prop_map(|(at, len)| Mutation::Delete { at, len }),
        1 => any::<usize>().prop_map(|line| Mutation::DuplicateLine { line }),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines { a, b }),
        1 => any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        1 => (1..50usize).prop_map(|times| Mutation::RepeatTail { times }),
    ]
}

fn apply(seed: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut b = seed.to_vec();
    for m in mutations {
        let n = b.len().max(1);
        match *m {
            Mutation::Flip { at, byte } => {
                if !b.is_empty() {
                    b[at % n] = byte;
                }
            }
            Mutation::Insert { at, token } => {
                let at = at % (b.len() + 1);
                b.splice(at..at, TOKENS[token].iter().copied());
            }
            Mutation::Delete { at, len } => {
                let at = at % n;
                let end = (at + len).min(b.len());
                b.drain(at.min(end)..end);
            }
            Mutation::DuplicateLine { line } => {
                let mut lines: Vec<Vec<u8>> = b.split(|c| *c == b'\n').map(<[u8]>::to_vec).collect();
                let i = line % lines.len();
                lines.insert(i, lines[i].clone());
                b = lines.join(&b'\n');
            }
            Mutation::SwapLines { a, b: other } => {
                let mut lines: Vec<Vec<u8>> = b.split(|c| *c == b'\n').map(<[u8]>::to_vec).collect();
                let len = lines.len();
                lines.swap(a % len, other % len);
                b = lines.join(&b'\n');
            }
            Mutation::Truncate { at } => b.truncate(at % n),
            Mutation::RepeatTail { times } => {
                // Many copies of the last data line: more rows of the same shape.
                let tail: Vec<u8> = match b.iter().rposition(|c| *c == b'\n') {
                    Some(i) if i > 0 => {
                        let start = b[..i].iter().rposition(|c| *c == b'\n').map_or(0, |j| j + 1);
                        b[start..=i].to_vec()
                    }
                    _ => Vec::new(),
                };
                for _ in 0..times {
                    b.extend_from_slice(&tail);
                }
            }
        }
    }
    b
}

/// Writes the mutated input and a config reading it (the French seed brings its profile).
fn setup(dir: &Path, seed: usize, bytes: &[u8]) -> String {
    let (source, file, profile, _) = SEEDS[seed];
    std::fs::write(dir.join(file), bytes).unwrap();
    if profile.ends_with(".toml") {
        std::fs::write(dir.join(profile), include_str!("fixtures/french/fr-tickets.toml")).unwrap();
    }
    // agent_time is not an input on its own: it comes with the tickets it is about.
    let tickets = if source == "agent_time" {
        std::fs::write(dir.join("base.csv"), include_bytes!("fixtures/catalog/tickets.csv")).unwrap();
        "[inputs.tickets]\npath = \"base.csv\"\n\n"
    } else {
        ""
    };
    let csat = if profile == "zendesk" { "[tickets]\ncsat_min = 0\ncsat_max = 1\ncsat_rescale = true\n" } else { "" };
    let cfg = format!(
        "[report]\ntimezone = \"Europe/Paris\"\n\n[inputs.{source}]\npath = \"{file}\"\nprofile = \"{profile}\"\n\n{tickets}{csat}"
    );
    std::fs::write(dir.join("report.toml"), &cfg).unwrap();
    cfg
}

fn case() -> impl Strategy<Value = (usize, Vec<Mutation>)> {
    (0..SEEDS.len(), prop::collection::vec(mutation(), 0..8))
}

/// Loads, maps, prepares and computes one week and one quarter; errors are fine.
fn load_and_compute(seed: usize, mutations: &[Mutation]) -> Result<(), TestCaseError> {
    let tmp = tempfile::tempdir().unwrap();
    let bytes = apply(SEEDS[seed].3, mutations);
    let cfg_text = setup(tmp.path(), seed, &bytes);
    let cfg = Config::parse(&cfg_text, "fuzz/report.toml").expect("the fuzz config is valid");
    let as_of = 1_790_000_000_000; // 2026-09-21
    let Ok(mut data) = csreport::load::load_all(&cfg, tmp.path()) else { return Ok(()) };
    if csreport::metrics::prepare::prepare(&mut data, &cfg).is_err() {
        return Ok(());
    }
    for p in ["2026-W13", "2026-Q3", "2026-09"] {
        let period = csreport::period::Period::parse(p).unwrap();
        let _ = csreport::metrics::compute(&data, &cfg, &period, as_of);
    }
    Ok(())
}

/// The whole `report` command (HTML, Markdown, charts, tables, XLSX, e-mail file).
fn whole_report(seed: usize, mutations: &[Mutation]) -> Result<(), TestCaseError> {
    let tmp = tempfile::tempdir().unwrap();
    let bytes = apply(SEEDS[seed].3, mutations);
    setup(tmp.path(), seed, &bytes);
    let cfg = tmp.path().join("report.toml");
    for period in ["2026-W13", "2026-Q3"] {
        let out = tmp.path().join(period);
        let cli = csreport::cli::Cli::try_parse_from([
            "csreport",
            "report",
            "-c",
            cfg.to_str().unwrap(),
            "--period",
            period,
            "--as-of",
            "2026-09-21T12:00:00",
            "--out",
            out.to_str().unwrap(),
            "-q",
        ])
        .unwrap();
        if csreport::run(cli).is_ok() {
            prop_assert!(out.join("report.html").is_file() && out.join("report.md").is_file());
        } else {
            prop_assert!(!out.exists(), "a failed run left a report folder");
        }
    }
    // No staging folder is left behind, whatever happened.
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().flatten().map(|e| e.file_name()).collect();
    prop_assert!(left.iter().all(|f| !f.to_string_lossy().contains("csreport-tmp")), "{left:?}");
    Ok(())
}

fn runner(cases: u32, seed: u64) -> TestRunner {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let config = RunnerConfig { cases, failure_persistence: None, ..RunnerConfig::default() };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes))
}

fn minutes() -> Option<f64> {
    std::env::var("CSREPORT_FUZZ_MINUTES").ok().map(|m| m.parse().expect("CSREPORT_FUZZ_MINUTES is a number"))
}

/// Runs `property` with a fixed seed, or round after round with new seeds for
/// CSREPORT_FUZZ_MINUTES minutes; prints how many cases ran.
fn fuzz(name: &str, ci_cases: u32, round: u32, property: fn(usize, &[Mutation]) -> Result<(), TestCaseError>) {
    let check = |runner: &mut TestRunner| {
        if let Err(e) = runner.run(&case(), |(seed, m)| property(seed, &m)) {
            panic!("{name}: {e}");
        }
    };
    let Some(minutes) = minutes() else {
        check(&mut runner(ci_cases, 20261123));
        return;
    };
    let start = std::time::Instant::now();
    let (mut seed, mut cases) = (1u64, 0u64);
    while start.elapsed().as_secs_f64() < minutes * 60.0 {
        check(&mut runner(round, seed));
        cases += round as u64;
        seed += 1;
    }
    println!("{name}: {cases} cases in {:.1} min without a panic", start.elapsed().as_secs_f64() / 60.0);
}

#[test]
fn loaders_mapping_and_metrics_never_panic() {
    fuzz("loaders", 300, 500, load_and_compute);
}

#[test]
fn the_whole_report_never_panics() {
    fuzz("report", 40, 50, whole_report);
}

#[test]
fn mutations_do_what_they_say() {
    assert_eq!(apply(b"a,b\n1,2\n", &[Mutation::Insert { at: 2, token: 0 }]), b"a,\"b\n1,2\n");
    assert_eq!(apply(b"a,b\n1,2\n", &[Mutation::DuplicateLine { line: 1 }]), b"a,b\n1,2\n1,2\n");
    assert_eq!(apply(b"a,b\n1,2\n", &[Mutation::RepeatTail { times: 2 }]), b"a,b\n1,2\n1,2\n1,2\n");
    assert_eq!(apply(b"a,b\n1,2\n", &[Mutation::Truncate { at: 5 }]), b"a,b\n1");
}

//! The user docs that are generated from code stay in step with it.
//! `CSREPORT_BLESS=1 cargo test --release --test docs` rewrites them; review the diff.

#[test]
fn metrics_doc_matches_the_registry() {
    let path =
        std::path::Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("run by cargo test")).join("docs/metrics.md");
    let want = csreport::metrics::catalog::markdown();
    if std::env::var_os("CSREPORT_BLESS").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(have == want, "docs/metrics.md is out of date: run CSREPORT_BLESS=1 cargo test --release --test docs");
}

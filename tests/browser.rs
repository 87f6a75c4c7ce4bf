//! report.html in a real browser: headless Chromium (Debian's `chromium`, installed by
//! .ci/run) opens it from a file URL. No console message, no network request, every
//! chart drawn, a desktop and a phone screenshot kept, and printing to PDF gives a
//! sensible number of pages. Each check is first shown to catch a page that breaks it.
//!
//! Without a browser the test says so and passes, unless CI is set (then it fails).
//! CSREPORT_CHROMIUM names the browser binary when it is not `chromium` on the PATH.

use std::path::{Path, PathBuf};
use std::process::Command;

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CSREPORT_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|b| std::env::split_paths(&path).map(move |d| d.join(b)))
        .find(|p| p.is_file())
}

struct Page {
    /// The DOM after load.
    dom: String,
    /// Console messages the page produced.
    console: Vec<String>,
    /// Network requests made for the page (not the browser's own).
    requests: Vec<String>,
}

fn flags(profile: &Path) -> Vec<String> {
    [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([format!("--user-data-dir={}", profile.display())])
    .collect()
}

fn browse(browser: &Path, file: &Path, work: &Path) -> Page {
    let net = work.join("net.json");
    let out = Command::new(browser)
        .args(flags(&work.join("profile")))
        .args(["--enable-logging=stderr", "--v=0", "--virtual-time-budget=3000"])
        .arg(format!("--log-net-log={}", net.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", file.display()))
        .output()
        .expect("the browser runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let console = stderr.lines().filter(|l| l.contains(":CONSOLE")).map(str::to_string).collect();
    let log: serde_json::Value = serde_json::from_slice(&std::fs::read(&net).expect("a net log")).expect("JSON");
    let mut requests: Vec<String> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| {
            let p = &e["params"];
            let url = p["url"].as_str()?;
            // Requests on the page's behalf carry its (file://) isolation key; the
            // browser's own (updates, sign-in) do not.
            let for_page = p["network_isolation_key"].as_str().is_some_and(|k| k.contains("file://"));
            (for_page && !url.starts_with("file:") && !url.starts_with("data:")).then(|| url.to_string())
        })
        .collect();
    requests.sort();
    requests.dedup();
    Page { dom: String::from_utf8_lossy(&out.stdout).into_owned(), console, requests }
}

fn capture(browser: &Path, file: &Path, work: &Path, what: &[&str]) {
    let out = Command::new(browser)
        .args(flags(&work.join("profile")))
        .args(what)
        .arg(format!("file://{}", file.display()))
        .output()
        .expect("the browser runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

fn pdf_pages(pdf: &[u8]) -> usize {
    let text = String::from_utf8_lossy(pdf);
    text.match_indices("/Type /Page").filter(|(i, _)| !text[i + 10..].starts_with('s')).count()
}

#[test]
fn the_report_opens_cleanly_in_chromium_and_prints() {
    let Some(browser) = chromium() else {
        assert!(std::env::var_os("CI").is_none(), "CI must have chromium (.ci/run installs it)");
        eprintln!("skipped: no chromium on the PATH (set CSREPORT_CHROMIUM)");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path();
    // First, the checks catch what they look for: a script that logs, an image from
    // the network.
    let bad = work.join("bad.html");
    std::fs::write(
        &bad,
        "<html><body><img src=\"http://example.invalid/x.png\"><script>console.error('boom')</script></body></html>",
    )
    .unwrap();
    let page = browse(&browser, &bad, &work.join("bad"));
    assert!(page.console.iter().any(|l| l.contains("boom")), "console not seen: {:?}", page.console);
    assert_eq!(page.requests, ["http://example.invalid/x.png"]);

    // The sample report.
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("run by cargo test"));
    let out = work.join("q3");
    let run = Command::new(env!("CARGO_BIN_EXE_csreport"))
        .args(["report", "-c", root.join("sample-data/report.toml").to_str().unwrap()])
        .args(["--period", "2026-Q3", "--as-of", "2026-11-23T06:00:00", "-q", "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let html = out.join("report.html");
    let page = browse(&browser, &html, &work.join("report"));
    assert!(page.console.is_empty(), "console messages: {:#?}", page.console);
    assert!(page.requests.is_empty(), "network requests: {:#?}", page.requests);
    // Every chart is in the rendered page as an SVG inside its figure, with its title.
    let figures = page.dom.matches("<figure").count();
    assert_eq!(figures, 10, "figures in the DOM");
    for id in std::fs::read_dir(out.join("charts")).unwrap().flatten() {
        let name = id.file_name().to_string_lossy().to_string();
        if name.ends_with(".svg") && !name.starts_with("spark_") {
            let svg = std::fs::read_to_string(id.path()).unwrap();
            let title = svg.split("<text").nth(1).and_then(|t| t.split('>').nth(1)).unwrap_or("").split('<').next();
            assert!(page.dom.contains(title.unwrap_or("")), "{name}: its title is not on the page");
        }
    }
    assert_eq!(page.dom.matches("<svg").count(), 10 + 16, "charts and sparklines drawn");

    // Screenshots kept for review (desktop and phone widths), and the PDF.
    let keep = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser");
    std::fs::create_dir_all(&keep).unwrap();
    let desktop = keep.join("report-desktop.png");
    let phone = keep.join("report-phone.png");
    let pdf = keep.join("report.pdf");
    capture(&browser, &html, work, &["--window-size=1280,4000", &format!("--screenshot={}", desktop.display())]);
    capture(&browser, &html, work, &["--window-size=390,6000", &format!("--screenshot={}", phone.display())]);
    capture(&browser, &html, work, &["--no-pdf-header-footer", &format!("--print-to-pdf={}", pdf.display())]);
    for shot in [&desktop, &phone] {
        let png = std::fs::read(shot).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{}", shot.display());
        assert!(png.len() > 50_000, "{} looks blank ({} bytes)", shot.display(), png.len());
    }
    let pages = pdf_pages(&std::fs::read(&pdf).unwrap());
    // A quarter's report: summary, scorecard, drivers, ten charts, the plan and the
    // appendix — more than a leaflet, less than a book.
    assert!((6..=30).contains(&pages), "{pages} pages");
    eprintln!("kept {} and {} ({pages}-page {})", desktop.display(), phone.display(), pdf.display());
}

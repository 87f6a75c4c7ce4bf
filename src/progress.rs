//! Stage progress on stderr: a bar on a terminal, nothing in pipes, cron or --quiet;
//! with --timings, each stage's wall time (and, on Linux, the peak memory so far) on
//! stderr at the end.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::cell::RefCell;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

pub struct Progress {
    bar: ProgressBar,
    timings: bool,
    verbose: bool,
    /// Each stage's name, start, and the peak RSS when it started (the previous stage's).
    stages: RefCell<Vec<(&'static str, Instant, Option<u64>)>>,
}

/// The process's peak resident memory so far, in MB (Linux: VmHWM).
pub fn peak_rss_mb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.trim_start_matches("VmHWM:").trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kb / 1024)
}

impl Progress {
    pub fn new(stages: u64, quiet: bool, timings: bool, verbose: bool) -> Progress {
        let visible = !quiet && !verbose && std::io::stderr().is_terminal();
        let bar = ProgressBar::with_draw_target(
            Some(stages),
            if visible { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() },
        );
        if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}") {
            bar.set_style(style);
        }
        Progress { bar, timings, verbose, stages: RefCell::new(Vec::new()) }
    }

    /// Mark the start of a stage (and the end of the one before).
    pub fn stage(&self, name: &'static str) {
        let peak = if self.timings { peak_rss_mb() } else { None };
        self.stages.borrow_mut().push((name, Instant::now(), peak));
        if self.verbose {
            eprintln!("csreport: stage {name}");
        }
        self.bar.set_message(name);
        self.bar.inc(1);
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
        if self.timings {
            let (end, end_peak) = (Instant::now(), peak_rss_mb());
            let stages = self.stages.borrow();
            let mut total = Duration::ZERO;
            let peak = |p: Option<u64>| p.map(|mb| format!("   peak RSS {mb:>6} MB")).unwrap_or_default();
            for (i, (name, start, _)) in stages.iter().enumerate() {
                let (next, next_peak) = stages.get(i + 1).map(|s| (s.1, s.2)).unwrap_or((end, end_peak));
                let d = next - *start;
                total += d;
                eprintln!("csreport: timing {name:<10} {:>9.3} s{}", d.as_secs_f64(), peak(next_peak));
            }
            eprintln!("csreport: timing {:<10} {:>9.3} s{}", "total", total.as_secs_f64(), peak(end_peak));
        }
    }
}

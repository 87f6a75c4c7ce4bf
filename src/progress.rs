//! Stage progress on stderr: a bar on a terminal, nothing in pipes, cron or --quiet;
//! with --timings, each stage's wall time on stderr at the end.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::cell::RefCell;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

pub struct Progress {
    bar: ProgressBar,
    timings: bool,
    verbose: bool,
    stages: RefCell<Vec<(&'static str, Instant)>>,
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
        self.stages.borrow_mut().push((name, Instant::now()));
        if self.verbose {
            eprintln!("csreport: stage {name}");
        }
        self.bar.set_message(name);
        self.bar.inc(1);
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
        if self.timings {
            let end = Instant::now();
            let stages = self.stages.borrow();
            let mut total = Duration::ZERO;
            for (i, (name, start)) in stages.iter().enumerate() {
                let next = stages.get(i + 1).map(|s| s.1).unwrap_or(end);
                let d = next - *start;
                total += d;
                eprintln!("csreport: timing {name:<10} {:>9.3} s", d.as_secs_f64());
            }
            eprintln!("csreport: timing {:<10} {:>9.3} s", "total", total.as_secs_f64());
        }
    }
}

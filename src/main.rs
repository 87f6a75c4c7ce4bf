use clap::Parser;
use std::process::ExitCode;

// polars allocates and frees large buffers in every query; the system allocator hands
// them back to the kernel and faults them in again (zeroing pages was a third of W1's
// profile), mimalloc keeps and reuses them.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `purge_delay` option (its place in `mi_option_e`, mimalloc v3's
/// include/mimalloc.h; the Rust bindings do not name it), and v3's default for it.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
const V3_PURGE_DELAY_MS: i64 = 1000;

/// How long freed memory is kept before it goes back to the system: mimalloc v3 keeps
/// it for 1 s, longer than most of a report's stages, so every stage's freed buffers
/// stayed resident beside the next one's (W1: peak 560-650 MB, 30 ms: 440-485 MB, for
/// 8-10% more time faulting pages in again; the CSV is 423 MB). A MIMALLOC_PURGE_DELAY
/// set in the environment is mimalloc's own setting and is left as it is.
const PURGE_DELAY_MS: i64 = 30;

/// Sets the purge delay, only where the option holds v3's default (not another
/// option's value, were the numbering to change; not a value set in the environment).
#[allow(unsafe_code)]
fn set_purge_delay(ms: i64) {
    // SAFETY: mi_option_get and mi_option_set read and store a number in mimalloc's
    // option table (no pointers); mimalloc reads it whenever it next considers purging.
    unsafe {
        if libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) as i64 == V3_PURGE_DELAY_MS {
            libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, ms as _);
        }
    }
}

fn main() -> ExitCode {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        set_purge_delay(PURGE_DELAY_MS);
    }
    let cli = csreport::cli::Cli::parse();
    match csreport::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("csreport: error: {e:#}");
            ExitCode::from(csreport::exit::BAD_INPUT)
        }
    }
}

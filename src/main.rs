use clap::Parser;
use std::process::ExitCode;

// polars allocates and frees large buffers in every query; the system allocator hands
// them back to the kernel and faults them in again (zeroing pages was a third of W1's
// profile), mimalloc keeps and reuses them.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = csreport::cli::Cli::parse();
    match csreport::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("csreport: error: {e:#}");
            ExitCode::from(csreport::exit::BAD_INPUT)
        }
    }
}

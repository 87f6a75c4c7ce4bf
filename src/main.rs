use clap::Parser;
use std::process::ExitCode;

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

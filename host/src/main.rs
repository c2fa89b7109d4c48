//! The `sluice` binary.

use clap::Parser;
use std::io::IsTerminal;

/// Errors an operator causes (a port in use, a bad value, a database that
/// does not answer) print as one line, their causes joined; a backtrace
/// only with `RUST_BACKTRACE=1`.
fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            let backtrace = std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0");
            if backtrace {
                eprintln!("sluice: {error:?}");
            } else {
                eprintln!("sluice: {error:#}");
            }
            std::process::ExitCode::FAILURE
        }
    }
}

/// The log (the gateway's access log is one line per request) is written
/// to stderr by a thread of its own, in batches
/// ([`sluice::log_writer`]): no request waits on a write(2) or wakes a
/// thread, and every line is written before the process exits.
fn run() -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SLUICE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let (writer, _flush_on_exit) = sluice::log_writer::spawn("sluice-log", std::io::stderr())?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(writer)
        .init();
    let cli = sluice::cli::Cli::parse();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(sluice::cli::main(cli))
}

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

/// How many log lines may wait for the log's thread: about a megabyte.
const LOG_BUFFER_LINES: usize = 8192;

/// The log (the gateway's access log is one line per request) is written
/// to stderr by a thread of its own, so no request waits on a write(2).
/// When [`LOG_BUFFER_LINES`] lines wait, the thread logging waits rather
/// than drop a line; every line is flushed before the process exits.
/// Colours only on a terminal, never escape codes in a log file.
fn run() -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SLUICE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let (writer, _flush_on_exit) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .buffered_lines_limit(LOG_BUFFER_LINES)
        .thread_name("sluice-log")
        .finish(std::io::stderr());
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

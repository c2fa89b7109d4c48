//! The `sluice` binary.

use clap::Parser;

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

fn run() -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SLUICE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let cli = sluice::cli::Cli::parse();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(sluice::cli::main(cli))
}

//! The WASI a rule may import: the deterministic part of WASI p2, so that a
//! rule built by an ordinary toolchain (std Rust for wasm32-wasip2 imports
//! wasi:cli, wasi:io, wasi:clocks, wasi:random and wasi:filesystem whether
//! it uses them or not) runs, and still gives the same answer to the same
//! input:
//!
//! - no files: the filesystem is linked with no preopened directory;
//! - no network: wasi:sockets (and anything not listed in [`ALLOWED`]) is
//!   refused at upload, and the context allows no socket anyway;
//! - no environment, no arguments, stdin empty;
//! - clocks fixed at the Unix epoch, randomness from a fixed seed;
//! - stdout and stderr go to the rule's [`RuleLog`], cut at [`MAX_LOG_BYTES`]
//!   (the rest is dropped, never an error: `println!` must not trap).

use super::limits::MAX_LOG_BYTES;
use bytes::Bytes;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use wasmtime::component::{Linker, ResourceTable};
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};
use wasmtime_wasi::{
    Deterministic, HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxView, WasiView,
};

/// The WASI p2 (0.2.x) interfaces a rule may import.
pub const ALLOWED: &[&str] = &[
    "wasi:io/error",
    "wasi:io/poll",
    "wasi:io/streams",
    "wasi:cli/environment",
    "wasi:cli/exit",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:cli/terminal-stderr",
    "wasi:clocks/wall-clock",
    "wasi:clocks/monotonic-clock",
    "wasi:random/random",
    "wasi:random/insecure",
    "wasi:random/insecure-seed",
    "wasi:filesystem/types",
    "wasi:filesystem/preopens",
];

/// The imports among `imports` that a rule may not have.
pub fn refused<'a>(imports: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    imports
        .into_iter()
        .filter(|name| {
            let allowed = name
                .split_once("@0.2.")
                .is_some_and(|(interface, _)| ALLOWED.contains(&interface));
            !allowed
        })
        .collect()
}

/// Links WASI p2 for rules; [`refused`] keeps out what must not be used.
pub fn add_to_linker<T: WasiView>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
    wasmtime_wasi::p2::add_to_linker_async(linker)
}

/// The WASI state of one rule run.
pub struct RuleWasi {
    ctx: WasiCtx,
    table: ResourceTable,
    pub log: RuleLog,
}

impl RuleWasi {
    /// A fresh, restricted context: every run starts from the same state.
    pub fn new() -> RuleWasi {
        let log = RuleLog::default();
        let ctx = WasiCtx::builder()
            .stdout(log.clone())
            .stderr(log.clone())
            .wall_clock(Epoch)
            .monotonic_clock(Epoch)
            .secure_random(Deterministic::new(SEED.to_vec()))
            .insecure_random(Deterministic::new(SEED.to_vec()))
            .insecure_random_seed(0)
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        RuleWasi {
            ctx,
            table: ResourceTable::new(),
            log,
        }
    }

    pub fn view(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.ctx,
            table: &mut self.table,
        }
    }
}

/// The bytes every rule's randomness cycles through.
const SEED: [u8; 8] = [0x5e, 0x1c, 0xe5, 0x7a, 0x91, 0x3b, 0xd2, 0x46];

/// Both clocks, stopped at the Unix epoch.
struct Epoch;

impl HostWallClock for Epoch {
    fn resolution(&self) -> Duration {
        Duration::from_nanos(1)
    }
    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

impl HostMonotonicClock for Epoch {
    fn resolution(&self) -> u64 {
        1
    }
    fn now(&self) -> u64 {
        0
    }
}

/// What a rule wrote to stdout and stderr, up to [`MAX_LOG_BYTES`].
#[derive(Clone, Default)]
pub struct RuleLog(Arc<Mutex<LogBuffer>>);

#[derive(Default)]
struct LogBuffer {
    bytes: Vec<u8>,
    dropped: usize,
}

impl RuleLog {
    fn append(&self, bytes: &[u8]) {
        let mut buffer = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let room = MAX_LOG_BYTES.saturating_sub(buffer.bytes.len());
        let kept = bytes.len().min(room);
        buffer.bytes.extend_from_slice(&bytes[..kept]);
        buffer.dropped += bytes.len() - kept;
    }

    /// The log as text, ending with how much was cut, if anything was.
    pub fn text(&self) -> String {
        let buffer = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let mut text = String::from_utf8_lossy(&buffer.bytes).into_owned();
        if buffer.dropped > 0 {
            text.push_str(&format!(
                "\n[log cut at {MAX_LOG_BYTES} bytes: {} more dropped]",
                buffer.dropped
            ));
        }
        text
    }
}

impl IsTerminal for RuleLog {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for RuleLog {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

/// How much a rule may hand over in one write (the usual WASI permit).
const PERMIT: usize = 64 << 10;

impl OutputStream for RuleLog {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.append(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(PERMIT)
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for RuleLog {
    async fn ready(&mut self) {}
}

impl tokio::io::AsyncWrite for RuleLog {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        bytes: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.append(bytes);
        Poll::Ready(Ok(bytes.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_deterministic_part_of_wasi_is_allowed() {
        let imports = [
            "wasi:io/streams@0.2.6",
            "wasi:cli/environment@0.2.6",
            "wasi:clocks/wall-clock@0.2.0",
            "wasi:random/random@0.2.6",
            "wasi:filesystem/preopens@0.2.6",
            "wasi:sockets/tcp@0.2.6",
            "wasi:http/outgoing-handler@0.2.6",
            "sluice:platform/sql@0.1.0",
            "wasi:cli/environmental@0.2.6",
            "wasi:cli/stdout@0.3.0",
        ];
        assert_eq!(
            refused(imports),
            [
                "wasi:sockets/tcp@0.2.6",
                "wasi:http/outgoing-handler@0.2.6",
                "sluice:platform/sql@0.1.0",
                "wasi:cli/environmental@0.2.6",
                "wasi:cli/stdout@0.3.0",
            ]
        );
    }

    #[test]
    fn the_log_keeps_its_cap_and_says_what_it_dropped() {
        let log = RuleLog::default();
        log.append(b"hello\n");
        assert_eq!(log.text(), "hello\n");
        log.append(&vec![b'x'; MAX_LOG_BYTES]);
        let text = log.text();
        assert!(text.starts_with("hello\nxxx"));
        assert!(
            text.ends_with("[log cut at 4096 bytes: 6 more dropped]"),
            "{text}"
        );
    }
}

//! The limits every tenant rule runs under, in the spirit of Shopify
//! Functions (about 11 million instructions, 256 kB binary, 10 MB memory,
//! 128 kB input, 20 kB output).

use std::time::Duration;

/// The largest rule component accepted at upload.
pub const MAX_COMPONENT_BYTES: usize = 256 << 10;

/// Instructions (wasmtime fuel: one per wasm operator, and one per byte or
/// element of bulk memory and table operations) per call, instantiation
/// included.
pub const FUEL: u64 = 11_000_000;

/// Linear memory a rule may grow to.
pub const MAX_MEMORY_BYTES: usize = 10 << 20;

/// Wall-clock time a call may take, instantiation included. Fuel bounds the
/// work (11 million instructions take about 10 ms here); the deadline bounds
/// the time even when the machine is busy.
pub const DEADLINE: Duration = Duration::from_millis(50);

/// Rule runs in flight at once in one host (the rule engine's instance
/// pool; a run beyond it waits for a slot to free up).
pub const MAX_CONCURRENT_RUNS: u32 = 256;

/// How often the rule engine checks the deadline (and yields to other tasks
/// on the thread).
pub const TICK: Duration = Duration::from_millis(2);

/// The size of a rule's input: its strings and customer attributes.
pub const MAX_INPUT_BYTES: usize = 128 << 10;

/// The size of a rule's output: its reason.
pub const MAX_OUTPUT_BYTES: usize = 20 << 10;

/// What a rule writes to stdout and stderr is kept up to this many bytes
/// (the rule's log); the rest is dropped.
pub const MAX_LOG_BYTES: usize = 4 << 10;

/// A reason longer than this is cut (with "…") before it is shown in a quote.
pub const MAX_REASON_CHARS: usize = 200;

/// The per-run budgets: [`FUEL`] and [`DEADLINE`] unless a test or
/// benchmark needs other numbers.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub fuel: u64,
    pub deadline: Duration,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            fuel: FUEL,
            deadline: DEADLINE,
        }
    }
}

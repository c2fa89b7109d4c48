//! Tenant pricing rules: components of the `pricing-rule` world that a
//! tenant uploads and pricing runs as the last step of each quote line.
//!
//! A rule is untrusted code. It runs in an engine of its own (fuel metering
//! costs every instruction, so the service engine does not pay for it), in a
//! fresh store per call, with the [`limits`] Shopify Functions made familiar:
//! an instruction budget, a linear-memory cap, a wall-clock deadline, and
//! caps on the component's size and on its input and output. What can be
//! known at upload (size, a valid component, imports nothing but the
//! restricted WASI of [`wasi`], exports `rule`, instantiates within the caps) is checked there; what it does when run is
//! contained at run time: the quote falls back to the price without it and
//! says why, a metric counts it, nothing else is affected.

mod last_run;
pub mod limits;
mod metrics;
mod registry;
mod sandbox;
pub mod shared;
mod wasi;

pub use last_run::LastRun;
pub use metrics::RuleMetrics;
pub use registry::{Rejected, RuleRegistry};
pub use sandbox::{Outcome, Ran, RuleInput, RuleOutput};

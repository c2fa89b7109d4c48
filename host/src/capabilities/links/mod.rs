//! Linked imports: interfaces one service exports and another imports
//! (order imports catalog's `stock` and pricing's `quote`). The host links
//! them: each call runs in a fresh instance of the callee's active version,
//! in the callee's own store with the callee's own capabilities — never the
//! caller's — on a task of its own (a guest awaiting a host import cannot
//! drive another store from inside that import). On the thread-per-core
//! front doors that task stays on the caller's thread, so a linked call
//! costs a task hand-off on one thread, not a hop between threads.
//!
//! Calls into a service can be slowed or failed on purpose ([`LinkFaults`],
//! `[services.NAME.faults]`): the way to watch concurrency and compensation
//! work in a running system.

mod convert;
mod faults;
mod host;

pub use faults::LinkFaults;
pub use host::add_to_linker;

use crate::service::Service;
use std::sync::Arc;

/// One linked service: where calls go, and the faults injected into them.
#[derive(Clone)]
pub struct Link {
    pub service: Arc<Service>,
    pub faults: LinkFaults,
}

/// The services a service's linked imports call; `None` where the service
/// does not import that interface (a call then fails as unavailable).
#[derive(Clone, Default)]
pub struct LinksState {
    /// The service exporting `stock` (catalog).
    pub stock: Option<Link>,
    /// The service exporting `quote` (pricing).
    pub quote: Option<Link>,
}

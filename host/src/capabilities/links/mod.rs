//! Linked imports: interfaces one service exports and another imports
//! (order imports catalog's `stock` and pricing's `quote`; pricing imports
//! catalog's `products`). Who serves an import is read from the WIT worlds
//! ([`crate::manifest`]). The host links each import to a [`Callee`]:
//!
//! - [`Callee::Local`], when this node runs the service: the calls run in an
//!   instance of the callee's active version, in the callee's own store
//!   with the callee's own capabilities — never the caller's — on a task of
//!   its own (a guest awaiting a host import cannot drive another store from
//!   inside that import). One caller instance's calls to one service share
//!   one such instance, its [`Session`] ([`session`]). On the
//!   thread-per-core front doors that task stays on the caller's thread: a
//!   task hand-off, no network hop.
//! - [`Callee::Remote`], when it runs on other nodes: the call goes over
//!   HTTP to a healthy instance found through discovery ([`remote`]), which
//!   answers it on its internal route ([`serve`]) with the same local call.
//!
//! Same WIT types, same errors either way; a callee that cannot be reached
//! is the interface's `unavailable` error.
//!
//! Calls into a service can be slowed or failed on purpose ([`LinkFaults`],
//! `[services.NAME.faults]`): the way to watch concurrency and compensation
//! work in a running system.

mod convert;
mod faults;
mod host;
mod remote;
mod serve;
mod session;

pub use faults::LinkFaults;
pub use host::add_to_linker;
pub use remote::{CallConfig, RemoteService};
pub use serve::{CALL_PREFIX, MAX_CALL_BYTES, answer_call};
pub use session::{Session, Sessions};

use crate::service::Service;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Where the calls of one linked import go.
#[derive(Clone)]
pub enum Callee {
    /// The service runs in this process.
    Local(Arc<Service>),
    /// The service runs on other nodes.
    Remote(Arc<RemoteService>),
    /// The service runs in this process, and the calls go to the caller's
    /// session with it (never configured: made per call from `Local`).
    Session(Session),
}

/// One linked service: where calls go, and the faults injected into them.
#[derive(Clone)]
pub struct Link {
    pub callee: Callee,
    pub faults: LinkFaults,
}

impl Link {
    /// Calls into `service` in this process, without faults.
    pub fn local(service: Arc<Service>) -> Link {
        Link {
            callee: Callee::Local(service),
            faults: LinkFaults::default(),
        }
    }

    /// The callee service's name.
    pub fn service_name(&self) -> &str {
        match &self.callee {
            Callee::Local(service) => &service.name,
            Callee::Remote(remote) => remote.service(),
            Callee::Session(session) => &session.service().name,
        }
    }
}

/// The links of one service's imports, by interface (`stock`, `quote`,
/// `products`). An import without a link fails as unavailable.
#[derive(Clone, Default)]
pub struct LinksState {
    links: BTreeMap<String, Link>,
}

impl LinksState {
    /// Links `interface` to `link`.
    pub fn insert(&mut self, interface: &str, link: Link) {
        self.links.insert(interface.to_string(), link);
    }

    /// The link of `interface`, if it has one.
    pub fn get(&self, interface: &str) -> Option<&Link> {
        self.links.get(interface)
    }
}

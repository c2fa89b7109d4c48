//! The test host: what the services' native unit tests run on in place of
//! the wasm host. A service's real SQL runs on an in-memory SQLite ([`Db`])
//! built by its own migrations and behaving as the host's SQLite backend
//! does (foreign keys on, batches in one immediate transaction, the same
//! error cases), so a test checks the statements themselves, not a fake
//! that matches their text. [`TestHost`] adds the other shared ports as
//! fakes a test drives and inspects: a clock that stands still until moved,
//! a cache on that clock, fake tokens ([`crate::token::fake_claims`]),
//! settings, a captured log and recorded pauses; injected failures and
//! hooks play out outages and races between instances.
//!
//! Single-threaded, like a component: nothing waits, so
//! `futures::executor::block_on` (or `now_or_never`) drives the services'
//! futures.

mod cache;
mod db;
mod delegate;
mod host;
mod replies;

#[cfg(test)]
mod db_tests;
#[cfg(test)]
mod host_tests;

pub use cache::DEFAULT_CACHE_TTL_MS;
pub use db::Db;
pub use host::TestHost;
pub use replies::{assert_error, json_of};

use crate::ports::Level;

/// What the fake clock says until a test moves it: 2023-11-14T22:13:20Z.
pub const START_MS: u64 = 1_700_000_000_000;

/// One captured log record: level, message, fields.
pub type LogRecord = (Level, String, Vec<(String, String)>);

/// A request as the wasm glue would hand it over: `headers` as given, the
/// body in chunks of 1000 bytes (so handlers read it as a stream).
pub fn request(
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> crate::http::Request<crate::body::Chunks> {
    crate::http::Request {
        method: method.into(),
        path: path.into(),
        headers: headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec()))
            .collect(),
        body: crate::body::Chunks::new(body.to_vec(), 1000),
    }
}

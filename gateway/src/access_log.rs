//! The access log: one `tracing` event per request, at info level, under the
//! `sluice_gateway::access` target.

use crate::request_id::RequestId;
use http::{Method, StatusCode};
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

/// The upstream a request was sent to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Upstream {
    pub(crate) service: String,
    pub(crate) addr: SocketAddr,
}

impl fmt::Display for Upstream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.service, self.addr)
    }
}

/// One finished request (up to its response head).
pub(crate) struct AccessEntry<'a> {
    pub(crate) method: &'a Method,
    pub(crate) path: &'a str,
    pub(crate) status: StatusCode,
    pub(crate) elapsed: Duration,
    pub(crate) request_id: &'a RequestId,
    pub(crate) upstream: Option<&'a Upstream>,
}

impl AccessEntry<'_> {
    pub(crate) fn emit(&self) {
        let upstream = self
            .upstream
            .map_or_else(|| "-".to_owned(), Upstream::to_string);
        tracing::info!(
            target: "sluice_gateway::access",
            method = %self.method,
            path = self.path,
            status = self.status.as_u16(),
            duration_us = u64::try_from(self.elapsed.as_micros()).unwrap_or(u64::MAX),
            request_id = %self.request_id,
            upstream = %upstream,
            "request"
        );
    }
}

//! [`Outgoing`]: a client request turned into what is sent upstream, once
//! or, for a retry, again. Its head is prepared once (trust-boundary
//! headers, identity, request id); its body either streams through once
//! (cut off past the size limit) or, when the request may be retried, is
//! read into memory first (within the same limit) so it can be replayed.

use crate::auth::{Identity, apply_identity};
use crate::body::{BoxError, GatewayBody, full};
use crate::errors::GatewayError;
use crate::headers::prepare_upstream_request;
use crate::limit::{Overflow, limit_body};
use crate::request_id::RequestId;
use bytes::Bytes;
use http::request::Parts;
use http::{HeaderMap, Method, Request, Uri};
use http_body_util::BodyExt;
use hyper::body::Body;
use std::net::IpAddr;

/// Who is asking, as the upstream should learn it.
pub(crate) struct Caller<'a> {
    pub(crate) ip: IpAddr,
    pub(crate) request_id: &'a RequestId,
    pub(crate) identity: Option<&'a Identity>,
}

pub(crate) struct Outgoing {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Replay,
    limit: u64,
}

enum Replay {
    /// Streams through on the first attempt; gone after it.
    Once(Option<GatewayBody>, Overflow),
    /// Read in full; sent on every attempt.
    Buffered(Bytes),
}

impl Outgoing {
    /// Prepares `request`; reads its body now if `replayable`.
    pub(crate) async fn new<B>(
        request: Request<B>,
        caller: Caller<'_>,
        limit: u64,
        replayable: bool,
    ) -> Result<Self, GatewayError>
    where
        B: Body<Data = Bytes> + Send + Unpin + 'static,
        B::Error: Into<BoxError>,
    {
        let (parts, body) = request.into_parts();
        let Parts {
            method,
            uri,
            mut headers,
            ..
        } = parts;
        prepare_upstream_request(&mut headers, caller.ip);
        if let Some(identity) = caller.identity {
            apply_identity(identity, &mut headers);
        }
        caller.request_id.apply(&mut headers);
        let (limited, overflow) = limit_body(body, limit);
        let body = if !replayable {
            Replay::Once(Some(limited.boxed_unsync()), overflow)
        } else if limited.is_end_stream() {
            Replay::Buffered(Bytes::new())
        } else {
            match limited.collect().await {
                Ok(collected) => Replay::Buffered(collected.to_bytes()),
                Err(_) if overflow.happened() => {
                    return Err(GatewayError::PayloadTooLarge { limit });
                }
                Err(_) => return Err(GatewayError::BadRequest),
            }
        };
        Ok(Outgoing {
            method,
            uri,
            headers,
            body,
            limit,
        })
    }

    /// The request for the next attempt, if the body allows one more.
    pub(crate) fn next_attempt(&mut self) -> Option<Request<GatewayBody>> {
        let body = match &mut self.body {
            Replay::Once(body, _) => body.take()?,
            Replay::Buffered(bytes) => full(bytes.clone()),
        };
        let mut request = Request::new(body);
        *request.method_mut() = self.method.clone();
        *request.uri_mut() = self.uri.clone();
        *request.headers_mut() = self.headers.clone();
        Some(request)
    }

    /// Whether another attempt could be sent.
    pub(crate) fn replayable(&self) -> bool {
        matches!(self.body, Replay::Buffered(_))
    }

    /// The error for a failed attempt that was really the client's body
    /// going over the limit, if it was.
    pub(crate) fn overflow_error(&self) -> Option<GatewayError> {
        match &self.body {
            Replay::Once(_, overflow) if overflow.happened() => {
                Some(GatewayError::PayloadTooLarge { limit: self.limit })
            }
            _ => None,
        }
    }
}

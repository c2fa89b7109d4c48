//! The front doors as the gateway's in-process upstreams (`sluice up`, or
//! a node running the gateway beside services): a request the gateway hands
//! over is answered in the gateway's own task, the same way as one that
//! came in over TCP (a fresh instance, the same timeout), without the
//! loopback connection, the second HTTP parse and the hop to a front-door
//! thread. Measured against both (BENCHMARKS.md, issue 12): the hop to a
//! front-door thread cost more than it saved.

use super::serve::answer;
use crate::service::Service;
use http_body_util::BodyExt;
use sluice_gateway::{BoxError, GatewayBody, LocalResponse, LocalUpstream};
use std::sync::Arc;

/// A service's instances, as the gateway of this process reaches them.
pub struct Local {
    service: Arc<Service>,
}

impl Local {
    pub(super) fn new(service: Arc<Service>) -> Arc<Local> {
        Arc::new(Local { service })
    }
}

impl LocalUpstream for Local {
    fn call(&self, request: http::Request<GatewayBody>) -> LocalResponse {
        let service = self.service.clone();
        let request = request.map(|body| {
            body.map_err(|e| wasmtime_wasi_http::Error::InternalError(Some(e.to_string())))
                .boxed_unsync()
        });
        Box::pin(async move {
            let response = answer(&service, request).await;
            Ok(response.map(|body| body.map_err(|e| -> BoxError { Box::new(e) }).boxed_unsync()))
        })
    }
}

//! One request's way upstream: pick an instance (breakers permitting), send
//! the attempt within the route's deadline, tell the breaker how it went,
//! and retry elsewhere when the method, the failure, the route and the
//! retry budget all allow it.

use crate::access_log::Upstream;
use crate::body::GatewayBody;
use crate::errors::GatewayError;
use crate::metrics::Metrics;
use crate::outgoing::Outgoing;
use crate::pool::{Lease, Pools};
use crate::proxy::{AttemptError, Proxy};
use crate::resolver::Resolver;
use crate::retry::{RetryBudget, is_retryable_status};
use crate::routing::RouteEntry;
use http::Response;
use tokio::time::Instant;

/// What forwarding needs from the gateway.
pub(crate) struct Forwarder<'a> {
    pub(crate) pools: &'a Pools,
    pub(crate) resolver: &'a dyn Resolver,
    pub(crate) proxy: &'a Proxy,
    pub(crate) budget: &'a RetryBudget,
    pub(crate) metrics: &'a Metrics,
}

impl Forwarder<'_> {
    /// The upstream's response (and the lease to hold while its body
    /// streams), or the gateway error to answer. `retries` is how many
    /// extra attempts the request may have; `upstream` names the instance
    /// of the last attempt, for the access log.
    pub(crate) async fn forward(
        &self,
        route: &RouteEntry,
        mut outgoing: Outgoing,
        mut retries: u32,
        upstream: &mut Option<Upstream>,
    ) -> Result<(Response<GatewayBody>, Lease), GatewayError> {
        let deadline = Instant::now() + route.timeout;
        let mut tried = Vec::new();
        loop {
            let mut lease = self.pools.pick(route.service(), self.resolver, &tried)?;
            let addr = lease.addr();
            *upstream = Some(Upstream {
                service: route.service().to_owned(),
                addr,
            });
            let request = outgoing.next_attempt().ok_or(GatewayError::BadGateway)?;
            match self.proxy.send(request, addr, deadline).await {
                Ok(response) if is_retryable_status(response.status()) => {
                    lease.report(false);
                    if !self.may_retry(&outgoing, &mut retries, deadline) {
                        return Ok((response, lease));
                    }
                }
                Ok(response) => {
                    lease.report(true);
                    return Ok((response, lease));
                }
                Err(_) if outgoing.overflow_error().is_some() => {
                    // The client's body was too large; the instance is fine.
                    lease.report(true);
                    return Err(outgoing.overflow_error().expect("checked"));
                }
                Err(AttemptError::Timeout) => {
                    lease.report(false);
                    return Err(GatewayError::UpstreamTimeout);
                }
                Err(AttemptError::Connect | AttemptError::Broken) => {
                    lease.report(false);
                    if !self.may_retry(&outgoing, &mut retries, deadline) {
                        return Err(GatewayError::BadGateway);
                    }
                }
            }
            tried.push(addr);
        }
    }

    /// Whether one more attempt may go, taking it from the allowances.
    fn may_retry(&self, outgoing: &Outgoing, retries: &mut u32, deadline: Instant) -> bool {
        let allowed = *retries > 0
            && outgoing.replayable()
            && Instant::now() < deadline
            && self.budget.try_withdraw();
        if allowed {
            *retries -= 1;
            self.metrics.retried();
        }
        allowed
    }
}

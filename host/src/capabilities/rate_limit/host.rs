//! The `rate-limit` WIT interface over a `RateLimitBackend`. Keys are
//! scoped by service, so two services' policies never share buckets.

use super::{Decision, RateLimitBackend, RateLimitError};
use crate::bindings::rate_limit as wit;
use crate::state::ComponentState;
use std::sync::Arc;
use wasmtime::component::{Accessor, HasData, Linker};

/// One service's rate limiter.
#[derive(Clone)]
pub struct RateLimitState {
    pub backend: Arc<dyn RateLimitBackend>,
}

/// Marker: the rate-limit state lives in `ServiceCapabilities::rate_limit`.
pub struct RateLimitCapability;

impl HasData for RateLimitCapability {
    type Data<'a> = &'a RateLimitState;
}

impl wit::Host for &RateLimitState {}

impl<T> wit::HostWithStore<T> for RateLimitCapability {
    #[tracing::instrument(level = "debug", name = "rate_limit.check", skip(accessor))]
    async fn check(
        accessor: &Accessor<T, Self>,
        policy: String,
        key: String,
        cost: u32,
    ) -> Result<wit::Decision, wit::Error> {
        let limiter = accessor.with(|mut access| access.get().backend.clone());
        match limiter.check(policy, key, cost).await? {
            Decision::Allowed => Ok(wit::Decision::Allowed),
            Decision::Limited { retry_after } => Ok(wit::Decision::Limited(
                u64::try_from(retry_after.as_millis())
                    .unwrap_or(u64::MAX)
                    .max(1),
            )),
        }
    }
}

impl From<RateLimitError> for wit::Error {
    fn from(e: RateLimitError) -> Self {
        match e {
            RateLimitError::NoSuchPolicy(p) => wit::Error::NoSuchPolicy(p),
            RateLimitError::CostExceedsBurst(c) => wit::Error::CostExceedsBurst(c),
        }
    }
}

pub fn add_to_linker(linker: &mut Linker<ComponentState>) -> wasmtime::Result<()> {
    wit::add_to_linker::<_, RateLimitCapability>(linker, |s| &s.caps.rate_limit)
}

//! The wasm-only glue: bindings for world `sluice:platform/account` (the
//! shared imports come from the kit, whose `Imports` implement the
//! [`ports`](crate::ports)), the service's own links (`rate-limit`,
//! `token-issuer`) on `Imports`, and the exports (`wasi:http/handler`,
//! `schema`, `accounts`) handed to the plain modules.

sluice_kit::service_bindings!("sluice:platform/account", {
    "wasi:clocks/monotonic-clock@0.3.0": sluice_kit::guest::bindings::wasi::clocks::monotonic_clock,
    "sluice:platform/rate-limit@0.1.0": sluice_kit::guest::bindings::sluice::platform::rate_limit,
    "sluice:platform/token-issuer@0.1.0": sluice_kit::guest::bindings::sluice::platform::token_issuer,
    "sluice:platform/config@0.1.0": sluice_kit::guest::bindings::sluice::platform::config,
});

use crate::admin::AdminError;
use crate::ports::{Decision, Issued, RateLimitError, RateLimiter, TokenIssuer};
use exports::sluice::platform::accounts;
use sluice_kit::guest::Imports;
use sluice_kit::guest::bindings::sluice::platform::{rate_limit, token_issuer};

struct Component;

export!(Component);

sluice_kit::export_http_handler!(Component, crate::handler::handle);
sluice_kit::export_schema!(Component, crate::migrations::migrations);

impl accounts::Guest for Component {
    async fn ensure_admin(email: String, password: String) -> Result<String, accounts::Error> {
        crate::admin::ensure_admin(&Imports, &email, &password)
            .await
            .map_err(|e| match e {
                AdminError::Invalid(m) => accounts::Error::Invalid(m),
                AdminError::Storage(m) => accounts::Error::Storage(m),
            })
    }
}

impl RateLimiter for Imports {
    async fn rate_check(
        &self,
        policy: &str,
        key: &str,
        cost: u32,
    ) -> Result<Decision, RateLimitError> {
        match rate_limit::check(policy.to_string(), key.to_string(), cost).await {
            Ok(rate_limit::Decision::Allowed) => Ok(Decision::Allowed),
            Ok(rate_limit::Decision::Limited(ms)) => Ok(Decision::Limited(ms)),
            Err(rate_limit::Error::NoSuchPolicy(p)) => Err(RateLimitError::NoSuchPolicy(p)),
            Err(rate_limit::Error::CostExceedsBurst(c)) => Err(RateLimitError::CostExceedsBurst(c)),
        }
    }
}

impl TokenIssuer for Imports {
    fn issue_token(
        &self,
        subject: &str,
        role: &str,
        tenant: &str,
        attributes: &[(String, String)],
    ) -> Issued {
        let issued = token_issuer::issue(subject, role, tenant, attributes);
        Issued {
            token: issued.token,
            expires_in: issued.expires_in,
        }
    }
}

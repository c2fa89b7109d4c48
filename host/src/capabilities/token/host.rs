//! The `token` and `token-issuer` WIT interfaces over the host's
//! `TokenKeys`: components verify tokens and account issues them; the key
//! stays here.

use super::{TokenError, TokenKeys};
use crate::bindings::token as wit;
use crate::bindings::token_issuer as issuer;
use crate::state::ComponentState;
use std::sync::Arc;
use wasmtime::component::{HasData, Linker};

/// The host's signing keys, shared by every service.
#[derive(Clone)]
pub struct TokenState {
    pub keys: Arc<TokenKeys>,
    /// Node tokens (`TokenKeys::for_nodes`), checked on the internal call
    /// route; never reachable from a component.
    pub node_keys: Arc<TokenKeys>,
}

impl TokenState {
    pub fn new(keys: Arc<TokenKeys>) -> TokenState {
        TokenState {
            node_keys: Arc::new(keys.for_nodes()),
            keys,
        }
    }
}

/// Marker: the token state lives in `ServiceCapabilities::token`.
pub struct TokenCapability;

impl HasData for TokenCapability {
    type Data<'a> = &'a TokenState;
}

impl issuer::Host for &TokenState {
    fn issue(
        &mut self,
        subject: String,
        role: String,
        tenant: String,
        attributes: Vec<(String, String)>,
    ) -> issuer::Issued {
        let now = super::keys::unix_now();
        let issued = self
            .keys
            .issue_with(&subject, &role, &tenant, &attributes, now);
        issuer::Issued {
            token: issued.token,
            expires_in: issued.expires_in,
        }
    }
}

impl wit::Host for &TokenState {
    fn verify(&mut self, token: String) -> Result<wit::Claims, wit::Error> {
        match self.keys.verify(&token) {
            Ok(c) => Ok(wit::Claims {
                subject: c.subject,
                role: c.role,
                tenant: c.tenant,
                attributes: c.attributes,
                expires_at: c.expires_at,
            }),
            Err(TokenError::Expired) => Err(wit::Error::Expired),
            Err(TokenError::Invalid) => Err(wit::Error::Invalid),
        }
    }
}

pub fn add_to_linker(linker: &mut Linker<ComponentState>) -> wasmtime::Result<()> {
    wit::add_to_linker::<_, TokenCapability>(linker, |s| &s.caps.token)?;
    issuer::add_to_linker::<_, TokenCapability>(linker, |s| &s.caps.token)
}

//! [`TokenConfig`]: the signing secret, token lifetime and issuer.

use serde::Deserialize;

use super::Secret;

/// How tokens are signed. Without a `secret`, a random key is generated
/// once into the data folder and reused (see
/// [`TokenKeys::load_or_generate`](super::TokenKeys::load_or_generate)).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    #[serde(default)]
    pub secret: Option<Secret>,
    /// Lifetime of an issued token, in seconds.
    #[serde(default = "default_ttl_secs")]
    pub ttl_secs: u64,
    /// The `iss` claim written, and required when verifying.
    #[serde(default = "default_issuer")]
    pub issuer: String,
}

fn default_ttl_secs() -> u64 {
    3600
}

fn default_issuer() -> String {
    "sluice".into()
}

impl Default for TokenConfig {
    fn default() -> Self {
        Self {
            secret: None,
            ttl_secs: default_ttl_secs(),
            issuer: default_issuer(),
        }
    }
}

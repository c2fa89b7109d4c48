//! What the `token` interface hands out and checks: [`Issued`], [`Claims`],
//! [`TokenError`], and the JWT claim set on the wire.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A freshly issued token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    /// The encoded JWT.
    pub token: String,
    /// Seconds until it expires.
    pub expires_in: u64,
}

/// What a verified token says about its bearer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    /// An account id.
    pub subject: String,
    /// "customer", "tenant-admin" (of `tenant` only) or "admin".
    pub role: String,
    pub tenant: String,
    /// Customer attributes set by an admin, sorted by key.
    pub attributes: Vec<(String, String)>,
    /// Expiry, in seconds since the Unix epoch.
    pub expires_at: u64,
}

/// Why a token was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not a well-formed JWT, not HS256 (`none` included), a bad signature,
    /// a wrong issuer or missing claims.
    #[error("invalid token")]
    Invalid,
    /// Well-formed and signed by us, but at or past its expiry.
    #[error("expired token")]
    Expired,
}

/// The JWT claim set as signed.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct WireClaims {
    pub sub: String,
    pub role: String,
    pub tenant: String,
    /// Customer attributes; absent when there are none.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attrs: BTreeMap<String, String>,
    pub iss: String,
    pub iat: u64,
    pub exp: u64,
}

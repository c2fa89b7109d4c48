//! Bearer tokens as the host's `token` capability verifies them (the
//! service never sees the signing key): the claims of a valid token and
//! why one is rejected, the same WIT types in every service.

/// Token claims (`token.claims`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub subject: String,
    pub role: String,
    pub tenant: String,
    /// The bearer's customer attributes when the token was issued, e.g.
    /// `("tier", "gold")`, sorted by key.
    pub attributes: Vec<(String, String)>,
    pub expires_at: u64,
}

/// Why a token was rejected (`token.error`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    Invalid,
    Expired,
}

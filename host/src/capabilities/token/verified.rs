//! [`Verified`]: the claims of tokens these keys have already verified, so
//! a token is checked once and not once per hop and request.
//!
//! A request through `sluice up` has its token verified at the gateway's
//! edge and again by the service that reads it (account for `/me`, order for
//! an order), with the same keys in the same process, and a client sends the
//! same token with every request until it expires. Decoding a token is a
//! function of the token's text and the keys alone (the signature, the
//! algorithm, the issuer, the required claims; expiry is not part of it), so
//! its result can be kept: only tokens that verified are kept (text that was
//! never signed with our key cannot fill the memo), and expiry is still
//! checked on every use, against the caller's clock. Keys of another issuer
//! (`TokenKeys::for_nodes`) have a memo of their own.

use super::Claims;
use quick_cache::sync::Cache;

/// How many verified tokens are kept at most (past it, the cache's own
/// eviction policy picks which go): a few hundred bytes each, about 1 MiB
/// in all.
pub const CAPACITY: usize = 2048;

/// The claims of tokens verified with one set of keys, by token text.
pub struct Verified(Cache<Box<str>, Claims>);

impl Verified {
    pub fn new() -> Verified {
        Verified(Cache::new(CAPACITY))
    }

    /// The claims `token` verified to, if it has.
    pub fn get(&self, token: &str) -> Option<Claims> {
        self.0.get(token)
    }

    /// Keeps the claims `token` verified to.
    pub fn keep(&self, token: &str, claims: &Claims) {
        self.0.insert(token.into(), claims.clone());
    }

    /// How many tokens are kept.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

//! The `token` capability: HS256 JSON Web Tokens signed with a key that
//! stays in the host.
//!
//! [`TokenKeys`] issues tokens with `sub`, `role`, `tenant`, `iss`, `iat`
//! and `exp` claims and verifies them, accepting HS256 only (so `none` and
//! every other algorithm are invalid) with zero leeway on expiry. The key is
//! the configured [`Secret`] or, without one, 32 random bytes generated once
//! into `<data_dir>/jwt.key` (mode 0600).

mod config;
mod key_file;
mod keys;
mod secret;
mod types;
mod verified;

#[cfg(test)]
mod tests;

pub use config::TokenConfig;
pub use key_file::KEY_FILE;
pub use keys::TokenKeys;
pub use secret::{MIN_SECRET_BYTES, Secret, check_cluster_secret};
pub use types::{Claims, Issued, TokenError};
pub use verified::CAPACITY as VERIFIED_TOKENS_KEPT;

mod host;
pub use host::*;

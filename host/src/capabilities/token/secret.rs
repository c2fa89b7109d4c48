//! [`Secret`]: a string that never prints.

use serde::Deserialize;

/// The shortest cluster secret a node accepts, in bytes (HS256's key is
/// as strong as the secret; 32 random bytes is its full strength).
pub const MIN_SECRET_BYTES: usize = 32;

/// Refuses a node's token secret that is too short, or missing where the
/// node may not make its own: only a one-process platform (`sluice up`)
/// generates one; every node of a cluster must be given the same.
pub fn check_cluster_secret(secret: Option<&Secret>, may_generate: bool) -> anyhow::Result<()> {
    match secret {
        None if may_generate => Ok(()),
        None => anyhow::bail!(
            "this node needs the cluster secret: set SLUICE_JWT_SECRET (at least \
             {MIN_SECRET_BYTES} bytes, the same on every node); only `sluice up` makes its own"
        ),
        Some(secret) if secret.expose().len() < MIN_SECRET_BYTES => anyhow::bail!(
            "the token secret (SLUICE_JWT_SECRET) is {} bytes; it must be at least {MIN_SECRET_BYTES}",
            secret.expose().len()
        ),
        Some(_) => Ok(()),
    }
}

/// A secret from configuration. `Debug` and `Display` print `[redacted]`;
/// read it with [`Secret::expose`].
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself; keep it out of logs and errors.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod checks {
    use super::*;

    #[test]
    fn a_cluster_node_needs_a_long_enough_secret() {
        let long = Secret::new("x".repeat(MIN_SECRET_BYTES));
        let short = Secret::new("x".repeat(MIN_SECRET_BYTES - 1));
        assert!(check_cluster_secret(Some(&long), false).is_ok());
        assert!(
            check_cluster_secret(None, true).is_ok(),
            "sluice up makes one"
        );
        let missing = check_cluster_secret(None, false).unwrap_err().to_string();
        assert!(missing.contains("SLUICE_JWT_SECRET"), "{missing}");
        let weak = check_cluster_secret(Some(&short), true)
            .unwrap_err()
            .to_string();
        assert!(weak.contains("31 bytes"), "{weak}");
    }
}

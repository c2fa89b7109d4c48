//! Password hashing: argon2id with the argon2 crate's default parameters
//! (m=19456 KiB, t=2, p=1), stored as PHC strings.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// A valid argon2id hash (default parameters) of a password nobody knows.
/// Login verifies against it when the email is unknown, so an unknown
/// email costs the same time as a wrong password.
pub const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$B66HcQ+TPqI88I6wxQVZ0w$VI9lz7W7XdYcyDJrTpD5Owyty06/npuQGWUCtpaphbo";

/// Why hashing or verifying could not be done (never "wrong password").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordError(pub String);

impl std::fmt::Display for PasswordError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Hashes `password` with a fresh 16-byte random salt; returns the PHC string.
pub fn hash(password: &str) -> Result<String, PasswordError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| PasswordError(format!("no randomness: {e}")))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| PasswordError(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError(e.to_string()))
}

/// Whether `password` matches the PHC string `phc` (using the parameters
/// recorded in it). An unparsable `phc` is an error, not a mismatch.
pub fn verify(password: &str, phc: &str) -> Result<bool, PasswordError> {
    let parsed = PasswordHash::new(phc).map_err(|e| PasswordError(e.to_string()))?;
    match Argon2::default().verify_password(password.as_bytes(), &parsed) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::Password) => Ok(false),
        Err(e) => Err(PasswordError(e.to_string())),
    }
}

/// Spends the time of one verification against [`DUMMY_HASH`].
pub fn verify_dummy(password: &str) {
    let _ = verify(password, DUMMY_HASH);
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::Params;

    #[test]
    fn round_trip_and_wrong_password() {
        let phc = hash("correct horse battery").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify("correct horse battery", &phc).unwrap());
        assert!(!verify("correct horse battery!", &phc).unwrap());
        // Salts are random: the same password hashes differently.
        assert_ne!(phc, hash("correct horse battery").unwrap());
    }

    #[test]
    fn dummy_hash_uses_the_default_parameters() {
        let parsed = PasswordHash::new(DUMMY_HASH).expect("dummy hash parses");
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        let params = Params::try_from(&parsed).unwrap();
        assert_eq!(params.m_cost(), Params::DEFAULT_M_COST);
        assert_eq!(params.t_cost(), Params::DEFAULT_T_COST);
        assert_eq!(params.p_cost(), Params::DEFAULT_P_COST);
        assert!(!verify("password", DUMMY_HASH).unwrap());
    }

    #[test]
    fn malformed_hash_is_an_error() {
        assert!(verify("password", "not a phc string").is_err());
    }
}

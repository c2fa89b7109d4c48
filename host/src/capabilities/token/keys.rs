//! [`TokenKeys`]: issuing and verifying HS256 tokens with the host's key.

use std::path::Path;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::bail;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};

use super::types::WireClaims;
use super::verified::Verified;
use super::{Claims, Issued, TokenConfig, TokenError, key_file};

/// The signing key and the rules for tokens. The key never leaves this
/// value, and `Debug` does not print it. Clones share one memo of the
/// tokens verified ([`Verified`]).
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl_secs: u64,
    issuer: String,
    verified: Arc<Verified>,
}

impl TokenKeys {
    /// Keys from `config.secret`, or else from `<data_dir>/jwt.key`,
    /// generated there on first use.
    pub fn load_or_generate(config: &TokenConfig, data_dir: &Path) -> anyhow::Result<Self> {
        let secret = match &config.secret {
            Some(secret) if secret.expose().is_empty() => bail!("the token secret is empty"),
            Some(secret) => secret.expose().as_bytes().to_vec(),
            None => key_file::load_or_create(data_dir)?,
        };
        if config.issuer.is_empty() {
            bail!("the token issuer is empty");
        }
        Ok(Self::from_secret(&secret, config.ttl_secs, &config.issuer))
    }

    fn from_secret(secret: &[u8], ttl_secs: u64, issuer: &str) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_issuer(&[issuer]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        validation.leeway = 0;
        validation.validate_aud = false;
        // Expiry is checked in `verify_at`, against a clock the caller picks.
        validation.validate_exp = false;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl_secs,
            issuer: issuer.to_string(),
            verified: Arc::new(Verified::new()),
        }
    }

    /// Keys for node tokens, which nodes send each other on the internal
    /// call route: the same secret (the cluster's), another issuer
    /// (`{issuer}/node`) and a minute's life, so a node token is never
    /// accepted as a user's token nor a user's (an admin's included) as a
    /// node's.
    pub fn for_nodes(&self) -> TokenKeys {
        let issuer = format!("{}/node", self.issuer);
        let mut validation = self.validation.clone();
        validation.set_issuer(&[&issuer]);
        TokenKeys {
            encoding: self.encoding.clone(),
            decoding: self.decoding.clone(),
            validation,
            ttl_secs: 60,
            issuer,
            verified: Arc::new(Verified::new()),
        }
    }

    /// The lifetime of the tokens these keys issue, in seconds.
    pub fn ttl_secs(&self) -> u64 {
        self.ttl_secs
    }

    /// A token for `subject` valid for the configured lifetime from now,
    /// with no customer attributes.
    pub fn issue(&self, subject: &str, role: &str, tenant: &str) -> Issued {
        self.issue_with(subject, role, tenant, &[], unix_now())
    }

    /// As [`issue`](Self::issue), as if the time were `now` (Unix seconds).
    pub fn issue_at(&self, subject: &str, role: &str, tenant: &str, now: u64) -> Issued {
        self.issue_with(subject, role, tenant, &[], now)
    }

    /// A token carrying the customer `attributes` too, as if the time were
    /// `now` (Unix seconds).
    pub fn issue_with(
        &self,
        subject: &str,
        role: &str,
        tenant: &str,
        attributes: &[(String, String)],
        now: u64,
    ) -> Issued {
        let claims = WireClaims {
            sub: subject.into(),
            role: role.into(),
            tenant: tenant.into(),
            attrs: attributes.iter().cloned().collect(),
            iss: self.issuer.clone(),
            iat: now,
            exp: now.saturating_add(self.ttl_secs),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            // HMAC signing of a claim set of strings and integers cannot fail.
            .expect("encoding an HS256 token");
        Issued {
            token,
            expires_in: self.ttl_secs,
        }
    }

    /// Checks the token's algorithm (HS256 only), signature, issuer and
    /// expiry (no leeway) and returns its claims.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        self.verify_at(token, unix_now())
    }

    /// As [`verify`](Self::verify), as if the time were `now` (Unix seconds):
    /// a token is expired from its `exp` second on.
    pub fn verify_at(&self, token: &str, now: u64) -> Result<Claims, TokenError> {
        let claims = match self.verified.get(token) {
            Some(claims) => claims,
            None => {
                let claims = self.decode(token)?;
                self.verified.keep(token, &claims);
                claims
            }
        };
        if now >= claims.expires_at {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }

    /// The claims of `token` if it is well formed and signed with these
    /// keys, whatever its expiry.
    fn decode(&self, token: &str) -> Result<Claims, TokenError> {
        let data = jsonwebtoken::decode::<WireClaims>(token, &self.decoding, &self.validation)
            .map_err(|_| TokenError::Invalid)?;
        let claims = data.claims;
        Ok(Claims {
            subject: claims.sub,
            role: claims.role,
            tenant: claims.tenant,
            attributes: claims.attrs.into_iter().collect(),
            expires_at: claims.exp,
        })
    }

    /// How many verified tokens these keys keep (see [`Verified`]).
    #[cfg(test)]
    pub(crate) fn verified_kept(&self) -> usize {
        self.verified.len()
    }
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys")
            .field("key", &"[redacted]")
            .field("algorithm", &"HS256")
            .field("ttl_secs", &self.ttl_secs)
            .field("issuer", &self.issuer)
            .finish()
    }
}

pub(super) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

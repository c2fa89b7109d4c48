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

/// The tokens the services' test hosts accept in place of signed ones:
/// `expired` is expired, and `tok|SUBJECT|ROLE|TENANT[|k=v,k=v]` carries
/// those claims (attributes sorted by key, as the host sorts them) with
/// `expires_at`; anything else is invalid.
pub fn fake_claims(token: &str, expires_at: u64) -> Result<Claims, TokenError> {
    if token == "expired" {
        return Err(TokenError::Expired);
    }
    match token.split('|').collect::<Vec<_>>()[..] {
        ["tok", subject, role, tenant, ref rest @ ..] if rest.len() <= 1 => Ok(Claims {
            subject: subject.into(),
            role: role.into(),
            tenant: tenant.into(),
            attributes: rest.first().map_or_else(Vec::new, |raw| attributes(raw)),
            expires_at,
        }),
        _ => Err(TokenError::Invalid),
    }
}

/// The attributes of a fake token's `key=value,key=value` part, sorted.
fn attributes(raw: &str) -> Vec<(String, String)> {
    let mut attributes: Vec<(String, String)> = raw
        .split(',')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    attributes.sort();
    attributes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fake_tokens_carry_their_claims() {
        let claims = fake_claims("tok|u1|customer|acme|zone=eu,tier=gold", 9).unwrap();
        assert_eq!(
            (claims.subject.as_str(), claims.role.as_str()),
            ("u1", "customer")
        );
        assert_eq!(claims.tenant, "acme");
        let sorted = [("tier", "gold"), ("zone", "eu")].map(|(k, v)| (k.into(), v.into()));
        assert_eq!(claims.attributes, sorted);
        assert_eq!(claims.expires_at, 9);
        assert!(
            fake_claims("tok|u1|customer|acme", 9)
                .unwrap()
                .attributes
                .is_empty()
        );
        assert_eq!(fake_claims("expired", 9), Err(TokenError::Expired));
        assert_eq!(fake_claims("tok|u1|customer", 9), Err(TokenError::Invalid));
        assert_eq!(fake_claims("tok|u1|c|t|a=b|x", 9), Err(TokenError::Invalid));
    }
}

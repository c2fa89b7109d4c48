//! Who is asking: bearer tokens verified through the host's `token`
//! capability (the service never sees the signing key).

use crate::errors::ApiError;
use crate::ports::{Claims, Tokens};
use sluice_kit::http::bearer;

/// The platform admin's role: manages promotions and may preview another
/// tenant's quotes (`?tenant=`). A `tenant-admin` is neither.
pub const ADMIN: &str = "admin";

/// The verified claims of the request's token, `None` without an
/// `Authorization` header. A header that is not a valid bearer token is
/// 401 even where a token is optional: the caller meant to authenticate.
pub fn optional_claims(
    host: &impl Tokens,
    authorization: Option<&str>,
) -> Result<Option<Claims>, ApiError> {
    if authorization.is_none() {
        return Ok(None);
    }
    let token = bearer(authorization).ok_or(ApiError::InvalidToken)?;
    Ok(Some(host.verify_token(token)?))
}

/// The claims of an admin: 401 without a token or with a bad one, 403 with
/// a valid token of another role.
pub fn require_admin(host: &impl Tokens, authorization: Option<&str>) -> Result<Claims, ApiError> {
    let claims = optional_claims(host, authorization)?.ok_or(ApiError::Unauthorized)?;
    if claims.role == ADMIN {
        Ok(claims)
    } else {
        Err(ApiError::Forbidden)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_kit::testing::TestHost;

    #[test]
    fn admin_needs_a_valid_admin_token() {
        let host = TestHost::new(&[]);
        assert_eq!(require_admin(&host, None), Err(ApiError::Unauthorized));
        assert_eq!(
            require_admin(&host, Some("Basic x")),
            Err(ApiError::InvalidToken)
        );
        assert_eq!(
            require_admin(&host, Some("Bearer junk")),
            Err(ApiError::InvalidToken)
        );
        assert_eq!(
            require_admin(&host, Some("Bearer expired")),
            Err(ApiError::TokenExpired)
        );
        assert_eq!(
            require_admin(&host, Some("Bearer tok|u1|customer|acme")),
            Err(ApiError::Forbidden)
        );
        let claims = require_admin(&host, Some("Bearer tok|u2|admin|default")).unwrap();
        assert_eq!(claims.subject, "u2");
    }

    #[test]
    fn optional_claims_are_none_without_a_header() {
        let host = TestHost::new(&[]);
        assert_eq!(optional_claims(&host, None), Ok(None));
        assert_eq!(
            optional_claims(&host, Some("Bearer junk")),
            Err(ApiError::InvalidToken)
        );
        let c = optional_claims(&host, Some("Bearer tok|u1|customer|acme"))
            .unwrap()
            .unwrap();
        assert_eq!(c.tenant, "acme");
    }
}

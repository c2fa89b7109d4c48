//! Admin routes: the bearer token must verify and carry role `admin`.

use crate::errors::ApiError;
use crate::ports::{Claims, Host};
use sluice_kit::http::bearer;

/// The role allowed to create and change products.
pub const ADMIN: &str = "admin";

/// The claims of an admin's token, or 401 (no, malformed or expired token)
/// or 403 (a valid token of another role).
pub fn require_admin(host: &impl Host, authorization: Option<&str>) -> Result<Claims, ApiError> {
    let token = bearer(authorization).ok_or(ApiError::Unauthorized)?;
    let claims = host.verify_token(token)?;
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
    fn only_a_valid_admin_token_passes() {
        let host = TestHost::new(&[]);
        let admin = require_admin(&host, Some("Bearer tok|u1|admin|default")).unwrap();
        assert_eq!(admin.subject, "u1");
        assert_eq!(
            require_admin(&host, Some("Bearer tok|u2|customer|default")),
            Err(ApiError::Forbidden)
        );
        assert_eq!(require_admin(&host, None), Err(ApiError::Unauthorized));
        assert_eq!(
            require_admin(&host, Some("Basic x")),
            Err(ApiError::Unauthorized)
        );
        assert_eq!(
            require_admin(&host, Some("Bearer garbage")),
            Err(ApiError::InvalidToken)
        );
        assert_eq!(
            require_admin(&host, Some("Bearer expired")),
            Err(ApiError::TokenExpired)
        );
    }
}

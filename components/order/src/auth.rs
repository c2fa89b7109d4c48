//! Who is asking: every order route needs a bearer token, verified through
//! the host's `token` capability (the gateway checks it too, but the
//! service trusts only its own check).

use crate::errors::ApiError;
use crate::ports::{Claims, Host};
use sluice_kit::http::bearer;

/// The role that may read every order.
pub const ADMIN: &str = "admin";
/// The longest subject a customer id column holds.
const MAX_SUBJECT: usize = 64;

/// The verified claims of the `Authorization` header: 401 `unauthorized`
/// without one, `invalid_token` for another scheme or a bad token,
/// `token_expired` past its expiry.
pub fn require(host: &impl Host, authorization: Option<&str>) -> Result<Claims, ApiError> {
    let authorization = authorization.ok_or(ApiError::Unauthorized)?;
    let token = bearer(Some(authorization)).ok_or(ApiError::InvalidToken)?;
    let claims = host.verify_token(token)?;
    if claims.subject.is_empty() || claims.subject.len() > MAX_SUBJECT {
        return Err(ApiError::InvalidToken);
    }
    Ok(claims)
}

/// Whether the claims are an admin's.
pub fn is_admin(claims: &Claims) -> bool {
    claims.role == ADMIN
}

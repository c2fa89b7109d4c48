//! `GET /api/accounts/me`: the account a bearer token names.

use crate::errors::ApiError;
use crate::ports::{Host, TokenError};
use crate::reply::Reply;
use crate::wire::AccountView;
use crate::{failure, store};

/// Verifies the bearer token and returns its account as stored now.
pub async fn me(host: &impl Host, authorization: Option<&str>) -> Result<Reply, ApiError> {
    let token = bearer(authorization).ok_or(ApiError::Unauthorized)?;
    let claims = host.verify_token(token).map_err(|e| match e {
        TokenError::Invalid => ApiError::InvalidToken,
        TokenError::Expired => ApiError::TokenExpired,
    })?;
    let account = store::find_by_id(host, &claims.subject)
        .await
        .map_err(|e| failure::store(host, "me", &e))?
        .ok_or(ApiError::InvalidToken)?;
    Ok(Reply::json(200, &AccountView::from(&account)))
}

/// The token of an `Authorization: Bearer <token>` header value (scheme
/// case-insensitive), or `None` if absent or another scheme.
pub fn bearer(header: Option<&str>) -> Option<&str> {
    let (scheme, token) = header?.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_header_parsing() {
        assert_eq!(bearer(Some("Bearer abc.def.ghi")), Some("abc.def.ghi"));
        assert_eq!(bearer(Some("bearer   abc ")), Some("abc"));
        assert_eq!(bearer(Some("Basic dXNlcjpwYXNz")), None);
        assert_eq!(bearer(Some("Bearer")), None);
        assert_eq!(bearer(Some("Bearer ")), None);
        assert_eq!(bearer(Some("abc")), None);
        assert_eq!(bearer(None), None);
    }
}

//! `GET /api/accounts/me`: the account a bearer token names.

use crate::errors::ApiError;
use crate::ports::Host;
use crate::reply::Reply;
use crate::wire::AccountView;
use crate::{auth, failure, store};

/// Verifies the bearer token and returns its account as stored now
/// (attributes included, which may be newer than the token's).
pub async fn me(host: &impl Host, authorization: Option<&str>) -> Result<Reply, ApiError> {
    let claims = auth::claims(host, authorization)?;
    let account = store::find_by_id(host, &claims.subject)
        .await
        .map_err(|e| failure::store(host, "me", &e))?
        .ok_or(ApiError::InvalidToken)?;
    Ok(Reply::json(200, &AccountView::from(&account)))
}

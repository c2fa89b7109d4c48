//! `POST /api/accounts/login`: password check and token issue, throttled
//! per client and per (account, client), slowed down per account.

use crate::body::{self, BodySource};
use crate::errors::{AccountError, ApiError};
use crate::ports::Host;
use crate::reply::Reply;
use crate::wire::{self, LoginRequest, TokenView};
use crate::{failure, password, store, throttle, validate};

/// Charges the client's budget and the (account, client) budget, either of
/// which refuses with 429; then the account's budget, which only delays
/// ([`throttle::back_off`]) so that failing for an account from elsewhere
/// never locks its owner out; then checks the password. An unknown email
/// and a wrong password are the same 401, both charged to the account's
/// budgets and both costing one argon2 verification, so the two stay
/// indistinguishable in answer and in time.
pub async fn login(
    host: &impl Host,
    client: &str,
    body: &mut impl BodySource,
) -> Result<Reply, ApiError> {
    throttle::check(host, throttle::LOGIN_CLIENT, client).await?;
    let body = body::read_limited(body, body::MAX_BODY_BYTES).await?;
    let req: LoginRequest = wire::parse(&body)?;
    // An address that could never have registered names no account.
    let Ok(email) = validate::email(&req.email) else {
        password::verify_dummy(&req.password);
        return Err(ApiError::Service(AccountError::InvalidCredentials));
    };
    let pair = throttle::account_client_key(&email, client);
    throttle::check(host, throttle::LOGIN_ACCOUNT_CLIENT, &pair).await?;
    // Only attempts that reach the password check are charged here: a
    // refused one guesses nothing.
    throttle::back_off(host, &email).await?;

    let found = store::find_by_email(host, &email)
        .await
        .map_err(|e| failure::store(host, "login", &e))?;
    let Some(account) = found else {
        password::verify_dummy(&req.password);
        return Err(ApiError::Service(AccountError::InvalidCredentials));
    };
    match password::verify(&req.password, &account.password_hash) {
        Ok(true) => {}
        Ok(false) => return Err(ApiError::Service(AccountError::InvalidCredentials)),
        Err(e) => {
            let detail = format!("stored hash of account {} unreadable: {e}", account.id);
            return Err(failure::internal(host, "login", &detail));
        }
    }
    // The token carries the account as it is now: membership, role and
    // attributes an admin changed since the last login take effect here.
    let attributes: Vec<(String, String)> = account.attributes.into_iter().collect();
    let issued = host.issue_token(&account.id, &account.role, &account.tenant, &attributes);
    Ok(Reply::json(
        200,
        &TokenView {
            access_token: issued.token,
            token_type: "Bearer".to_string(),
            expires_in: issued.expires_in,
        },
    ))
}

//! An account's customer attributes, for admins:
//! `PUT /admin/accounts/{account}/attributes` replaces the whole set with a
//! JSON object of strings (`{}` clears it); the rules are in
//! [`validate::attributes`]. A platform admin may set them for any account,
//! a tenant admin for the accounts of its own tenant.
//!
//! Tokens carry the attributes the account had at login: a change made
//! here reaches tokens at the account's next login (`me` shows it at once).

use crate::body::{self, BodySource};
use crate::errors::{AccountError, ApiError};
use crate::ports::{Host, Level};
use crate::reply::Reply;
use crate::wire::{self, AttributesView};
use crate::{auth, failure, members, store, validate};

/// Replaces the attributes: 200 with the account id and the new set. 400
/// `invalid_attributes` (or `invalid_json`), 404 for an unknown account,
/// 403 for a tenant admin and an account of another tenant.
pub async fn set(
    host: &impl Host,
    authorization: Option<&str>,
    account_id: &str,
    body: &mut impl BodySource,
) -> Result<Reply, ApiError> {
    let admin = auth::admin(host, authorization)?;
    let body = body::read_limited(body, body::MAX_BODY_BYTES).await?;
    let attributes = validate::attributes(&wire::parse_value(&body)?)?;
    for _ in 0..store::ATTEMPTS {
        let account = members::existing(host, account_id, "set attributes").await?;
        admin.require_tenant(&account.tenant)?;
        let done = store::set_attributes(host, &account, &attributes)
            .await
            .map_err(|e| failure::sql(host, "set attributes", &e))?;
        if done {
            let keys: Vec<&str> = attributes.keys().map(String::as_str).collect();
            host.log(
                Level::Info,
                "attributes set",
                &[
                    ("account", &account.id),
                    ("keys", &keys.join(",")),
                    ("by", &admin.subject),
                ],
            );
            return Ok(Reply::json(
                200,
                &AttributesView {
                    id: account.id,
                    attributes,
                },
            ));
        }
    }
    Err(ApiError::Service(AccountError::Conflict))
}

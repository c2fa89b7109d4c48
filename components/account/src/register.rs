//! `POST /api/accounts/register`: a new customer account, always in tenant
//! `default`: an account joins another tenant only through an admin (see
//! [`members`](crate::members)).

use crate::body::{self, BodySource};
use crate::errors::{AccountError, ApiError};
use crate::ports::{Host, Level, SqlError};
use crate::reply::Reply;
use crate::wire::{self, AccountView, RegisterRequest};
use crate::{create, failure, store, throttle, validate};

/// Throttles per client, validates, hashes and inserts; 201 with the account.
/// A taken email (the unique constraint decides) is 409 `email_taken`; a
/// tenant other than `default` is 403 `tenant_invite_only`, and nothing is
/// written.
pub async fn register(
    host: &impl Host,
    client: &str,
    body: &mut impl BodySource,
) -> Result<Reply, ApiError> {
    throttle::check(host, throttle::REGISTER_CLIENT, client).await?;
    let body = body::read_limited(body, body::MAX_BODY_BYTES).await?;
    let req: RegisterRequest = wire::parse(&body)?;
    let email = validate::email(&req.email)?;
    validate::password(&req.password)?;
    let tenant = validate::tenant(req.tenant.as_deref())?;
    if tenant != validate::DEFAULT_TENANT {
        return Err(ApiError::Service(AccountError::TenantInviteOnly));
    }

    let account = create::build(host, email, &req.password, create::CUSTOMER, tenant)
        .map_err(|e| failure::internal(host, "register", &e))?;
    match store::insert(host, &account).await {
        Ok(()) => {}
        Err(SqlError::ConstraintViolation(_)) => {
            return Err(ApiError::Service(AccountError::EmailTaken));
        }
        Err(e) => return Err(failure::sql(host, "register", &e)),
    }
    host.log(
        Level::Info,
        "account registered",
        &[("account", &account.id), ("tenant", &account.tenant)],
    );
    Ok(Reply::json(201, &AccountView::from(&account)))
}

//! A tenant's members, for admins:
//! `PUT /admin/tenants/{tenant}/members/{account}` puts an account into a
//! tenant with a role (`customer` or `tenant-admin`), `DELETE` sends it
//! back to `default` as a customer without attributes. A platform admin
//! may do both for any tenant; a tenant admin only for its own tenant, and
//! takes in only accounts of `default` (or already its own). Platform
//! admins themselves are never changed here.
//!
//! A token carries the tenant, role and attributes the account had at
//! login: a change made here takes effect at the account's next login.

use crate::auth::{self, Admin};
use crate::body::{self, BodySource};
use crate::errors::{AccountError, ApiError};
use crate::ports::{Host, Level};
use crate::reply::Reply;
use crate::store::{self, Account, Attributes};
use crate::validate::DEFAULT_TENANT;
use crate::wire::{self, AccountView, MemberRequest};
use crate::{create, failure, tenant_store, validate};

/// Sets the tenant and role of an account: 200 with it as a member. 404 for
/// an unknown tenant or account, 409 `platform_admin` for a platform admin,
/// 403 for a tenant admin reaching into another tenant.
pub async fn set(
    host: &impl Host,
    authorization: Option<&str>,
    tenant: &str,
    account_id: &str,
    body: &mut impl BodySource,
) -> Result<Reply, ApiError> {
    let admin = auth::admin(host, authorization)?;
    admin.require_tenant(tenant)?;
    let body = body::read_limited(body, body::MAX_BODY_BYTES).await?;
    let req: MemberRequest = wire::parse(&body)?;
    let role = validate::member_role(&req.role)?;
    tenant_store::find(host, tenant)
        .await
        .map_err(|e| failure::store(host, "set member", &e))?
        .ok_or(ApiError::Service(AccountError::NoSuch("tenant")))?;
    for _ in 0..store::ATTEMPTS {
        let account = existing(host, account_id, "set member").await?;
        may_take(&admin, &account)?;
        let done = store::set_membership(host, &account, tenant, role, None)
            .await
            .map_err(|e| failure::sql(host, "set member", &e))?;
        if done {
            log(host, "member set", &admin, &account, tenant, role);
            let member = Account {
                tenant: tenant.to_string(),
                role: role.to_string(),
                ..account
            };
            return Ok(Reply::json(200, &AccountView::from(&member)));
        }
    }
    Err(ApiError::Service(AccountError::Conflict))
}

/// Sends a member of `tenant` back to `default` as a customer without
/// attributes: 204. 409 `default_tenant` for tenant `default`, 404 if the
/// account is not in `tenant`, 409 `platform_admin` for a platform admin.
pub async fn remove(
    host: &impl Host,
    authorization: Option<&str>,
    tenant: &str,
    account_id: &str,
) -> Result<Reply, ApiError> {
    let admin = auth::admin(host, authorization)?;
    admin.require_tenant(tenant)?;
    if tenant == DEFAULT_TENANT {
        return Err(ApiError::Service(AccountError::DefaultTenant));
    }
    for _ in 0..store::ATTEMPTS {
        let account = existing(host, account_id, "remove member").await?;
        if account.tenant != tenant {
            return Err(ApiError::Service(AccountError::NoSuch(
                "member of this tenant",
            )));
        }
        if account.role == create::ADMIN {
            return Err(ApiError::Service(AccountError::PlatformAdmin));
        }
        let done = store::set_membership(
            host,
            &account,
            DEFAULT_TENANT,
            create::CUSTOMER,
            Some(&Attributes::new()),
        )
        .await
        .map_err(|e| failure::sql(host, "remove member", &e))?;
        if done {
            let (to, role) = (DEFAULT_TENANT, create::CUSTOMER);
            log(host, "member removed", &admin, &account, to, role);
            return Ok(Reply::empty(204));
        }
    }
    Err(ApiError::Service(AccountError::Conflict))
}

/// The account with `id`, or 404.
pub async fn existing(host: &impl Host, id: &str, during: &str) -> Result<Account, ApiError> {
    store::find_by_id(host, id)
        .await
        .map_err(|e| failure::store(host, during, &e))?
        .ok_or(ApiError::Service(AccountError::NoSuch("account")))
}

/// Whether `admin` may put `account` into the tenant of the route (already
/// checked to be its own): a platform admin any account, a tenant admin
/// those of `default` and its own; a platform admin's account never.
fn may_take(admin: &Admin, account: &Account) -> Result<(), ApiError> {
    if !admin.manages(&account.tenant) && account.tenant != DEFAULT_TENANT {
        return Err(ApiError::Forbidden);
    }
    if account.role == create::ADMIN {
        return Err(ApiError::Service(AccountError::PlatformAdmin));
    }
    Ok(())
}

/// Logs a change of `account` (as read) to tenant `to` with `role`.
fn log(host: &impl Host, what: &str, admin: &Admin, account: &Account, to: &str, role: &str) {
    host.log(
        Level::Info,
        what,
        &[
            ("account", &account.id),
            ("from_tenant", &account.tenant),
            ("tenant", to),
            ("role", role),
            ("by", &admin.subject),
        ],
    );
}

//! Tenants, for admins: `POST /admin/tenants` and `GET /admin/tenants`
//! (platform admins only), `GET /admin/tenants/{tenant}` with its members
//! (platform admins, and that tenant's admins). Accounts join a tenant
//! through [`members`](crate::members); a token carries the tenant, role
//! and attributes the account had at login, so changes count from the
//! account's next login.

use crate::body::{self, BodySource};
use crate::errors::{AccountError, ApiError};
use crate::ports::{Host, Level, SqlError};
use crate::reply::Reply;
use crate::tenant_store::{self, Tenant};
use crate::wire::{self, AccountView, CreateTenantRequest, TenantDetailView, TenantView};
use crate::{auth, failure, store, validate};

/// Creates a tenant: 201 with it; 409 `tenant_exists` if the id is taken
/// (the primary key decides), 400 `invalid_input` naming a bad field.
pub async fn create(
    host: &impl Host,
    authorization: Option<&str>,
    body: &mut impl BodySource,
) -> Result<Reply, ApiError> {
    let admin = auth::admin(host, authorization)?;
    admin.require_platform()?;
    let body = body::read_limited(body, body::MAX_BODY_BYTES).await?;
    let req: CreateTenantRequest = wire::parse(&body)?;
    let tenant = Tenant {
        id: validate::tenant_id(&req.id)?,
        name: validate::tenant_name(&req.name)?,
        created_at: i64::try_from(host.now_ms()).unwrap_or(i64::MAX),
    };
    match tenant_store::insert(host, &tenant).await {
        Ok(()) => {}
        Err(SqlError::ConstraintViolation(_)) => {
            return Err(ApiError::Service(AccountError::TenantExists));
        }
        Err(e) => return Err(failure::sql(host, "create tenant", &e)),
    }
    host.log(
        Level::Info,
        "tenant created",
        &[("tenant", &tenant.id), ("by", &admin.subject)],
    );
    Ok(Reply::json(201, &TenantView::from(&tenant)))
}

/// Every tenant, by id.
pub async fn list(host: &impl Host, authorization: Option<&str>) -> Result<Reply, ApiError> {
    auth::admin(host, authorization)?.require_platform()?;
    let tenants = tenant_store::all(host)
        .await
        .map_err(|e| failure::store(host, "list tenants", &e))?;
    let views: Vec<TenantView> = tenants.iter().map(TenantView::from).collect();
    Ok(Reply::json(200, &views))
}

/// One tenant with its members by email (at most [`store::MAX_MEMBERS`]).
/// An admin of another tenant gets 403 whether or not `tenant` exists.
pub async fn show(
    host: &impl Host,
    authorization: Option<&str>,
    tenant: &str,
) -> Result<Reply, ApiError> {
    auth::admin(host, authorization)?.require_tenant(tenant)?;
    let found = tenant_store::find(host, tenant)
        .await
        .map_err(|e| failure::store(host, "show tenant", &e))?
        .ok_or(ApiError::Service(AccountError::NoSuch("tenant")))?;
    let members = store::members(host, tenant)
        .await
        .map_err(|e| failure::store(host, "show tenant", &e))?;
    Ok(Reply::json(
        200,
        &TenantDetailView {
            tenant: TenantView::from(&found),
            members: members.iter().map(AccountView::from).collect(),
        },
    ))
}

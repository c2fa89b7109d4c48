//! `GET /api/prices/{sku}?qty=&tenant=`: a quote for the caller.
//!
//! Who the quote is for comes from the verified bearer token, never from
//! the query: its tenant (whose rule applies) and its customer attributes
//! (which that rule sees). Without a token it is the "default" tenant and
//! no attributes. `?tenant=` only lets a platform admin (role `admin`)
//! preview another tenant's prices; for anyone else it may only name the
//! caller's own tenant.

use crate::errors::{ApiError, PricingError};
use crate::ports::{Claims, Host};
use crate::quote::{self, QuoteError};
use crate::reply::Reply;
use crate::wire::QuoteView;
use crate::{auth, failure, params};
use sluice_kit::http::query_param;

/// Quotes `qty` (default 1) units of `sku` for the caller: the tenant and
/// customer attributes of the verified token, or "default" and none
/// without a token (see the module docs).
///
/// `?tenant=X` is honoured when X is that same tenant (a no-op) or the
/// token's role is `admin`: a platform admin previews tenant X, with the
/// admin's own attributes. Anyone else naming another tenant (a
/// `tenant-admin` too) is 403 `tenant_preview_forbidden`.
///
/// A bad quantity is 400 `invalid_quantity`; an `Authorization` header
/// that is not a bearer token or does not verify is 401 `invalid_token` or
/// `token_expired` (never an anonymous quote); a `?tenant=` that is not a
/// valid tenant name is 400 `invalid_tenant`; an unknown sku (catalog has
/// no such product) 404 `unknown_sku`; a catalog that cannot be asked 503
/// `unavailable`.
pub async fn get_price(
    host: &impl Host,
    sku: &str,
    query: &str,
    authorization: Option<&str>,
) -> Result<Reply, ApiError> {
    let qty = params::quantity(query_param(query, "qty").as_deref())?;
    let caller = auth::optional_claims(host, authorization)?;
    let (tenant, customer) = quote_for(caller.as_ref(), query_param(query, "tenant"))?;
    match quote::quote(host, sku, qty, &tenant, customer).await {
        Ok(q) => Ok(Reply::json(200, &QuoteView::from(q))),
        Err(e) => Err(api_error(host, e)),
    }
}

/// Whom a quote is for: the tenant, and the customer attributes its rule
/// sees.
type Audience<'a> = (String, &'a [(String, String)]);

/// The tenant and customer attributes to quote for: the caller's (see
/// [`get_price`]), or the `?tenant=` a platform admin previews.
fn quote_for(caller: Option<&Claims>, asked: Option<String>) -> Result<Audience<'_>, ApiError> {
    let (own, customer, admin) = match caller {
        Some(c) => (c.tenant.as_str(), &c.attributes[..], c.role == auth::ADMIN),
        None => ("", &[][..], false),
    };
    // As in a quote, an empty tenant is the default one.
    let own = if own.is_empty() {
        params::DEFAULT_TENANT
    } else {
        own
    };
    let tenant = match asked {
        None => own.to_string(),
        Some(t) if !params::check_tenant(&t) => {
            return Err(ApiError::Service(PricingError::InvalidTenant));
        }
        Some(t) if t == own || admin => t,
        Some(_) => return Err(ApiError::Service(PricingError::TenantPreviewForbidden)),
    };
    Ok((tenant, customer))
}

/// A quote failure as the client sees it.
pub fn api_error(host: &impl Host, err: QuoteError) -> ApiError {
    match err {
        QuoteError::UnknownSku(sku) => ApiError::Service(PricingError::UnknownSku(sku)),
        QuoteError::InvalidQuantity(_) => ApiError::Service(PricingError::InvalidQuantity),
        QuoteError::InvalidTenant(_) => ApiError::Service(PricingError::InvalidTenant),
        QuoteError::Store(e) => failure::store(host, "quote", &e),
        QuoteError::Catalog(e) => failure::unavailable(host, "quote", &e.to_string()),
        QuoteError::BadProduct(why) => failure::internal(host, "quote", &why),
        QuoteError::Overflow => failure::internal(host, "quote", "the total overflows"),
    }
}

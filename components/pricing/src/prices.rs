//! `GET /api/prices/{sku}?qty=&tenant=`: a quote.

use crate::errors::ApiError;
use crate::ports::Host;
use crate::quote::{self, QuoteError};
use crate::reply::Reply;
use crate::wire::QuoteView;
use crate::{auth, failure, params};

/// Quotes `qty` (default 1) units of `sku`. The tenant is the verified
/// token's, else `?tenant=`, else "default"; a token's tenant wins over the
/// query. A bad quantity is 400 `invalid_quantity`, a bad `?tenant=` 400
/// `invalid_tenant`, an `Authorization` header that does not verify 401,
/// an unknown sku (catalog has no such product) 404 `unknown_sku`, and a
/// catalog that cannot be asked 503 `unavailable`.
pub async fn get_price(
    host: &impl Host,
    sku: &str,
    query: &str,
    authorization: Option<&str>,
) -> Result<Reply, ApiError> {
    let qty = params::quantity(params::query_param(query, "qty").as_deref())?;
    let tenant = match auth::optional_claims(host, authorization)? {
        Some(claims) => claims.tenant,
        None => match params::query_param(query, "tenant") {
            Some(tenant) if params::check_tenant(&tenant) => tenant,
            Some(_) => return Err(ApiError::InvalidTenant),
            None => params::DEFAULT_TENANT.to_string(),
        },
    };
    match quote::quote(host, sku, qty, &tenant).await {
        Ok(q) => Ok(Reply::json(200, &QuoteView::from(q))),
        Err(e) => Err(api_error(host, e)),
    }
}

/// A quote failure as the client sees it.
pub fn api_error(host: &impl Host, err: QuoteError) -> ApiError {
    match err {
        QuoteError::UnknownSku(sku) => ApiError::UnknownSku(sku),
        QuoteError::InvalidQuantity(_) => ApiError::InvalidQuantity,
        QuoteError::InvalidTenant(_) => ApiError::InvalidTenant,
        QuoteError::Store(e) => failure::store(host, "quote", &e),
        QuoteError::Catalog(e) => failure::catalog(host, "quote", &e),
        QuoteError::BadProduct(why) => failure::internal(host, "quote", &why),
        QuoteError::Overflow => failure::internal(host, "quote", "the total overflows"),
    }
}

//! One HTTP request in, one [`Reply`] out: routing, the headers the service
//! reads, and dispatch. Bad input never panics and never is a 500.

use crate::body::BodySource;
use crate::ports::Host;
use crate::reply::Reply;
use crate::routes::{self, Route};
use crate::{prices, promotions};
use sluice_kit::http::{header, split_target};

pub use sluice_kit::http::Request;

/// Handles one request.
pub async fn handle(host: &impl Host, mut req: Request<impl BodySource>) -> Reply {
    let (path, query) = split_target(&req.path);
    let authorization = header(&req.headers, "authorization");
    let result = match routes::parse(&req.method, path) {
        Err(e) => Err(e),
        Ok(Route::Price(sku)) => prices::get_price(host, &sku, query, authorization).await,
        Ok(Route::ListPromotions) => promotions::list(host).await,
        Ok(Route::GetPromotion(id)) => promotions::get(host, &id).await,
        Ok(Route::CreatePromotion) => promotions::create(host, authorization, &mut req.body).await,
        Ok(Route::DeletePromotion(id)) => promotions::delete(host, authorization, &id).await,
    };
    result
        .unwrap_or_else(Reply::from)
        .with_request_id(&req.headers)
}

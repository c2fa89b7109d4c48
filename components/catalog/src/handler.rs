//! One HTTP request in, one [`Reply`] out: routing, the headers the service
//! reads, and dispatch. Bad input never panics and never is a 500.

use crate::body::BodySource;
use crate::ports::Host;
use crate::products;
use crate::reply::Reply;
use crate::routes::{self, Route};
use sluice_kit::http::header;

pub use sluice_kit::http::Request;

/// Handles one request.
pub async fn handle(host: &impl Host, mut req: Request<impl BodySource>) -> Reply {
    let (path, query) = routes::split(&req.path);
    let authorization = header(&req.headers, "authorization");
    let result = match routes::parse(&req.method, path) {
        Err(e) => Err(e),
        Ok(Route::List) => products::list(host, query).await,
        Ok(Route::Get(sku)) => products::get(host, sku).await,
        Ok(Route::Create) => products::create(host, authorization, &mut req.body).await,
        Ok(Route::Update(sku)) => products::update(host, sku, authorization, &mut req.body).await,
    };
    result
        .unwrap_or_else(Reply::from)
        .with_request_id(&req.headers)
}

//! One HTTP request in, one [`Reply`] out: routing, authentication, the
//! headers the service reads, and dispatch. Bad input never panics and
//! never is a 500.

use crate::errors::{ApiError, OrderError};
use crate::ports::Host;
use crate::routes::{self, Route};
use crate::{auth, cancel, items, orders, place};
use sluice_kit::body::{BodySource, MAX_BODY_BYTES, read_limited};
use sluice_kit::http::{header, is_visible_ascii, split_target};
use sluice_kit::reply::Reply;

pub use sluice_kit::http::Request;

/// The longest `Idempotency-Key`.
const MAX_ID_CHARS: usize = 128;

/// Handles one request.
pub async fn handle(host: &impl Host, mut req: Request<impl BodySource>) -> Reply {
    let reply = dispatch(host, &mut req).await.unwrap_or_else(Reply::from);
    reply.with_request_id(&req.headers)
}

async fn dispatch(host: &impl Host, req: &mut Request<impl BodySource>) -> Result<Reply, ApiError> {
    let (path, query) = split_target(&req.path);
    let route = routes::parse(&req.method, path)?;
    let caller = auth::require(host, header(&req.headers, "authorization"))?;
    match route {
        Route::Get(id) => orders::get(host, &caller, &id).await,
        Route::List => orders::list(host, &caller, query).await,
        Route::Cancel(id) => cancel::cancel(host, &caller, &id).await,
        Route::Place => {
            let key = idempotency_key(&req.headers)?;
            let body = read_limited(&mut req.body, MAX_BODY_BYTES).await?;
            let lines = items::parse(&body)?;
            place::place(host, &caller, key, &lines).await
        }
    }
}

/// The `Idempotency-Key` header: absent, or 1..=128 visible ASCII
/// characters (else 400).
fn idempotency_key(headers: &[(String, Vec<u8>)]) -> Result<Option<&str>, ApiError> {
    let present = headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("idempotency-key"));
    match header(headers, "idempotency-key") {
        Some(key) if is_visible_ascii(key, MAX_ID_CHARS) => Ok(Some(key)),
        None if !present => Ok(None),
        _ => Err(ApiError::Service(OrderError::InvalidIdempotencyKey)),
    }
}

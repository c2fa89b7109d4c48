//! One HTTP request in, one [`Reply`] out: routing, the headers the service
//! reads, and dispatch. Bad input never panics and never is a 500.

use crate::body::BodySource;
use crate::ports::Host;
use crate::reply::Reply;
use crate::routes::{self, Route};
use crate::{attributes, login, me, members, register, tenants, throttle};

/// A request as the glue hands it over.
pub struct Request<B> {
    /// The method name, e.g. `"POST"`.
    pub method: String,
    /// Path and query, e.g. `/api/accounts/login`.
    pub path: String,
    /// Header names and raw values, in order.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body, read only by routes that need it.
    pub body: B,
}

/// The longest `x-request-id` echoed back.
const MAX_REQUEST_ID: usize = 128;

/// Handles one request.
pub async fn handle(host: &impl Host, mut req: Request<impl BodySource>) -> Reply {
    let authorization = header(&req.headers, "authorization");
    let body = &mut req.body;
    let result = match routes::parse(&req.method, &req.path) {
        Err(e) => Err(e),
        Ok(Route::Register) => {
            let client = throttle::client_key(header(&req.headers, "x-forwarded-for"));
            register::register(host, &client, body).await
        }
        Ok(Route::Login) => {
            let client = throttle::client_key(header(&req.headers, "x-forwarded-for"));
            login::login(host, &client, body).await
        }
        Ok(Route::Me) => me::me(host, authorization).await,
        Ok(Route::CreateTenant) => tenants::create(host, authorization, body).await,
        Ok(Route::ListTenants) => tenants::list(host, authorization).await,
        Ok(Route::ShowTenant { tenant }) => tenants::show(host, authorization, &tenant).await,
        Ok(Route::SetMember { tenant, account }) => {
            members::set(host, authorization, &tenant, &account, body).await
        }
        Ok(Route::RemoveMember { tenant, account }) => {
            members::remove(host, authorization, &tenant, &account).await
        }
        Ok(Route::SetAttributes { account }) => {
            attributes::set(host, authorization, &account, body).await
        }
    };
    let reply = result.unwrap_or_else(Reply::from);
    match header(&req.headers, "x-request-id") {
        Some(id) if is_request_id(id) => reply.with_header("x-request-id", id),
        _ => reply,
    }
}

/// The first value of header `name` (case-insensitive), if it is UTF-8.
pub fn header<'a>(headers: &'a [(String, Vec<u8>)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| std::str::from_utf8(v).ok())
}

/// Whether `id` is safe to echo: 1..=128 visible ASCII characters.
fn is_request_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_REQUEST_ID && id.bytes().all(|b| b.is_ascii_graphic())
}

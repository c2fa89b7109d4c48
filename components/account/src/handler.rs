//! One HTTP request in, one [`Reply`] out: routing, the headers the service
//! reads, and dispatch. Bad input never panics and never is a 500.

use crate::body::BodySource;
use crate::ports::Host;
use crate::reply::Reply;
use crate::routes::{self, Route};
use crate::{attributes, login, me, members, register, tenants, throttle};
use sluice_kit::http::header;

pub use sluice_kit::http::Request;

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
    result
        .unwrap_or_else(Reply::from)
        .with_request_id(&req.headers)
}

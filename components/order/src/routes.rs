//! Routing: the gateway forwards full paths, so the component sees
//! `/api/orders` and `/api/orders/{id}`.

use crate::errors::ApiError;
use sluice_kit::http::percent_decode;

/// The service's endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `POST /api/orders`
    Place,
    /// `GET /api/orders`
    List,
    /// `GET /api/orders/{id}`
    Get(String),
}

/// The prefix of every order path.
pub const ORDERS: &str = "/api/orders";

/// The route for `method` and `path` (without the query); one trailing
/// slash is ignored. Unknown paths are 404, known paths with another
/// method 405.
pub fn parse(method: &str, path: &str) -> Result<Route, ApiError> {
    let path = path.strip_suffix('/').unwrap_or(path);
    let rest = path.strip_prefix(ORDERS).ok_or(ApiError::NotFound)?;
    if rest.is_empty() {
        return match method {
            "GET" => Ok(Route::List),
            "POST" => Ok(Route::Place),
            _ => Err(ApiError::MethodNotAllowed { allow: "GET, POST" }),
        };
    }
    let id = rest
        .strip_prefix('/')
        .filter(|id| !id.is_empty() && !id.contains('/'))
        .and_then(percent_decode)
        .ok_or(ApiError::NotFound)?;
    match method {
        "GET" => Ok(Route::Get(id)),
        _ => Err(ApiError::MethodNotAllowed { allow: "GET" }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(parse("POST", "/api/orders"), Ok(Route::Place));
        assert_eq!(parse("GET", "/api/orders/"), Ok(Route::List));
        assert_eq!(
            parse("GET", "/api/orders/0-ab"),
            Ok(Route::Get("0-ab".into()))
        );
        assert_eq!(
            parse("DELETE", "/api/orders"),
            Err(ApiError::MethodNotAllowed { allow: "GET, POST" })
        );
        assert_eq!(
            parse("POST", "/api/orders/0-ab"),
            Err(ApiError::MethodNotAllowed { allow: "GET" })
        );
        for path in [
            "/",
            "",
            "/api/ordersX",
            "/api/orders/a/b",
            "/api/orders//",
            "/api/orders/%zz",
            "/api/prices",
        ] {
            assert_eq!(parse("GET", path), Err(ApiError::NotFound), "{path:?}");
        }
    }
}

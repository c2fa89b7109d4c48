//! Routing: the gateway forwards full paths, so the component sees
//! `/api/orders`, `/api/orders/{id}` and `/api/orders/{id}/cancel`.

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
    /// `POST /api/orders/{id}/cancel`
    Cancel(String),
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
    let tail = rest.strip_prefix('/').ok_or(ApiError::NotFound)?;
    let (id, action) = match tail.split_once('/') {
        Some((id, action)) => (id, Some(action)),
        None => (tail, None),
    };
    let id = Some(id)
        .filter(|id| !id.is_empty())
        .and_then(percent_decode)
        .ok_or(ApiError::NotFound)?;
    match (action, method) {
        (None, "GET") => Ok(Route::Get(id)),
        (None, _) => Err(ApiError::MethodNotAllowed { allow: "GET" }),
        (Some("cancel"), "POST") => Ok(Route::Cancel(id)),
        (Some("cancel"), _) => Err(ApiError::MethodNotAllowed { allow: "POST" }),
        (Some(_), _) => Err(ApiError::NotFound),
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
        assert_eq!(
            parse("POST", "/api/orders/0-ab/cancel"),
            Ok(Route::Cancel("0-ab".into()))
        );
        assert_eq!(
            parse("POST", "/api/orders/0-ab/cancel/"),
            Ok(Route::Cancel("0-ab".into()))
        );
        for method in ["GET", "DELETE", "PUT"] {
            assert_eq!(
                parse(method, "/api/orders/0-ab/cancel"),
                Err(ApiError::MethodNotAllowed { allow: "POST" })
            );
        }
        for path in [
            "/",
            "",
            "/api/ordersX",
            "/api/orders/a/b",
            "/api/orders//",
            "/api/orders//cancel",
            "/api/orders/a/cancel/x",
            "/api/orders/a/Cancel",
            "/api/orders/%zz/cancel",
            "/api/orders/%zz",
            "/api/prices",
        ] {
            assert_eq!(parse("GET", path), Err(ApiError::NotFound), "{path:?}");
        }
    }
}

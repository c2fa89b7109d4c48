//! Routing: which endpoint a method and path name. The gateway forwards full
//! paths, so the component sees `/api/prices/...` and `/api/promotions/...`.

use crate::errors::ApiError;
use sluice_kit::errors::only;
use sluice_kit::http::percent_decode;

/// The service's endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `GET /api/prices/{sku}`
    Price(String),
    /// `GET /api/promotions`
    ListPromotions,
    /// `POST /api/promotions`
    CreatePromotion,
    /// `GET /api/promotions/{id}`
    GetPromotion(String),
    /// `DELETE /api/promotions/{id}`
    DeletePromotion(String),
}

/// The prefix of quotes.
pub const PRICES: &str = "/api/prices";
/// The prefix of promotions.
pub const PROMOTIONS: &str = "/api/promotions";

/// The route for `method` and `path` (without the query). One trailing
/// slash is ignored; the `{sku}` and `{id}` segments are percent-decoded
/// (a `+` stays a plus).
/// Unknown paths are [`ApiError::NotFound`]; a known path with another
/// method is [`ApiError::MethodNotAllowed`].
pub fn parse(method: &str, path: &str) -> Result<Route, ApiError> {
    let path = path.strip_suffix('/').unwrap_or(path);
    if let Some(rest) = path.strip_prefix(PRICES) {
        let sku = segment(rest)?;
        return only(method, "GET", Route::Price(sku));
    }
    if let Some(rest) = path.strip_prefix(PROMOTIONS) {
        if rest.is_empty() {
            return match method {
                "GET" => Ok(Route::ListPromotions),
                "POST" => Ok(Route::CreatePromotion),
                _ => Err(ApiError::MethodNotAllowed { allow: "GET, POST" }),
            };
        }
        let id = segment(rest)?;
        return match method {
            "GET" => Ok(Route::GetPromotion(id)),
            "DELETE" => Ok(Route::DeletePromotion(id)),
            _ => Err(ApiError::MethodNotAllowed {
                allow: "GET, DELETE",
            }),
        };
    }
    Err(ApiError::NotFound)
}

/// The one decoded, non-empty segment of `/segment`.
fn segment(rest: &str) -> Result<String, ApiError> {
    let raw = rest.strip_prefix('/').ok_or(ApiError::NotFound)?;
    if raw.is_empty() || raw.contains('/') {
        return Err(ApiError::NotFound);
    }
    percent_decode(raw)
        .filter(|s| !s.is_empty())
        .ok_or(ApiError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_routes() {
        assert_eq!(
            parse("GET", "/api/prices/SKU-1"),
            Ok(Route::Price("SKU-1".into()))
        );
        assert_eq!(
            parse("GET", "/api/prices/SKU-1/"),
            Ok(Route::Price("SKU-1".into()))
        );
        assert_eq!(
            parse("GET", "/api/prices/A%20B"),
            Ok(Route::Price("A B".into()))
        );
        assert_eq!(
            parse("GET", "/api/prices/a+b%2F"),
            Ok(Route::Price("a+b/".into()))
        );
        assert_eq!(parse("GET", "/api/promotions"), Ok(Route::ListPromotions));
        assert_eq!(parse("GET", "/api/promotions/"), Ok(Route::ListPromotions));
        assert_eq!(parse("POST", "/api/promotions"), Ok(Route::CreatePromotion));
        assert_eq!(
            parse("GET", "/api/promotions/p1"),
            Ok(Route::GetPromotion("p1".into()))
        );
        assert_eq!(
            parse("DELETE", "/api/promotions/p1"),
            Ok(Route::DeletePromotion("p1".into()))
        );
    }

    #[test]
    fn wrong_methods_are_405_with_allow() {
        assert_eq!(
            parse("POST", "/api/prices/S"),
            Err(ApiError::MethodNotAllowed { allow: "GET" })
        );
        assert_eq!(
            parse("DELETE", "/api/promotions"),
            Err(ApiError::MethodNotAllowed { allow: "GET, POST" })
        );
        assert_eq!(
            parse("PUT", "/api/promotions/p1"),
            Err(ApiError::MethodNotAllowed {
                allow: "GET, DELETE"
            })
        );
    }

    #[test]
    fn unknown_paths_are_404() {
        for path in [
            "/",
            "",
            "/api/prices",
            "/api/prices/",
            "/api/prices/a/b",
            "/api/prices//a",
            "/api/pricesX",
            "/api/prices/%zz",
            "/api/promotions/a/b",
            "/api/promotionsX",
            "/api/accounts/me",
        ] {
            assert_eq!(parse("GET", path), Err(ApiError::NotFound), "{path:?}");
        }
    }
}

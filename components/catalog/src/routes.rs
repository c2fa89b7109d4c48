//! Routing: which endpoint a method and path name. The gateway forwards full
//! paths, so the component sees `/api/products/...`.

use crate::errors::ApiError;

/// The service's endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route<'a> {
    /// `GET /api/products`
    List,
    /// `POST /api/products`
    Create,
    /// `GET /api/products/{sku}`
    Get(&'a str),
    /// `PUT /api/products/{sku}`
    Update(&'a str),
}

/// The prefix every catalog path starts with.
pub const PREFIX: &str = "/api/products";

/// The path and the query string (without `?`) of `path_with_query`.
pub fn split(path_with_query: &str) -> (&str, Option<&str>) {
    let without_fragment = path_with_query
        .split_once('#')
        .map_or(path_with_query, |(p, _)| p);
    match without_fragment.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (without_fragment, None),
    }
}

/// The route for `method` (e.g. `"GET"`) and `path` (no query). One trailing
/// slash is ignored. Unknown paths are [`ApiError::NotFound`]; a known path
/// with another method is [`ApiError::MethodNotAllowed`]. The sku segment is
/// returned as is; the endpoints decide what an unusable sku means.
pub fn parse<'a>(method: &str, path: &'a str) -> Result<Route<'a>, ApiError> {
    let path = path.strip_suffix('/').unwrap_or(path);
    let Some(rest) = path.strip_prefix(PREFIX) else {
        return Err(ApiError::NotFound);
    };
    match rest {
        "" => match method {
            "GET" => Ok(Route::List),
            "POST" => Ok(Route::Create),
            _ => Err(ApiError::MethodNotAllowed { allow: "GET, POST" }),
        },
        _ => {
            let sku = rest.strip_prefix('/').ok_or(ApiError::NotFound)?;
            if sku.is_empty() || sku.contains('/') {
                return Err(ApiError::NotFound);
            }
            match method {
                "GET" => Ok(Route::Get(sku)),
                "PUT" => Ok(Route::Update(sku)),
                _ => Err(ApiError::MethodNotAllowed { allow: "GET, PUT" }),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_routes() {
        assert_eq!(parse("GET", "/api/products"), Ok(Route::List));
        assert_eq!(parse("GET", "/api/products/"), Ok(Route::List));
        assert_eq!(parse("POST", "/api/products"), Ok(Route::Create));
        assert_eq!(parse("GET", "/api/products/A-1"), Ok(Route::Get("A-1")));
        assert_eq!(parse("PUT", "/api/products/A-1/"), Ok(Route::Update("A-1")));
    }

    #[test]
    fn split_takes_off_the_query() {
        assert_eq!(
            split("/api/products?limit=5&offset=1"),
            ("/api/products", Some("limit=5&offset=1"))
        );
        assert_eq!(split("/api/products"), ("/api/products", None));
        assert_eq!(split("/api/products?a#frag"), ("/api/products", Some("a")));
    }

    #[test]
    fn wrong_method_is_405_with_allow() {
        assert_eq!(
            parse("DELETE", "/api/products"),
            Err(ApiError::MethodNotAllowed { allow: "GET, POST" })
        );
        assert_eq!(
            parse("POST", "/api/products/A-1"),
            Err(ApiError::MethodNotAllowed { allow: "GET, PUT" })
        );
        assert_eq!(parse("get", "/api/products").unwrap_err().status(), 405);
    }

    #[test]
    fn unknown_paths_are_404() {
        for path in [
            "/",
            "",
            "/api",
            "/api/productsX",
            "/api/products//",
            "/api/products/a/b",
            "/API/products",
            "/api/accounts/me",
        ] {
            assert_eq!(parse("GET", path), Err(ApiError::NotFound), "{path:?}");
        }
    }
}

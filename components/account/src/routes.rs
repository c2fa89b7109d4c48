//! Routing: which endpoint a method and path name. The gateway forwards full
//! paths, so the component sees `/api/accounts/...`.

use crate::errors::ApiError;

/// The service's endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `POST /api/accounts/register`
    Register,
    /// `POST /api/accounts/login`
    Login,
    /// `GET /api/accounts/me`
    Me,
}

/// The prefix every account path starts with.
pub const PREFIX: &str = "/api/accounts";

/// The route for `method` (e.g. `"POST"`) and `path_with_query`. A query
/// string and one trailing slash are ignored. Unknown paths are
/// [`ApiError::NotFound`]; a known path with another method is
/// [`ApiError::MethodNotAllowed`].
pub fn parse(method: &str, path_with_query: &str) -> Result<Route, ApiError> {
    let path = path_with_query
        .split_once(['?', '#'])
        .map_or(path_with_query, |(path, _)| path);
    let path = path.strip_suffix('/').unwrap_or(path);
    let (route, allow) = match path.strip_prefix(PREFIX) {
        Some("/register") => (Route::Register, "POST"),
        Some("/login") => (Route::Login, "POST"),
        Some("/me") => (Route::Me, "GET"),
        _ => return Err(ApiError::NotFound),
    };
    if method == allow {
        Ok(route)
    } else {
        Err(ApiError::MethodNotAllowed { allow })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_routes() {
        assert_eq!(parse("POST", "/api/accounts/register"), Ok(Route::Register));
        assert_eq!(parse("POST", "/api/accounts/login"), Ok(Route::Login));
        assert_eq!(parse("GET", "/api/accounts/me"), Ok(Route::Me));
    }

    #[test]
    fn query_and_trailing_slash_are_ignored() {
        assert_eq!(parse("GET", "/api/accounts/me?x=1"), Ok(Route::Me));
        assert_eq!(parse("GET", "/api/accounts/me/"), Ok(Route::Me));
        assert_eq!(parse("POST", "/api/accounts/login/?a"), Ok(Route::Login));
    }

    #[test]
    fn wrong_method_is_405_with_allow() {
        assert_eq!(
            parse("GET", "/api/accounts/register"),
            Err(ApiError::MethodNotAllowed { allow: "POST" })
        );
        assert_eq!(
            parse("DELETE", "/api/accounts/login"),
            Err(ApiError::MethodNotAllowed { allow: "POST" })
        );
        assert_eq!(
            parse("POST", "/api/accounts/me"),
            Err(ApiError::MethodNotAllowed { allow: "GET" })
        );
        assert_eq!(
            parse("post", "/api/accounts/login").unwrap_err().status(),
            405
        );
    }

    #[test]
    fn unknown_paths_are_404() {
        for path in [
            "/",
            "",
            "/api/accounts",
            "/api/accounts/",
            "/api/accounts/mee",
            "/api/accounts/me/extra",
            "/api/accountsme",
            "/accounts/me",
            "/api/accounts//me",
            "/API/accounts/me",
        ] {
            assert_eq!(parse("GET", path), Err(ApiError::NotFound), "{path:?}");
        }
    }
}

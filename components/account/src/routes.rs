//! Routing: which endpoint a method and path name. The gateway forwards full
//! paths, so the component sees `/api/accounts/...`, `/admin/tenants...`
//! and `/admin/accounts...`.

use crate::errors::ApiError;
use sluice_kit::errors::only;

/// The service's endpoints; path parameters as they appear in the path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `POST /api/accounts/register`
    Register,
    /// `POST /api/accounts/login`
    Login,
    /// `GET /api/accounts/me`
    Me,
    /// `POST /admin/tenants`
    CreateTenant,
    /// `GET /admin/tenants`
    ListTenants,
    /// `GET /admin/tenants/{tenant}`
    ShowTenant { tenant: String },
    /// `PUT /admin/tenants/{tenant}/members/{account}`
    SetMember { tenant: String, account: String },
    /// `DELETE /admin/tenants/{tenant}/members/{account}`
    RemoveMember { tenant: String, account: String },
    /// `PUT /admin/accounts/{account}/attributes`
    SetAttributes { account: String },
}

/// The route for `method` (e.g. `"POST"`) and `path_with_query`. A query
/// string and one trailing slash are ignored. Unknown paths (an empty
/// segment included) are [`ApiError::NotFound`]; a known path with another
/// method is [`ApiError::MethodNotAllowed`].
pub fn parse(method: &str, path_with_query: &str) -> Result<Route, ApiError> {
    let path = path_with_query
        .split_once(['?', '#'])
        .map_or(path_with_query, |(path, _)| path);
    let path = path.strip_suffix('/').unwrap_or(path);
    let Some(path) = path.strip_prefix('/') else {
        return Err(ApiError::NotFound);
    };
    let segments: Vec<&str> = path.split('/').collect();
    if segments.contains(&"") {
        return Err(ApiError::NotFound);
    }
    let owned = |s: &str| s.to_string();
    match segments.as_slice() {
        ["api", "accounts", "register"] => only(method, "POST", Route::Register),
        ["api", "accounts", "login"] => only(method, "POST", Route::Login),
        ["api", "accounts", "me"] => only(method, "GET", Route::Me),
        ["admin", "tenants"] => match method {
            "GET" => Ok(Route::ListTenants),
            "POST" => Ok(Route::CreateTenant),
            _ => Err(ApiError::MethodNotAllowed { allow: "GET, POST" }),
        },
        ["admin", "tenants", tenant] => {
            let tenant = owned(tenant);
            only(method, "GET", Route::ShowTenant { tenant })
        }
        ["admin", "tenants", tenant, "members", account] => {
            let (tenant, account) = (owned(tenant), owned(account));
            match method {
                "PUT" => Ok(Route::SetMember { tenant, account }),
                "DELETE" => Ok(Route::RemoveMember { tenant, account }),
                _ => Err(ApiError::MethodNotAllowed {
                    allow: "PUT, DELETE",
                }),
            }
        }
        ["admin", "accounts", account, "attributes"] => {
            let account = owned(account);
            only(method, "PUT", Route::SetAttributes { account })
        }
        _ => Err(ApiError::NotFound),
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
    fn admin_routes_carry_their_path_parameters() {
        assert_eq!(parse("POST", "/admin/tenants"), Ok(Route::CreateTenant));
        assert_eq!(parse("GET", "/admin/tenants/?all"), Ok(Route::ListTenants));
        assert_eq!(
            parse("GET", "/admin/tenants/acme"),
            Ok(Route::ShowTenant {
                tenant: "acme".into()
            })
        );
        assert_eq!(
            parse("PUT", "/admin/tenants/acme/members/abc123"),
            Ok(Route::SetMember {
                tenant: "acme".into(),
                account: "abc123".into()
            })
        );
        assert_eq!(
            parse("DELETE", "/admin/tenants/acme/members/abc123/"),
            Ok(Route::RemoveMember {
                tenant: "acme".into(),
                account: "abc123".into()
            })
        );
        assert_eq!(
            parse("PUT", "/admin/accounts/abc123/attributes"),
            Ok(Route::SetAttributes {
                account: "abc123".into()
            })
        );
    }

    #[test]
    fn admin_routes_answer_405_with_their_methods() {
        for (method, path, allow) in [
            ("DELETE", "/admin/tenants", "GET, POST"),
            ("PUT", "/admin/tenants/acme", "GET"),
            ("GET", "/admin/tenants/acme/members/abc", "PUT, DELETE"),
            ("POST", "/admin/accounts/abc/attributes", "PUT"),
        ] {
            assert_eq!(
                parse(method, path),
                Err(ApiError::MethodNotAllowed { allow }),
                "{method} {path}"
            );
        }
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
            "/admin",
            "/admin/tenants//members/abc",
            "/admin/tenants/acme/members",
            "/admin/tenants/acme/members/abc/extra",
            "/admin/tenants/acme/pricing-rule",
            "/admin/accounts",
            "/admin/accounts/abc",
            "/admin/accounts//attributes",
            "/admin/products",
        ] {
            assert_eq!(parse("GET", path), Err(ApiError::NotFound), "{path:?}");
        }
    }
}

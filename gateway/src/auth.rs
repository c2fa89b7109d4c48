//! Authentication at the edge: the bearer token of a request is verified
//! through an [`Authenticator`] the host supplies (it owns the signing key),
//! routes decide whether a token (or role `admin`) is required, and the
//! verified identity travels upstream in `x-sluice-*` headers, which the
//! gateway strips from every client request first.

use crate::errors::GatewayError;
use crate::routing::RouteEntry;
use http::header::{AUTHORIZATION, HeaderName, HeaderValue};
use http::{HeaderMap, Method};

pub const X_SLUICE_SUBJECT: HeaderName = HeaderName::from_static("x-sluice-subject");
pub const X_SLUICE_ROLE: HeaderName = HeaderName::from_static("x-sluice-role");
pub const X_SLUICE_TENANT: HeaderName = HeaderName::from_static("x-sluice-tenant");

/// The role admin routes require.
pub const ADMIN_ROLE: &str = "admin";

/// Who a verified token says its bearer is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub subject: String,
    pub role: String,
    pub tenant: String,
}

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthError {
    /// Malformed, wrongly signed, of another algorithm or issuer.
    Invalid,
    /// Valid but at or past its expiry.
    Expired,
}

/// Verifies bearer tokens. Called on the request path, so it must answer
/// from memory (an HMAC check, not a network call).
pub trait Authenticator: Send + Sync + 'static {
    /// The identity in `token` (the text after `Bearer `).
    fn verify(&self, token: &str) -> Result<Identity, AuthError>;
}

/// The authenticator of a gateway built without one: every token is
/// invalid, so protected routes fail closed.
#[derive(Debug, Default, Clone, Copy)]
pub struct DenyAll;

impl Authenticator for DenyAll {
    fn verify(&self, _token: &str) -> Result<Identity, AuthError> {
        Err(AuthError::Invalid)
    }
}

/// Decides who is calling: `Ok(Some(identity))` for a valid token,
/// `Ok(None)` for an anonymous request the route accepts, and the 401/403
/// error otherwise. A bad token on a route that needs none is ignored (the
/// request goes on anonymous, `Authorization` untouched for the service).
pub(crate) fn authenticate(
    authenticator: &dyn Authenticator,
    route: &RouteEntry,
    method: &Method,
    headers: &HeaderMap,
) -> Result<Option<Identity>, GatewayError> {
    let required = route.needs_token(method);
    let verified = match bearer(headers) {
        Some(token) => authenticator.verify(token),
        None if required => return Err(GatewayError::Unauthorized),
        None => return Ok(None),
    };
    let identity = match verified {
        Ok(identity) => identity,
        Err(_) if !required => return Ok(None),
        Err(AuthError::Invalid) => return Err(GatewayError::InvalidToken),
        Err(AuthError::Expired) => return Err(GatewayError::TokenExpired),
    };
    if route.needs_admin(method) && identity.role != ADMIN_ROLE {
        return Err(GatewayError::Forbidden);
    }
    Ok(Some(identity))
}

/// The identity of a platform admin's bearer token, for the gateway's own
/// admin pages (the console's data).
pub(crate) fn authenticate_admin(
    authenticator: &dyn Authenticator,
    headers: &HeaderMap,
) -> Result<Identity, GatewayError> {
    let token = bearer(headers).ok_or(GatewayError::Unauthorized)?;
    let identity = authenticator.verify(token).map_err(|e| match e {
        AuthError::Invalid => GatewayError::InvalidToken,
        AuthError::Expired => GatewayError::TokenExpired,
    })?;
    if identity.role != ADMIN_ROLE {
        return Err(GatewayError::Forbidden);
    }
    Ok(identity)
}

/// The token of an `Authorization: Bearer <token>` header (scheme case
/// insensitive), if there is one.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Sets the identity headers for the upstream (after the client's
/// `x-sluice-*` headers were stripped). A claim that is not a valid header
/// value is left out rather than mangled.
pub(crate) fn apply_identity(identity: &Identity, headers: &mut HeaderMap) {
    for (name, value) in [
        (X_SLUICE_SUBJECT, &identity.subject),
        (X_SLUICE_ROLE, &identity.role),
        (X_SLUICE_TENANT, &identity.tenant),
    ] {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Methods, Route};
    use crate::routing::RouteTable;
    use std::time::Duration;

    /// Tokens are `role:subject`; `expired` is expired.
    struct Fake;

    impl Authenticator for Fake {
        fn verify(&self, token: &str) -> Result<Identity, AuthError> {
            if token == "expired" {
                return Err(AuthError::Expired);
            }
            let (role, subject) = token.split_once(':').ok_or(AuthError::Invalid)?;
            Ok(Identity {
                subject: subject.into(),
                role: role.into(),
                tenant: "default".into(),
            })
        }
    }

    fn check(route: &Route, method: Method, auth: Option<&str>) -> Result<Option<String>, String> {
        let table = RouteTable::new(std::slice::from_ref(route), Duration::from_secs(1)).unwrap();
        let mut headers = HeaderMap::new();
        if let Some(auth) = auth {
            headers.insert(AUTHORIZATION, auth.parse().unwrap());
        }
        authenticate(
            &Fake,
            table.route_for(&route.prefix).unwrap(),
            &method,
            &headers,
        )
        .map(|identity| identity.map(|identity| identity.subject))
        .map_err(|error| error.code().to_owned())
    }

    #[test]
    fn protected_routes_need_a_valid_token() {
        let route = Route::new("/o", "order").protected(Methods::All);
        assert_eq!(check(&route, Method::GET, None), Err("unauthorized".into()));
        let basic = Some("Basic dXNlcjpwYXNz");
        assert_eq!(
            check(&route, Method::GET, basic),
            Err("unauthorized".into())
        );
        let garbage = Some("Bearer garbage");
        assert_eq!(
            check(&route, Method::GET, garbage),
            Err("invalid_token".into())
        );
        let expired = Some("Bearer expired");
        assert_eq!(
            check(&route, Method::GET, expired),
            Err("token_expired".into())
        );
        let good = Some("bearer customer:u1");
        assert_eq!(check(&route, Method::GET, good), Ok(Some("u1".into())));
    }

    #[test]
    fn admin_methods_need_the_admin_role() {
        let route = Route::new("/p", "catalog").admin(Methods::writes());
        assert_eq!(check(&route, Method::GET, None), Ok(None));
        assert_eq!(
            check(&route, Method::POST, None),
            Err("unauthorized".into())
        );
        let customer = Some("Bearer customer:u1");
        assert_eq!(
            check(&route, Method::POST, customer),
            Err("forbidden".into())
        );
        assert_eq!(check(&route, Method::GET, customer), Ok(Some("u1".into())));
        let admin = Some("Bearer admin:root");
        assert_eq!(
            check(&route, Method::DELETE, admin),
            Ok(Some("root".into()))
        );
    }

    #[test]
    fn bad_tokens_on_public_routes_are_anonymous() {
        let route = Route::new("/a", "account");
        assert_eq!(check(&route, Method::GET, Some("Bearer garbage")), Ok(None));
        assert_eq!(check(&route, Method::GET, Some("Bearer expired")), Ok(None));
    }

    #[test]
    fn deny_all_fails_closed() {
        assert_eq!(DenyAll.verify("anything"), Err(AuthError::Invalid));
    }

    #[test]
    fn identity_headers_skip_invalid_values() {
        let mut headers = HeaderMap::new();
        let identity = Identity {
            subject: "u1".into(),
            role: "bad\nrole".into(),
            tenant: "t".into(),
        };
        apply_identity(&identity, &mut headers);
        assert_eq!(headers[X_SLUICE_SUBJECT], "u1");
        assert!(!headers.contains_key(X_SLUICE_ROLE));
        assert_eq!(headers[X_SLUICE_TENANT], "t");
    }
}

//! Routing: which service a request path belongs to. The longest configured
//! prefix that matches on a path segment boundary wins.

use crate::config::Route;
use anyhow::{Result, bail};

/// The compiled route table, longest prefix first.
#[derive(Debug)]
pub(crate) struct RouteTable {
    routes: Vec<Route>,
}

impl RouteTable {
    /// Checks and orders the configured routes.
    pub(crate) fn new(routes: &[Route]) -> Result<Self> {
        let mut compiled: Vec<Route> = Vec::with_capacity(routes.len());
        for route in routes {
            if !route.prefix.starts_with('/') {
                bail!("route prefix {:?} must start with '/'", route.prefix);
            }
            if route.service.is_empty() {
                bail!("route {:?} names no service", route.prefix);
            }
            let prefix = route.prefix.trim_end_matches('/');
            if compiled.iter().any(|seen| seen.prefix == prefix) {
                bail!("route prefix {:?} is configured twice", route.prefix);
            }
            compiled.push(Route::new(prefix, route.service.clone()));
        }
        compiled.sort_by_key(|route| std::cmp::Reverse(route.prefix.len()));
        Ok(RouteTable { routes: compiled })
    }

    /// The service that serves `path`, if any route matches.
    pub(crate) fn service_for(&self, path: &str) -> Option<&str> {
        self.routes
            .iter()
            .find(|route| matches_prefix(path, &route.prefix))
            .map(|route| route.service.as_str())
    }

    /// Every service some route names.
    pub(crate) fn services(&self) -> impl Iterator<Item = &str> {
        self.routes.iter().map(|route| route.service.as_str())
    }
}

/// `prefix` (without a trailing slash; empty for the root) matches `path`
/// itself and anything below it, never a longer sibling segment.
fn matches_prefix(path: &str, prefix: &str) -> bool {
    match path.strip_prefix(prefix) {
        Some(rest) => rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::default_routes;

    #[test]
    fn matches_on_segment_boundaries() {
        let table = RouteTable::new(&default_routes()).unwrap();
        assert_eq!(table.service_for("/api/accounts"), Some("account"));
        assert_eq!(table.service_for("/api/accounts/"), Some("account"));
        assert_eq!(table.service_for("/api/accounts/me"), Some("account"));
        assert_eq!(table.service_for("/api/promotions/7"), Some("pricing"));
        assert_eq!(table.service_for("/api/accountsx"), None);
        assert_eq!(table.service_for("/api"), None);
        assert_eq!(table.service_for("/"), None);
    }

    #[test]
    fn longest_prefix_wins() {
        let table = RouteTable::new(&[
            Route::new("/", "root"),
            Route::new("/api", "api"),
            Route::new("/api/orders/", "order"),
        ])
        .unwrap();
        assert_eq!(table.service_for("/api/orders/1"), Some("order"));
        assert_eq!(table.service_for("/api/ordersx"), Some("api"));
        assert_eq!(table.service_for("/elsewhere"), Some("root"));
    }

    #[test]
    fn rejects_bad_tables() {
        assert!(RouteTable::new(&[Route::new("api", "x")]).is_err());
        assert!(RouteTable::new(&[Route::new("/a", "")]).is_err());
        assert!(RouteTable::new(&[Route::new("/a", "x"), Route::new("/a/", "y")]).is_err());
    }
}

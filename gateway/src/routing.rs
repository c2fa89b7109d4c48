//! Routing: which route (and so which service and options) a request path
//! belongs to. The longest configured prefix that matches on a path segment
//! boundary wins. A prefix segment `*` matches any one segment
//! (`/admin/tenants/*/pricing-rule`).

use crate::config::{FaultConfig, Methods, Route};
use anyhow::{Result, bail};
use std::time::Duration;

/// A checked route: its configuration, its index (for per-route metrics),
/// and its effective timeout.
#[derive(Debug)]
pub(crate) struct RouteEntry {
    pub(crate) id: usize,
    /// The prefix without a trailing slash (empty for the root).
    pub(crate) prefix: String,
    pub(crate) timeout: Duration,
    pub(crate) config: Route,
}

impl RouteEntry {
    pub(crate) fn service(&self) -> &str {
        &self.config.service
    }

    /// The label naming this route in metrics and logs.
    pub(crate) fn label(&self) -> &str {
        if self.prefix.is_empty() {
            "/"
        } else {
            &self.prefix
        }
    }

    /// Whether `method` needs a valid token here.
    pub(crate) fn needs_token(&self, method: &http::Method) -> bool {
        self.config.protected.contains(method) || self.needs_admin(method)
    }

    /// Whether `method` needs role `admin` here.
    pub(crate) fn needs_admin(&self, method: &http::Method) -> bool {
        self.config.admin.contains(method)
    }
}

/// The compiled route table, longest prefix first.
#[derive(Debug)]
pub(crate) struct RouteTable {
    routes: Vec<RouteEntry>,
}

impl RouteTable {
    /// Checks and orders the configured routes; `default_timeout` applies
    /// to routes that set none.
    pub(crate) fn new(routes: &[Route], default_timeout: Duration) -> Result<Self> {
        let mut compiled: Vec<RouteEntry> = Vec::with_capacity(routes.len());
        for (id, route) in routes.iter().enumerate() {
            check(route)?;
            let prefix = route.prefix.trim_end_matches('/');
            if compiled.iter().any(|seen| seen.prefix == prefix) {
                bail!("route prefix {:?} is configured twice", route.prefix);
            }
            compiled.push(RouteEntry {
                id,
                prefix: prefix.to_owned(),
                timeout: route.timeout.unwrap_or(default_timeout),
                config: route.clone(),
            });
        }
        compiled.sort_by_key(|route| std::cmp::Reverse(route.prefix.len()));
        Ok(RouteTable { routes: compiled })
    }

    /// The route that serves `path`, if any matches.
    pub(crate) fn route_for(&self, path: &str) -> Option<&RouteEntry> {
        self.routes
            .iter()
            .find(|route| matches_prefix(path, &route.prefix))
    }

    /// Every route, longest prefix first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &RouteEntry> {
        self.routes.iter()
    }
}

fn check(route: &Route) -> Result<()> {
    if !route.prefix.starts_with('/') {
        bail!("route prefix {:?} must start with '/'", route.prefix);
    }
    if route.service.is_empty() {
        bail!("route {:?} names no service", route.prefix);
    }
    for methods in [&route.protected, &route.admin] {
        if let Methods::Only(list) = methods {
            for name in list {
                if http::Method::from_bytes(name.as_bytes()).is_err() {
                    bail!("route {:?}: {name:?} is not an HTTP method", route.prefix);
                }
            }
        }
    }
    if let Some(faults) = &route.faults {
        check_faults(&route.prefix, faults)?;
    }
    Ok(())
}

fn check_faults(prefix: &str, faults: &FaultConfig) -> Result<()> {
    for share in [faults.delay_percent, faults.abort_percent] {
        if !(0.0..=100.0).contains(&share) {
            bail!("route {prefix:?}: fault percentages must lie in 0..=100");
        }
    }
    if faults.abort_percent > 0.0 && !(400..=599).contains(&faults.abort_status) {
        bail!("route {prefix:?}: abort_status must be a 4xx or 5xx status");
    }
    Ok(())
}

/// `prefix` (without a trailing slash; empty for the root) matches `path`
/// itself and anything below it, never a longer sibling segment; a `*`
/// segment of the prefix matches any one non-empty segment.
fn matches_prefix(path: &str, prefix: &str) -> bool {
    if !prefix.contains('*') {
        return match path.strip_prefix(prefix) {
            Some(rest) => rest.is_empty() || rest.starts_with('/'),
            None => false,
        };
    }
    let mut segments = path.split('/');
    prefix.split('/').all(|want| {
        segments
            .next()
            .is_some_and(|got| got == want || (want == "*" && !got.is_empty()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::default_routes;
    use http::Method;

    const TIMEOUT: Duration = Duration::from_secs(30);

    fn service<'a>(table: &'a RouteTable, path: &str) -> Option<&'a str> {
        table.route_for(path).map(RouteEntry::service)
    }

    #[test]
    fn matches_on_segment_boundaries() {
        let table = RouteTable::new(&default_routes(), TIMEOUT).unwrap();
        assert_eq!(service(&table, "/api/accounts"), Some("account"));
        assert_eq!(service(&table, "/api/accounts/"), Some("account"));
        assert_eq!(service(&table, "/api/accounts/me"), Some("account"));
        assert_eq!(service(&table, "/api/promotions/7"), Some("pricing"));
        assert_eq!(service(&table, "/api/accountsx"), None);
        assert_eq!(service(&table, "/api"), None);
        assert_eq!(service(&table, "/"), None);
    }

    #[test]
    fn a_star_segment_matches_any_one_segment() {
        let table = RouteTable::new(&default_routes(), TIMEOUT).unwrap();
        let rule = "/admin/tenants/acme/pricing-rule";
        assert_eq!(service(&table, rule), Some("admin-pricing"));
        assert_eq!(service(&table, "/admin/tenants/acme"), Some("account"));
        assert_eq!(
            service(&table, "/admin/tenants/acme/members/a1"),
            Some("account")
        );
        assert_eq!(
            service(&table, "/admin/tenants//pricing-rule"),
            Some("account")
        );
        assert_eq!(
            service(&table, "/admin/accounts/a1/attributes"),
            Some("account")
        );
        assert_eq!(service(&table, "/admin/components"), Some("admin"));
        let tenants = table.route_for(rule).unwrap();
        assert!(tenants.needs_token(&Method::PUT) && !tenants.needs_admin(&Method::PUT));
    }

    #[test]
    fn longest_prefix_wins() {
        let table = RouteTable::new(
            &[
                Route::new("/", "root"),
                Route::new("/api", "api"),
                Route::new("/api/orders/", "order"),
            ],
            TIMEOUT,
        )
        .unwrap();
        assert_eq!(service(&table, "/api/orders/1"), Some("order"));
        assert_eq!(service(&table, "/api/ordersx"), Some("api"));
        assert_eq!(service(&table, "/elsewhere"), Some("root"));
        assert_eq!(table.route_for("/elsewhere").unwrap().label(), "/");
    }

    #[test]
    fn default_access_rules() {
        let table = RouteTable::new(&default_routes(), TIMEOUT).unwrap();
        let products = table.route_for("/api/products/A-1").unwrap();
        assert!(!products.needs_token(&Method::GET));
        assert!(products.needs_admin(&Method::POST));
        assert!(products.needs_token(&Method::PUT), "admin implies a token");
        let orders = table.route_for("/api/orders").unwrap();
        assert!(orders.needs_token(&Method::GET) && !orders.needs_admin(&Method::POST));
        let accounts = table.route_for("/api/accounts/login").unwrap();
        assert!(!accounts.needs_token(&Method::POST));
        assert_eq!(accounts.timeout, TIMEOUT);
    }

    #[test]
    fn rejects_bad_tables() {
        let bad = |routes: &[Route]| RouteTable::new(routes, TIMEOUT).is_err();
        assert!(bad(&[Route::new("api", "x")]));
        assert!(bad(&[Route::new("/a", "")]));
        assert!(bad(&[Route::new("/a", "x"), Route::new("/a/", "y")]));
        assert!(bad(
            &[Route::new("/a", "x").admin(Methods::only(["P OST"]))]
        ));
        let abort = FaultConfig {
            abort_percent: 5.0,
            abort_status: 200,
            ..FaultConfig::default()
        };
        assert!(bad(&[Route::new("/a", "x").faults(abort)]));
        let share = FaultConfig {
            delay_percent: 101.0,
            ..FaultConfig::default()
        };
        assert!(bad(&[Route::new("/a", "x").faults(share)]));
    }
}

//! The manifest of sluice's services, the one place that knows them: read
//! from the WIT worlds in this folder at build time (build.rs generates
//! [`WORLDS`]; a service world is one that exports `wasi:http/handler`).
//! The service whose world exports an interface serves every import of it,
//! and services start callees first. The host, the gateway's default routes
//! and the tests read it; adding a service is adding its world and its
//! component, and nothing else names one.

use anyhow::{Result, bail};

/// A service world (wit/world.wit), as a component of it names its imports
/// and exports.
#[derive(Debug)]
pub struct World {
    pub name: &'static str,
    /// What it may import from sluice (WASI is linked for everyone).
    pub imports: &'static [&'static str],
    /// What it must export.
    pub exports: &'static [&'static str],
}

include!(concat!(env!("OUT_DIR"), "/worlds.rs"));

/// Every service, in the order wit/world.wit lists their worlds.
pub fn services() -> &'static [&'static str] {
    SERVICES
}

/// Whether `name` is a service.
pub fn is_service(name: &str) -> bool {
    SERVICES.contains(&name)
}

/// The standard port of `service` (DESIGN.md): the services in name order
/// take 8081, 8082, ... (account, catalog, order, pricing); 0 for anything
/// else.
pub fn default_port(service: &str) -> u16 {
    let mut names = SERVICES.to_vec();
    names.sort_unstable();
    names
        .iter()
        .position(|s| *s == service)
        .map_or(0, |i| 8081 + i as u16)
}

/// The world of `service`.
pub fn world(service: &str) -> Option<&'static World> {
    WORLDS.iter().find(|w| w.name == service)
}

/// `stock` for `sluice:platform/stock@0.1.0`; other packages' interfaces
/// (WASI) are not ours to link and give `None`.
pub fn interface_name(qualified: &str) -> Option<&str> {
    let rest = qualified.strip_prefix("sluice:platform/")?;
    Some(rest.split('@').next().unwrap_or(rest))
}

/// Whether `service`'s world imports `interface` (a short name).
pub fn imports(service: &str, interface: &str) -> bool {
    world(service).is_some_and(|w| {
        w.imports
            .iter()
            .any(|i| interface_name(i) == Some(interface))
    })
}

/// The service whose world exports `interface` (a short name, e.g.
/// `stock`), if any.
pub fn server_of(interface: &str) -> Option<&'static str> {
    WORLDS
        .iter()
        .find(|w| {
            w.exports
                .iter()
                .any(|e| interface_name(e) == Some(interface))
        })
        .map(|w| w.name)
}

/// The linked imports of `service`: each interface it imports that another
/// service exports, with that service, e.g. order's
/// `[("stock", "catalog"), ("quote", "pricing")]`.
pub fn links(service: &str) -> Vec<(&'static str, &'static str)> {
    let Some(world) = world(service) else {
        return Vec::new();
    };
    world
        .imports
        .iter()
        .filter_map(|import| interface_name(import))
        .filter_map(|interface| {
            server_of(interface)
                .filter(|callee| *callee != service)
                .map(|callee| (interface, callee))
        })
        .collect()
}

/// `services` in start-up order: every service after the services it calls
/// (among those given), otherwise in the order given. A cycle of calls is
/// an error: no order could link it.
pub fn start_order(services: &[String]) -> Result<Vec<String>> {
    let mut ordered: Vec<String> = Vec::with_capacity(services.len());
    let mut left: Vec<&String> = services.iter().collect();
    while !left.is_empty() {
        let ready = left.iter().position(|name| {
            links(name).iter().all(|(_, callee)| {
                ordered.iter().any(|o| o == callee) || !services.iter().any(|s| s == callee)
            })
        });
        match ready {
            Some(i) => ordered.push(left.remove(i).clone()),
            None => bail!("the services {left:?} call each other in a cycle"),
        }
    }
    Ok(ordered)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn who_serves_what_comes_from_the_worlds() {
        assert_eq!(server_of("stock"), Some("catalog"));
        assert_eq!(server_of("quote"), Some("pricing"));
        assert_eq!(server_of("products"), Some("catalog"));
        assert_eq!(server_of("sql"), None, "the host serves capabilities");
        assert_eq!(links("order"), [("stock", "catalog"), ("quote", "pricing")]);
        assert_eq!(links("pricing"), [("products", "catalog")]);
        assert!(links("account").is_empty());
        assert!(links("nope").is_empty());
        assert_eq!(interface_name("wasi:http/handler@0.3.0"), None);
    }

    #[test]
    fn callees_start_first() {
        let all: Vec<String> = ["order", "pricing", "account", "catalog"]
            .map(String::from)
            .to_vec();
        let order = start_order(&all).unwrap();
        let at = |s: &str| order.iter().position(|o| o == s).unwrap();
        assert!(at("catalog") < at("pricing"));
        assert!(at("pricing") < at("order"));
        assert_eq!(order.len(), 4);
        // A callee on another node does not hold its caller back.
        let split = start_order(&["order".into(), "account".into()]).unwrap();
        assert_eq!(split, ["order", "account"]);
    }

    #[test]
    fn only_account_can_issue_tokens() {
        for service in services() {
            let issues = imports(service, "token-issuer");
            assert_eq!(issues, *service == "account", "{service}");
            assert!(imports(service, "token"), "{service} verifies tokens");
        }
    }

    #[test]
    fn the_services_are_the_worlds_that_answer_http() {
        assert_eq!(services(), ["account", "catalog", "pricing", "order"]);
        for service in services() {
            assert!(world(service).is_some(), "{service}");
        }
        assert!(is_service("catalog") && !is_service("hello"));
        assert!(!is_service("pricing-rule") && !is_service("guest") && !is_service("host"));
    }

    #[test]
    fn standard_ports_follow_the_design() {
        let ports: Vec<u16> = ["account", "catalog", "order", "pricing", "hello"]
            .map(default_port)
            .to_vec();
        assert_eq!(ports, [8081, 8082, 8083, 8084, 0]);
    }
}

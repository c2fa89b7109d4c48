//! compose.yaml as a user relies on it, read without Docker: every service
//! runs on some node (catalog on two), replicas share one real database,
//! every database a node names exists, the gateway is reachable, the nodes
//! share the cluster secret and Consul and advertise their own address, and
//! no secret has a fallback an attacker could know.

use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Deserialize)]
struct Compose {
    services: BTreeMap<String, Service>,
    #[serde(default)]
    configs: BTreeMap<String, Config>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct Service {
    command: Vec<String>,
    environment: BTreeMap<String, String>,
    ports: Vec<String>,
    configs: Vec<ConfigUse>,
    networks: BTreeMap<String, Option<NetworkUse>>,
}

#[derive(Deserialize)]
struct Config {
    content: String,
}

#[derive(Deserialize)]
struct ConfigUse {
    source: String,
}

#[derive(Deserialize)]
struct NetworkUse {
    ipv4_address: Option<String>,
}

const PLATFORM: [&str; 4] = ["account", "catalog", "pricing", "order"];

fn compose() -> Compose {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../compose.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    let mut yaml: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&text).expect("compose.yaml is YAML");
    yaml.apply_merge().expect("merge keys (<<) resolve");
    serde_yaml_ng::from_value(yaml).expect("compose.yaml has services in the expected shape")
}

impl Compose {
    /// The sluice nodes: `sluice serve` and `sluice gateway`.
    fn nodes(&self) -> impl Iterator<Item = (&str, &Service)> {
        self.services
            .iter()
            .filter(|(_, s)| {
                matches!(
                    s.command.first().map(String::as_str),
                    Some("serve" | "gateway")
                )
            })
            .map(|(name, s)| (name.as_str(), s))
    }

    /// The nodes running `service`.
    fn running(&self, service: &str) -> Vec<(&str, &Service)> {
        self.nodes()
            .filter(|(_, node)| node.runs().contains(&service))
            .collect()
    }

    /// What the database server `host` (a compose service) has: its default
    /// database and those its init configs create.
    fn databases_on(&self, host: &str) -> BTreeSet<String> {
        let server = self
            .services
            .get(host)
            .unwrap_or_else(|| panic!("no database server `{host}`"));
        let defaults = ["POSTGRES_DB", "MARIADB_DATABASE", "MYSQL_DATABASE"]
            .iter()
            .filter_map(|key| server.environment.get(*key).cloned());
        let created = server
            .configs
            .iter()
            .flat_map(|used| self.configs[&used.source].content.split(';'))
            .filter_map(|statement| statement.trim().strip_prefix("CREATE DATABASE "))
            .map(|name| name.trim().to_string());
        defaults.chain(created).collect()
    }
}

impl Service {
    /// The services after `--services`.
    fn runs(&self) -> Vec<&str> {
        let mut args = self.command.iter().skip_while(|a| *a != "--services");
        args.nth(1)
            .map(|list| list.split(',').collect())
            .unwrap_or_default()
    }

    /// The database URLs `service` uses here (shards and its own); none
    /// means a SQLite file in the node's data dir.
    fn database_urls(&self, service: &str) -> Vec<&str> {
        let upper = service.to_uppercase();
        ["SHARDS", "DATABASE_URL"]
            .iter()
            .filter_map(|suffix| self.environment.get(&format!("SLUICE_{upper}_{suffix}")))
            .flat_map(|urls| urls.split(',').map(str::trim))
            .collect()
    }
}

/// (host, database) of `postgres://user:password@host:5432/database?options`.
fn host_and_database(url: &str) -> (&str, &str) {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, rest)| rest);
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = authority.split(':').next().unwrap_or(authority);
    (host, path.split('?').next().unwrap_or(path))
}

#[test]
fn every_service_runs_and_catalog_on_two_nodes() {
    let compose = compose();
    for service in PLATFORM {
        assert!(
            !compose.running(service).is_empty(),
            "no node runs {service}"
        );
    }
    assert!(
        compose.running("catalog").len() >= 2,
        "catalog runs on one node"
    );
    for (name, node) in compose.nodes() {
        for service in node.runs() {
            assert!(
                PLATFORM.contains(&service),
                "{name} runs an unknown service `{service}`"
            );
        }
    }
}

#[test]
fn replicas_share_one_postgres_or_mysql_database() {
    let compose = compose();
    for service in PLATFORM {
        let replicas = compose.running(service);
        if replicas.len() < 2 {
            continue;
        }
        let (first, urls) = (replicas[0].0, replicas[0].1.database_urls(service));
        assert!(
            !urls.is_empty(),
            "{service} on {first} has a local SQLite database but runs on several nodes"
        );
        for url in &urls {
            assert!(
                url.starts_with("postgres://") || url.starts_with("mysql://"),
                "{service} on {first}: {url}"
            );
        }
        for (name, node) in &replicas[1..] {
            assert_eq!(
                node.database_urls(service),
                urls,
                "{service} on {name} and {first}: not one database"
            );
        }
    }
}

#[test]
fn every_database_a_node_names_is_created() {
    let compose = compose();
    for (name, node) in compose.nodes() {
        for service in node.runs() {
            for url in node.database_urls(service) {
                let (host, database) = host_and_database(url);
                let created = compose.databases_on(host);
                assert!(
                    created.contains(database),
                    "{name}: {url} names a database {host} does not create ({created:?})"
                );
            }
        }
    }
}

#[test]
fn prometheus_scrapes_every_node_and_the_gateway_with_the_token() {
    let compose = compose();
    let prometheus = &compose.services["prometheus"];
    assert!(prometheus.ports.iter().all(|p| p.starts_with("127.0.0.1:")));
    let config: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&compose.configs["prometheus"].content).unwrap();
    let jobs = config["scrape_configs"].as_sequence().unwrap();
    let mut targets = BTreeSet::new();
    for job in jobs {
        let file = &job["authorization"]["credentials_file"];
        assert_eq!(file.as_str(), Some("/run/secrets/metrics-token"), "{job:?}");
        for group in job["static_configs"].as_sequence().unwrap() {
            for target in group["targets"].as_sequence().unwrap() {
                targets.insert(target.as_str().unwrap().to_string());
            }
        }
    }
    for (name, node) in compose.nodes() {
        let port = if node.command[0] == "gateway" {
            8080
        } else {
            8085
        };
        assert!(
            targets.contains(&format!("{name}:{port}")),
            "{name} is not scraped"
        );
        let token = &node.environment["SLUICE_METRICS_TOKEN"];
        assert!(required(token, "SLUICE_METRICS_TOKEN"), "{name}: {token}");
    }
}

#[test]
fn a_gateway_node_publishes_a_port() {
    let compose = compose();
    let gateways: Vec<_> = compose
        .nodes()
        .filter(|(_, node)| node.command[0] == "gateway")
        .collect();
    assert!(!gateways.is_empty(), "no `sluice gateway` node");
    for (name, gateway) in gateways {
        assert!(!gateway.ports.is_empty(), "{name} publishes no port");
    }
}

#[test]
fn nodes_share_the_secret_and_consul_and_advertise_their_own_address() {
    let compose = compose();
    let env = |node: &Service, key: &str| node.environment.get(key).cloned();
    let (_, any) = compose.nodes().next().expect("sluice nodes");
    let secret = env(any, "SLUICE_JWT_SECRET").expect("SLUICE_JWT_SECRET");
    assert!(
        secret.starts_with("${SLUICE_JWT_SECRET"),
        "the secret comes from the environment: {secret}"
    );
    let consul = env(any, "SLUICE_CONSUL_ADDR").expect("SLUICE_CONSUL_ADDR");
    let mut advertised = BTreeSet::new();
    for (name, node) in compose.nodes() {
        assert_eq!(
            env(node, "SLUICE_JWT_SECRET").as_ref(),
            Some(&secret),
            "{name}: another JWT secret"
        );
        assert_eq!(
            env(node, "SLUICE_CONSUL_ADDR").as_ref(),
            Some(&consul),
            "{name}: another Consul"
        );
        if node.runs().is_empty() {
            continue; // the gateway registers nothing
        }
        let ip = env(node, "SLUICE_ADVERTISE_IP")
            .unwrap_or_else(|| panic!("{name}: no SLUICE_ADVERTISE_IP"));
        let fixed = node
            .networks
            .values()
            .flatten()
            .find_map(|n| n.ipv4_address.clone());
        assert_eq!(
            fixed.as_ref(),
            Some(&ip),
            "{name} advertises {ip} but has the address {fixed:?}"
        );
        assert!(
            advertised.insert(ip.clone()),
            "{name} advertises {ip}, like another node"
        );
    }
}

#[test]
fn urls_name_their_host_and_database() {
    assert_eq!(
        host_and_database("postgres://postgres:pw@db:5432/orders0"),
        ("db", "orders0")
    );
    assert_eq!(
        host_and_database("mysql://root@mysql/x?ssl-mode=disabled"),
        ("mysql", "x")
    );
}

/// `${NAME:?message}`: compose refuses to start while NAME is unset.
fn required(value: &str, name: &str) -> bool {
    value.starts_with(&format!("${{{name}:?"))
}

#[test]
fn secrets_have_no_fallback_and_consul_needs_a_token() {
    let compose = compose();
    for (name, node) in compose.nodes() {
        for secret in ["SLUICE_JWT_SECRET", "SLUICE_CONSUL_TOKEN"] {
            let value = node.environment.get(secret).map(String::as_str);
            assert!(
                value.is_some_and(|v| required(v, secret)),
                "{name}: {secret} must be required, not {value:?}"
            );
        }
        if let Some(password) = node.environment.get("SLUICE_ADMIN_PASSWORD") {
            assert!(
                required(password, "SLUICE_ADMIN_PASSWORD"),
                "{name}: the admin password has a default: {password}"
            );
        }
    }
    let consul = &compose.services["consul"];
    let hcl = consul.command.join(" ");
    assert!(
        hcl.contains("enabled = true") && hcl.contains("default_policy = \"deny\""),
        "Consul runs with ACLs, deny by default: {hcl}"
    );
    assert!(hcl.contains("${SLUICE_CONSUL_TOKEN:?"), "{hcl}");
    for port in &consul.ports {
        assert!(
            port.starts_with("127.0.0.1:"),
            "Consul is published on loopback only: {port}"
        );
    }
}

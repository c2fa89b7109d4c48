//! The host configuration: built-in defaults, then a TOML file (`--config`),
//! then environment variables, then command-line flags. Every service has
//! embedded defaults, so `sluice up` needs no file at all.

use crate::capabilities::cache::CacheConfig;
use crate::capabilities::clock::ClockConfig;
use crate::capabilities::links::LinkFaults;
use crate::capabilities::rate_limit::PolicyConfig;
use crate::capabilities::token::TokenConfig;
use anyhow::{Context as _, Result, bail};
use serde::Deserialize;
use sluice_gateway::GatewayConfig;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The whole host configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where SQLite databases, the JWT key, the compile cache and deployed
    /// components live.
    pub data_dir: PathBuf,
    pub gateway: GatewayConfig,
    /// The node's admin API (component versions, tenant rules, metrics).
    pub admin_addr: SocketAddr,
    pub token: TokenConfig,
    pub cache: CacheConfig,
    pub clock: ClockConfig,
    /// Where services find each other (embedded, static or Consul).
    pub discovery: crate::discovery::DiscoveryConfig,
    /// Calls of linked imports to services on other nodes.
    pub calls: crate::capabilities::links::CallConfig,
    /// Timeouts and connection caps of the service ports and the admin API.
    pub server: crate::http_server::ServerLimits,
    /// How often each service's housekeeping runs (expired holds, orders
    /// whose request died).
    pub housekeeping: crate::housekeeping::HousekeepingConfig,
    /// How nodes converge to a deploy and how long a deploy waits for them.
    pub deploy: crate::swap::DeployConfig,
    /// Most component instances alive at once (the pooling allocator's size).
    /// An order in `sluice up` holds up to four at once (order, catalog's
    /// reservation, pricing's quote and the catalog lookup inside it), so
    /// the default lets 500 orders run at once; past it, calls fail as
    /// unavailable (503) rather than queue.
    pub max_instances: u32,
    /// Threads serving each service's port, each with its own runtime
    /// (0: one per core).
    pub front_door_threads: usize,
    /// Per-service settings, keyed by service name.
    pub services: BTreeMap<String, ServiceConfig>,
}

/// `[services.NAME]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServiceConfig {
    /// Address of the service's own HTTP port (default: its standard port).
    pub listen: Option<SocketAddr>,
    /// Database URL (`sqlite://…`, `postgres://…`, `mysql://…`); default a
    /// SQLite file in the data dir.
    pub database: Option<String>,
    /// Settings the component reads through the `config` capability.
    pub settings: BTreeMap<String, String>,
    /// Named rate-limit policies for the `rate-limit` capability; merged
    /// over the service's defaults.
    pub rate_limits: BTreeMap<String, PolicyConfig>,
    /// Database URLs of the service's shards (`shards` capability), shard 0
    /// first; kinds may differ. Default for order: two SQLite files in the
    /// data dir. Changing the number re-homes customers (see wit/shards.wit).
    pub shards: Vec<String>,
    /// Faults injected into calls other components make into this service
    /// through linked imports (e.g. order's calls to catalog's `stock`).
    pub faults: LinkFaults,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("sluice-data"),
            gateway: GatewayConfig::default(),
            admin_addr: SocketAddr::from(([127, 0, 0, 1], 8085)),
            token: TokenConfig::default(),
            cache: CacheConfig::default(),
            clock: ClockConfig::default(),
            discovery: Default::default(),
            calls: Default::default(),
            server: Default::default(),
            housekeeping: Default::default(),
            deploy: Default::default(),
            max_instances: 2000,
            front_door_threads: 0,
            services: BTreeMap::new(),
        }
    }
}

/// Rate-limit policies a built-in service uses unless configured otherwise.
fn default_policies(service: &str) -> BTreeMap<String, PolicyConfig> {
    let per_minute = |limit| PolicyConfig::new(limit, std::time::Duration::from_secs(60));
    match service {
        "account" => BTreeMap::from([
            // Refused past it (429): one client's attempts, on any account.
            ("login-client".to_string(), per_minute(30)),
            // Refused past it: one client's attempts on one account.
            ("login-account-client".to_string(), per_minute(5)),
            // Past it, attempts on the account wait (up to 2 s) rather
            // than being refused, so nobody can lock an account out.
            ("login-account".to_string(), per_minute(5)),
            ("register-client".to_string(), per_minute(20)),
        ]),
        _ => BTreeMap::new(),
    }
}

impl Config {
    /// Defaults, then `file` if given, then the environment.
    pub fn load(file: Option<&Path>) -> Result<Config> {
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading {}", path.display()))?;
                toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?
            }
            None => Config::default(),
        };
        config.apply_env(|name| std::env::var(name).ok())?;
        Ok(config)
    }

    /// Environment overrides: `SLUICE_DATA_DIR`, `SLUICE_GATEWAY_ADDR`,
    /// `SLUICE_ADMIN_ADDR`, `SLUICE_<SERVICE>_ADDR`, `SLUICE_<SERVICE>_DATABASE_URL`,
    /// `SLUICE_<SERVICE>_SHARDS` (comma-separated URLs),
    /// `SLUICE_REDIS_URL`, `SLUICE_JWT_SECRET`.
    pub fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> Result<()> {
        if let Some(dir) = var("SLUICE_DATA_DIR") {
            self.data_dir = dir.into();
        }
        if let Some(addr) = var("SLUICE_GATEWAY_ADDR") {
            self.gateway.listen = parse_addr("SLUICE_GATEWAY_ADDR", &addr)?;
        }
        if let Some(addr) = var("SLUICE_ADMIN_ADDR") {
            self.admin_addr = parse_addr("SLUICE_ADMIN_ADDR", &addr)?;
        }
        for service in crate::manifest::services() {
            let upper = service.to_uppercase();
            if let Some(addr) = var(&format!("SLUICE_{upper}_ADDR")) {
                self.service_mut(service).listen =
                    Some(parse_addr(&format!("SLUICE_{upper}_ADDR"), &addr)?);
            }
            if let Some(url) = var(&format!("SLUICE_{upper}_DATABASE_URL")) {
                self.service_mut(service).database = Some(url);
            }
            if let Some(urls) = var(&format!("SLUICE_{upper}_SHARDS")) {
                self.service_mut(service).shards =
                    urls.split(',').map(|u| u.trim().to_string()).collect();
            }
        }
        if let Some(url) = var("SLUICE_REDIS_URL") {
            self.gateway.rate_limit.redis_url = url.clone();
            self.cache = CacheConfig::redis(url, "sluice:");
        }
        if let Some(ip) = var("SLUICE_ADVERTISE_IP") {
            let ip = ip
                .parse()
                .with_context(|| format!("SLUICE_ADVERTISE_IP={ip:?} is not an IP address"))?;
            self.discovery.advertise_ip = Some(ip);
        }
        if let Some(addr) = var("SLUICE_CONSUL_ADDR") {
            self.discovery.backend = crate::discovery::DiscoveryBackend::Consul;
            self.discovery.consul.address = addr;
        }
        if let Some(token) = var("SLUICE_METRICS_TOKEN") {
            self.gateway.metrics_token = Some(token);
        }
        if let Some(token) = var("SLUICE_CONSUL_TOKEN") {
            self.discovery.consul.token = Some(token);
        }
        if let Some(secret) = var("SLUICE_JWT_SECRET") {
            self.token.secret = Some(secret.into());
        }
        Ok(())
    }

    pub fn service_mut(&mut self, service: &str) -> &mut ServiceConfig {
        self.services.entry(service.to_string()).or_default()
    }

    /// The listen address of `service`, defaulted to its standard port.
    pub fn service_addr(&self, service: &str) -> SocketAddr {
        self.services
            .get(service)
            .and_then(|s| s.listen)
            .unwrap_or_else(|| {
                SocketAddr::from(([127, 0, 0, 1], crate::manifest::default_port(service)))
            })
    }

    /// The database URL of `service`, defaulted to `<data_dir>/<service>.db`.
    pub fn database_url(&self, service: &str) -> String {
        self.services
            .get(service)
            .and_then(|s| s.database.clone())
            .unwrap_or_else(|| {
                format!(
                    "sqlite://{}?mode=rwc",
                    self.data_dir.join(format!("{service}.db")).display()
                )
            })
    }

    /// The URL of `service`'s own database, if it has one: a sharded service
    /// (order) has none unless one is configured for it.
    pub fn own_database_url(&self, service: &str) -> Option<String> {
        let explicit = self
            .services
            .get(service)
            .is_some_and(|s| s.database.is_some());
        (explicit || self.shard_urls(service).is_empty()).then(|| self.database_url(service))
    }

    /// The shard URLs of `service`: configured ones, else for order two
    /// SQLite files `<data_dir>/order-shard-{0,1}.db`, else none.
    pub fn shard_urls(&self, service: &str) -> Vec<String> {
        match self.services.get(service) {
            Some(s) if !s.shards.is_empty() => s.shards.clone(),
            _ if service == "order" => (0..2)
                .map(|n| {
                    format!(
                        "sqlite://{}?mode=rwc",
                        self.data_dir.join(format!("order-shard-{n}.db")).display()
                    )
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Faults injected into linked calls from `caller` into `service`.
    pub fn faults(&self, service: &str, caller: &str) -> LinkFaults {
        self.services
            .get(service)
            .map(|s| s.faults.for_caller(caller))
            .unwrap_or_default()
    }

    /// The rate-limit policies of `service`: defaults, then configured ones.
    pub fn rate_limits(&self, service: &str) -> BTreeMap<String, PolicyConfig> {
        let mut policies = default_policies(service);
        if let Some(configured) = self.services.get(service) {
            policies.extend(configured.rate_limits.clone());
        }
        policies
    }

    /// Settings of `service` for its `config` capability.
    pub fn settings(&self, service: &str) -> BTreeMap<String, String> {
        self.services
            .get(service)
            .map(|s| s.settings.clone())
            .unwrap_or_default()
    }

    /// Rejects configuration for services this host does not know.
    pub fn validate(&self) -> Result<()> {
        for (name, service) in &self.services {
            service
                .faults
                .validate()
                .map_err(|e| anyhow::anyhow!("[services.{name}] {e}"))?;
            if !crate::manifest::is_service(name) {
                bail!(
                    "unknown service `{name}` in the configuration (known: {})",
                    crate::manifest::services().join(", ")
                );
            }
        }
        Ok(())
    }
}

fn parse_addr(name: &str, value: &str) -> Result<SocketAddr> {
    value
        .parse()
        .with_context(|| format!("{name}={value:?} is not an address like 127.0.0.1:8080"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_overrides_file_and_defaults() {
        let mut config: Config = toml::from_str(
            r#"
            data_dir = "/tmp/x"
            [services.account]
            listen = "127.0.0.1:9001"
            [services.account.rate_limits.login-account]
            limit = 2
            period_ms = 1000
            "#,
        )
        .unwrap();
        assert_eq!(config.service_addr("account").port(), 9001);
        config
            .apply_env(|name| match name {
                "SLUICE_ACCOUNT_ADDR" => Some("127.0.0.1:9002".into()),
                "SLUICE_ACCOUNT_DATABASE_URL" => Some("postgres://h/db".into()),
                "SLUICE_ORDER_SHARDS" => Some("postgres://a/x, mysql://b/y".into()),
                _ => None,
            })
            .unwrap();
        assert_eq!(config.service_addr("account").port(), 9002);
        assert_eq!(config.database_url("account"), "postgres://h/db");
        assert_eq!(
            config.shard_urls("order"),
            ["postgres://a/x", "mysql://b/y"]
        );
        let policies = config.rate_limits("account");
        assert_eq!(policies["login-account"].limit, 2);
        assert_eq!(policies["login-client"].limit, 30, "defaults kept");
    }

    #[test]
    fn defaults_need_no_file() {
        let config = Config::default();
        assert_eq!(config.service_addr("account").port(), 8081);
        assert!(
            config
                .database_url("account")
                .starts_with("sqlite://sluice-data/account.db")
        );
        let shards = config.shard_urls("order");
        assert_eq!(shards.len(), 2, "two embedded shards: {shards:?}");
        assert!(shards[1].starts_with("sqlite://sluice-data/order-shard-1.db"));
        assert!(config.shard_urls("catalog").is_empty());
        assert_eq!(
            config.own_database_url("order"),
            None,
            "order has shards only"
        );
        assert_eq!(
            config.own_database_url("catalog"),
            Some(config.database_url("catalog"))
        );
        let mut with_one = config.clone();
        with_one.service_mut("order").database = Some("postgres://h/orders".into());
        assert_eq!(
            with_one.own_database_url("order").as_deref(),
            Some("postgres://h/orders")
        );
    }

    #[test]
    fn unknown_keys_and_services_are_rejected() {
        assert!(toml::from_str::<Config>("colour = 1").is_err());
        let config: Config = toml::from_str("[services.nope]").unwrap();
        assert!(config.validate().unwrap_err().to_string().contains("nope"));
    }

    #[test]
    fn bad_address_in_environment_is_a_clear_error() {
        let mut config = Config::default();
        let err = config
            .apply_env(|n| (n == "SLUICE_GATEWAY_ADDR").then(|| "nowhere".into()))
            .unwrap_err();
        assert!(err.to_string().contains("SLUICE_GATEWAY_ADDR"));
    }
}

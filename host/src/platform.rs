//! Starting a node: the services it runs (each with its capabilities, its
//! component, its migrations and its front door) and, optionally, the
//! gateway in front of them. `sluice up` is a node with every service and
//! the gateway; `sluice serve` a node with some services; `sluice gateway`
//! the gateway alone.

use crate::admin::Admin;
use crate::capabilities::ServiceCapabilities;
use crate::capabilities::cache;
use crate::capabilities::clock::ClockState;
use crate::capabilities::config::ConfigState;
use crate::capabilities::links::{Link, LinksState};
use crate::capabilities::rate_limit::LocalRateLimiter;
use crate::capabilities::sql::{SqlConfig, connect};
use crate::capabilities::token::{TokenError, TokenKeys};
use crate::config::Config;
use crate::discovery::{self, Discovery, DiscoveryBackend, DiscoveryResolver, Registration};
use crate::engine::{CompileCache, new_engine};
use crate::rules::RuleRegistry;
use crate::service::{Service, Version};
use crate::swap::Deployer;
use crate::threads::FrontDoors;
use anyhow::{Context as _, Result};
use sluice_gateway::{AuthError, Authenticator, Gateway, Identity};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// What a node runs.
#[derive(Debug, Clone)]
pub struct NodeOptions {
    /// Services to run here.
    pub services: Vec<String>,
    /// Whether to run the gateway here too.
    pub gateway: bool,
    /// `SLUICE_ADMIN_EMAIL` / `SLUICE_ADMIN_PASSWORD`, when both are set.
    pub admin: Option<(String, String)>,
}

/// A started node. Dropping it does not stop it: call `shutdown`.
pub struct Node {
    pub gateway_addr: Option<SocketAddr>,
    /// The admin API, on nodes that run services.
    pub admin_addr: Option<SocketAddr>,
    pub service_addrs: BTreeMap<String, SocketAddr>,
    pub services: BTreeMap<String, Arc<Service>>,
    discovery: Arc<dyn Discovery>,
    registrations: Vec<Registration>,
    stop: watch::Sender<bool>,
    tasks: JoinSet<Result<()>>,
}

/// Brings a node up: every service ready (migrated, admin provisioned) and
/// listening before the gateway starts taking requests.
pub async fn start(config: Config, options: NodeOptions) -> Result<Node> {
    config.validate()?;
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating the data dir {}", config.data_dir.display()))?;
    let (stop, stopped) = watch::channel(false);
    let mut tasks = JoinSet::new();
    let mut service_addrs = BTreeMap::new();
    let mut services = BTreeMap::new();
    let token = Arc::new(TokenKeys::load_or_generate(
        &config.token,
        &config.data_dir,
    )?);
    let discovery = discovery::build(&config.discovery)?;
    let mut registrations = Vec::new();
    let mut admin_addr = None;

    if !options.services.is_empty() {
        let engine = new_engine(config.max_instances)?;
        let linker = Arc::new(crate::linker::new_linker(&engine)?);
        let cache = CompileCache::new(&engine, Some(&config.data_dir.join("compiled")))?;
        let deployer = Deployer::new(linker.clone(), cache.clone(), &config.data_dir);
        let rules = match options.services.iter().any(|s| s == "pricing") {
            true => Some(Arc::new(
                RuleRegistry::open(Some(&config.data_dir.join("rules"))).await?,
            )),
            false => None,
        };
        let shared = Shared::new(&config, token.clone(), rules.clone())?;
        let threads = match config.front_door_threads {
            0 => crate::threads::default_threads(),
            n => n,
        };
        for name in &start_order(&options.services) {
            let bytes = crate::components::builtin(name)
                .with_context(|| format!("this build has no `{name}` component"))?;
            let caps = shared.capabilities(&config, name, &services).await?;
            let version = Version::prepare(&linker, &cache, bytes, 1)
                .with_context(|| format!("loading the {name} component"))?;
            let service = Arc::new(Service::new(&engine, caps, version));
            deployer
                .restore(&service)
                .await
                .with_context(|| format!("restoring the deployed versions of {name}"))?;
            service.migrate().await?;
            if name == "account"
                && let Some((email, password)) = &options.admin
            {
                let id = service.ensure_admin(email, password).await?;
                tracing::info!(%email, %id, "admin account ready");
            }
            let addr = config.service_addr(name);
            let doors = FrontDoors::spawn(service.clone(), addr, threads, stopped.clone())
                .with_context(|| format!("binding the {name} service to {addr}"))?;
            println!("sluice: {name} listening on http://{}", doors.addr);
            let registration =
                Registration::new(name.clone(), config.discovery.advertised(doors.addr));
            discovery
                .register(&registration)
                .await
                .with_context(|| format!("registering {name} with discovery"))?;
            registrations.push(registration);
            service_addrs.insert(name.clone(), doors.addr);
            services.insert(name.clone(), service);
            tasks.spawn(doors.join());
        }
        let admin = Arc::new(Admin {
            services: services.clone(),
            deployer,
            rules,
            keys: token.clone(),
        });
        let listener = tokio::net::TcpListener::bind(config.admin_addr)
            .await
            .with_context(|| format!("binding the admin API to {}", config.admin_addr))?;
        let addr = listener.local_addr()?;
        println!("sluice: admin listening on http://{addr}");
        for name in admin_names(services.keys()) {
            let registration = Registration::new(name, config.discovery.advertised(addr));
            discovery.register(&registration).await?;
            registrations.push(registration);
        }
        admin_addr = Some(addr);
        let signal = stopped_signal(&stopped);
        tasks.spawn(async move { crate::admin::serve(admin, listener, signal).await });
    }

    let gateway_addr = if options.gateway {
        if config.discovery.backend == DiscoveryBackend::Embedded {
            // Services this node does not run are at their configured addresses.
            for service in crate::components::SERVICES {
                if !service_addrs.contains_key(*service) {
                    let at = Registration::new(*service, config.service_addr(service));
                    discovery.register(&at).await?;
                }
            }
            if admin_addr.is_none() {
                for name in admin_names(crate::components::SERVICES.iter()) {
                    discovery
                        .register(&Registration::new(name, config.admin_addr))
                        .await?;
                }
            }
        }
        let routed: Vec<&str> = config
            .gateway
            .routes
            .iter()
            .map(|r| r.service.as_str())
            .collect();
        let resolver = DiscoveryResolver::new(discovery.clone(), routed).await;
        let gateway = Gateway::builder(config.gateway.clone(), Arc::new(resolver))
            .authenticator(Arc::new(GatewayTokens(token.clone())))
            .bind()
            .await?;
        let addr = gateway.local_addr();
        println!("sluice: gateway listening on http://{addr}");
        let signal = stopped_signal(&stopped);
        tasks.spawn(async move { gateway.run(signal).await });
        Some(addr)
    } else {
        None
    };

    Ok(Node {
        gateway_addr,
        admin_addr,
        service_addrs,
        services,
        discovery,
        registrations,
        stop,
        tasks,
    })
}

impl Node {
    /// Stops accepting, lets in-flight requests finish, and returns.
    pub async fn shutdown(mut self) -> Result<()> {
        for registration in &self.registrations {
            if let Err(error) = self.discovery.deregister(registration).await {
                tracing::warn!(id = %registration.id(), %error, "deregistering failed");
            }
        }
        let _ = self.stop.send(true);
        while let Some(done) = self.tasks.join_next().await {
            done??;
        }
        Ok(())
    }
}

fn stopped_signal(stopped: &watch::Receiver<bool>) -> impl Future<Output = ()> + use<> {
    let mut stopped = stopped.clone();
    async move {
        let _ = stopped.wait_for(|stop| *stop).await;
    }
}

/// What every service of a node shares: the cache connection, the token
/// keys and the clock.
struct Shared {
    cache: Arc<dyn crate::capabilities::cache::CacheBackend>,
    token: Arc<TokenKeys>,
    clock: ClockState,
    /// The tenants' pricing rules, when this node runs pricing.
    rules: Option<Arc<RuleRegistry>>,
}

/// The gateway verifies bearer tokens with the host's keys.
struct GatewayTokens(Arc<TokenKeys>);

impl Authenticator for GatewayTokens {
    fn verify(&self, token: &str) -> Result<Identity, AuthError> {
        let claims = self.0.verify(token).map_err(|e| match e {
            TokenError::Expired => AuthError::Expired,
            TokenError::Invalid => AuthError::Invalid,
        })?;
        Ok(Identity {
            subject: claims.subject,
            role: claims.role,
            tenant: claims.tenant,
        })
    }
}

impl Shared {
    fn new(
        config: &Config,
        token: Arc<TokenKeys>,
        rules: Option<Arc<RuleRegistry>>,
    ) -> Result<Shared> {
        Ok(Shared {
            cache: cache::build(&config.cache)?,
            token,
            clock: ClockState::new(&config.clock),
            rules,
        })
    }

    /// The capabilities of service `name`: its database and shards, its
    /// rate limits and settings, and links to the services it calls (which
    /// must already run in this node).
    async fn capabilities(
        &self,
        config: &Config,
        name: &str,
        running: &BTreeMap<String, Arc<Service>>,
    ) -> Result<ServiceCapabilities> {
        let mut caps = ServiceCapabilities::new(
            name,
            self.cache.clone(),
            self.token.clone(),
            self.clock.clone(),
        );
        let shards = config.shard_urls(name);
        // A sharded service (order) has no database of its own unless one is
        // configured for it.
        let explicit = config
            .services
            .get(name)
            .is_some_and(|s| s.database.is_some());
        if shards.is_empty() || explicit {
            caps.sql.db = Some(
                connect(&SqlConfig::new(config.database_url(name)))
                    .await
                    .with_context(|| format!("connecting the {name} database"))?,
            );
        }
        for (n, url) in shards.iter().enumerate() {
            let shard = connect(&SqlConfig::new(url.clone()))
                .await
                .with_context(|| format!("connecting shard {n} of {name}"))?;
            caps.shards.shards.push(shard);
        }
        caps.rate_limit.backend = Arc::new(
            LocalRateLimiter::new(config.rate_limits(name))
                .map_err(anyhow::Error::from)
                .with_context(|| format!("the rate limits of {name}"))?,
        );
        caps.config = ConfigState {
            settings: Arc::new(config.settings(name)),
        };
        caps.links = links(config, name, running)?;
        if name == "pricing" {
            caps.tenant_rules.registry = self.rules.clone();
        }
        Ok(caps)
    }
}

/// The names a node's admin API registers under: `admin`, and
/// `admin-{service}` for each service it runs (the gateway routes a
/// service's deploys there).
fn admin_names(services: impl Iterator<Item = impl AsRef<str>>) -> Vec<String> {
    let mut names = vec!["admin".to_string()];
    names.extend(services.map(|s| format!("admin-{}", s.as_ref())));
    names
}

/// The services whose exports `name` imports, by interface (DESIGN.md: order
/// calls catalog's `stock` and pricing's `quote`).
fn linked_services(name: &str) -> &'static [(&'static str, &'static str)] {
    match name {
        "order" => &[("stock", "catalog"), ("quote", "pricing")],
        _ => &[],
    }
}

/// Links `name`'s imports to the services of this node that export them.
fn links(
    config: &Config,
    name: &str,
    running: &BTreeMap<String, Arc<Service>>,
) -> Result<LinksState> {
    let mut links = LinksState::default();
    for (interface, callee) in linked_services(name) {
        let service = running.get(*callee).with_context(|| {
            format!("the {name} service calls {callee} in-process: run {callee} in the same node")
        })?;
        let link = Some(Link {
            service: service.clone(),
            faults: config.faults(callee),
        });
        match *interface {
            "stock" => links.stock = link,
            _ => links.quote = link,
        }
    }
    Ok(links)
}

/// Services in start-up order: those others call come before their callers.
fn start_order(services: &[String]) -> Vec<String> {
    let mut ordered = services.to_vec();
    ordered.sort_by_key(|name| !linked_services(name).is_empty());
    ordered
}

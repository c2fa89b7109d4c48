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
use crate::capabilities::links::{Callee, Link, LinksState, RemoteService};
use crate::capabilities::rate_limit::LocalRateLimiter;
use crate::capabilities::sql::{SqlConfig, connect};
use crate::capabilities::token::{TokenError, TokenKeys};
use crate::config::Config;
use crate::discovery::{self, Discovery, DiscoveryBackend, DiscoveryResolver, Registration};
use crate::engine::{CompileCache, new_engine};
use crate::frontdoor::FrontDoors;
use crate::rules::RuleRegistry;
use crate::service::{Service, Version};
use crate::swap::Deployer;
use anyhow::{Context as _, Result, bail};
use sluice_gateway::{AuthError, Authenticator, Gateway, Identity};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
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
    /// A platform in one process (`sluice up`): it may make its own token
    /// secret; a node of a cluster must be given the cluster's.
    pub standalone: bool,
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
    /// How long to keep serving after deregistering (zero: peers never
    /// learn of it).
    drain: std::time::Duration,
    stop: watch::Sender<bool>,
    tasks: JoinSet<Result<()>>,
    /// The data dir is this node's until it is dropped.
    _lock: crate::preflight::DataDirLock,
}

/// Every address `options` makes the node listen on, with what for.
fn listen_addrs(config: &Config, options: &NodeOptions) -> Vec<(String, SocketAddr)> {
    let mut addrs: Vec<(String, SocketAddr)> = options
        .services
        .iter()
        .map(|name| (format!("the {name} service"), config.service_addr(name)))
        .collect();
    if !options.services.is_empty() {
        addrs.push(("the admin API".into(), config.admin_addr));
    }
    if options.gateway {
        addrs.push(("the gateway".into(), config.gateway.listen));
    }
    addrs
}

/// Brings a node up: every service ready (migrated, admin provisioned) and
/// listening before the gateway starts taking requests.
pub async fn start(config: Config, options: NodeOptions) -> Result<Node> {
    config.validate()?;
    crate::capabilities::token::check_cluster_secret(
        config.token.secret.as_ref(),
        options.standalone,
    )?;
    crate::preflight::check_addrs_free(&listen_addrs(&config, &options))?;
    let lock = crate::preflight::lock_data_dir(&config.data_dir)?;
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
    // The front doors of this node's services, for its gateway (by the
    // address it binds and the one discovery tells).
    let mut local_upstreams = Vec::new();
    let mut admin_addr = None;

    if !options.services.is_empty() {
        let engine = new_engine(config.max_instances)?;
        let linker = Arc::new(crate::linker::new_linker(&engine)?);
        let cache = CompileCache::new(&engine, Some(&config.data_dir.join("compiled")))?;
        let deployer = Arc::new(Deployer::new(
            linker.clone(),
            cache.clone(),
            discovery.clone(),
            config.deploy.clone(),
        ));
        let rules = match options.services.iter().any(|s| s == "pricing") {
            true => Some(Arc::new(
                RuleRegistry::open(Some(&config.data_dir.join("rules"))).await?,
            )),
            false => None,
        };
        let shared = Shared::new(&config, token.clone(), rules.clone(), discovery.clone())?;
        let threads = match config.front_door_threads {
            0 => crate::frontdoor::default_threads(),
            n => n,
        };
        if config.discovery.backend == DiscoveryBackend::Embedded {
            register_elsewhere(&config, discovery.as_ref(), &options.services, false).await?;
        }
        for name in &crate::manifest::start_order(&options.services)? {
            refuse_local_replicas(&config, discovery.as_ref(), name).await?;
            let bytes = crate::builtin::component(name)
                .with_context(|| format!("this build has no `{name}` component"))?;
            let caps = shared.capabilities(&config, name, &services).await?;
            let version = Version::prepare(&linker, &cache, bytes, 1)
                .with_context(|| format!("loading the {name} component"))?;
            let service = Arc::new(Service::new(&engine, caps, version));
            deployer
                .attach(&service)
                .await
                .with_context(|| format!("restoring the deployed version of {name}"))?;
            service.migrate().await?;
            if let (Some(rules), Some(db)) = (&rules, &service.caps.sql.db)
                && name == "pricing"
            {
                let store = crate::rules::shared::RuleStore::open(db.clone()).await?;
                rules
                    .attach(store)
                    .await
                    .context("loading the shared tenant rules")?;
                tasks.spawn(crate::rules::shared::run_until_stopped(
                    rules.clone(),
                    std::time::Duration::from_millis(config.deploy.poll_ms),
                    stopped.clone(),
                ));
            }
            if name == "account"
                && let Some((email, password)) = &options.admin
            {
                let id = service.ensure_admin(email, password).await?;
                tracing::info!(%email, %id, "admin account ready");
            }
            let addr = config.service_addr(name);
            let doors = FrontDoors::spawn(
                service.clone(),
                addr,
                threads,
                &config.server,
                stopped.clone(),
            )
            .with_context(|| format!("binding the {name} service to {addr}"))?;
            println!("sluice: {name} listening on http://{}", doors.addr);
            let advertised = config.discovery.advertised(doors.addr);
            deployer
                .announce(&service, advertised.to_string())
                .await
                .with_context(|| format!("recording what {name} serves"))?;
            let registration = Registration::new(name.clone(), advertised);
            discovery
                .register(&registration)
                .await
                .with_context(|| format!("registering {name} with discovery"))?;
            registrations.push(registration);
            service_addrs.insert(name.clone(), doors.addr);
            for addr in [doors.addr, advertised] {
                local_upstreams.push((addr, doors.local()));
            }
            tasks.spawn(crate::housekeeping::run_until_stopped(
                service.clone(),
                config.housekeeping.clone(),
                stopped.clone(),
            ));
            services.insert(name.clone(), service);
            tasks.spawn(doors.join());
        }
        tasks.spawn(
            deployer
                .clone()
                .run_until_stopped(services.values().cloned().collect(), stopped.clone()),
        );
        let admin = Arc::new(Admin {
            services: services.clone(),
            deployer,
            rules,
            keys: token.clone(),
            metrics_token: config.gateway.metrics_token.clone(),
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
        let limits = config.server.clone();
        tasks.spawn(async move { crate::admin::serve(admin, listener, &limits, signal).await });
    }

    let gateway_addr = if options.gateway {
        if config.discovery.backend == DiscoveryBackend::Embedded {
            let running: Vec<String> = service_addrs.keys().cloned().collect();
            register_elsewhere(&config, discovery.as_ref(), &running, admin_addr.is_none()).await?;
        }
        let routed: Vec<&str> = config
            .gateway
            .routes
            .iter()
            .map(|r| r.service.as_str())
            .collect();
        let resolver = DiscoveryResolver::new(discovery.clone(), routed).await;
        let mut builder = Gateway::builder(config.gateway.clone(), Arc::new(resolver))
            .authenticator(Arc::new(GatewayTokens(token.clone())));
        if config.gateway.in_process {
            for (addr, upstream) in local_upstreams {
                builder = builder.local_upstream(addr, upstream);
            }
        }
        let gateway = builder.bind().await?;
        let addr = gateway.local_addr();
        println!("sluice: gateway listening on http://{addr}");
        let signal = stopped_signal(&stopped);
        tasks.spawn(async move { gateway.run(signal).await });
        Some(addr)
    } else {
        None
    };

    let drain = match config.discovery.backend {
        DiscoveryBackend::Consul if !registrations.is_empty() => {
            std::time::Duration::from_millis(config.server.drain_ms)
        }
        _ => std::time::Duration::ZERO,
    };
    Ok(Node {
        _lock: lock,
        drain,
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
    /// Drains: deregisters from discovery, keeps serving while peers
    /// notice (`[server] drain_ms`), then stops accepting, lets in-flight
    /// requests finish, and returns.
    pub async fn shutdown(mut self) -> Result<()> {
        for registration in &self.registrations {
            if let Err(error) = self.discovery.deregister(registration).await {
                tracing::warn!(id = %registration.id(), %error, "deregistering failed");
            }
        }
        if !self.drain.is_zero() {
            tracing::info!(drain_ms = self.drain.as_millis() as u64, "draining");
            tokio::time::sleep(self.drain).await;
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
/// keys, the clock, and the way to other nodes.
struct Shared {
    cache: Arc<dyn crate::capabilities::cache::CacheBackend>,
    token: Arc<TokenKeys>,
    clock: ClockState,
    /// The tenants' pricing rules, when this node runs pricing.
    rules: Option<Arc<RuleRegistry>>,
    discovery: Arc<dyn Discovery>,
    /// One pooled HTTP client for every call to another node.
    client: reqwest::Client,
    /// Services on other nodes, by name, shared by their callers here.
    remotes: Mutex<BTreeMap<String, Arc<RemoteService>>>,
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
        discovery: Arc<dyn Discovery>,
    ) -> Result<Shared> {
        Ok(Shared {
            cache: cache::build(&config.cache)?,
            token,
            clock: ClockState::new(&config.clock),
            rules,
            discovery,
            client: reqwest::Client::builder()
                .tcp_nodelay(true)
                .pool_idle_timeout(std::time::Duration::from_secs(30))
                .build()
                .context("building the HTTP client for calls to other nodes")?,
            remotes: Mutex::default(),
        })
    }

    /// `service` on other nodes (one per service, so its breakers are shared
    /// by every caller in this node).
    fn remote(&self, config: &Config, service: &str) -> Arc<RemoteService> {
        let mut remotes = self.remotes.lock().unwrap_or_else(|p| p.into_inner());
        remotes
            .entry(service.to_string())
            .or_insert_with(|| {
                Arc::new(RemoteService::new(
                    service,
                    self.discovery.clone(),
                    Arc::new(self.token.for_nodes()),
                    self.client.clone(),
                    &config.gateway.breaker,
                    config.calls.clone(),
                ))
            })
            .clone()
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
        if let Some(url) = config.own_database_url(name) {
            caps.sql.db = Some(
                connect(&SqlConfig::new(url))
                    .await
                    .with_context(|| format!("connecting the {name} database"))?,
            );
        }
        for (n, url) in config.shard_urls(name).iter().enumerate() {
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
        caps.links = links(self, config, name, running);
        if name == "pricing" {
            caps.tenant_rules.registry = self.rules.clone();
        }
        Ok(caps)
    }
}

/// With embedded discovery, where the services this node does not run are:
/// their configured addresses (and the admin API's, if `admin`), for the
/// gateway and for linked calls to other nodes.
async fn register_elsewhere(
    config: &Config,
    discovery: &dyn Discovery,
    running: &[String],
    admin: bool,
) -> Result<()> {
    for service in crate::manifest::services() {
        if !running.iter().any(|r| r == service) {
            let at = Registration::new(*service, config.service_addr(service));
            discovery.register(&at).await?;
        }
    }
    if admin {
        for name in admin_names(crate::manifest::services().iter()) {
            discovery
                .register(&Registration::new(name, config.admin_addr))
                .await?;
        }
    }
    Ok(())
}

/// The names a node's admin API registers under: `admin`, and
/// `admin-{service}` for each service it runs (the gateway routes a
/// service's deploys there).
fn admin_names(services: impl Iterator<Item = impl AsRef<str>>) -> Vec<String> {
    let mut names = vec!["admin".to_string()];
    names.extend(services.map(|s| format!("admin-{}", s.as_ref())));
    names
}

/// Links `name`'s imports (read from the WIT worlds) to the services that
/// export them: in-process when this node runs the callee, else remote.
fn links(
    shared: &Shared,
    config: &Config,
    name: &str,
    running: &BTreeMap<String, Arc<Service>>,
) -> LinksState {
    let mut links = LinksState::default();
    for (interface, callee) in crate::manifest::links(name) {
        let target = match running.get(callee) {
            Some(service) => Callee::Local(service.clone()),
            None => Callee::Remote(shared.remote(config, callee)),
        };
        let link = Link {
            callee: target,
            faults: config.faults(callee, name),
        };
        links.insert(interface, link);
    }
    links
}

/// Refuses to run `name` with node-local state while discovery shows the
/// service on another node: a SQLite database (each replica would keep its
/// own stock, orders or accounts, and they would drift apart), or, for a
/// service whose world imports `cache`, the in-process cache (a change made
/// on one replica would not invalidate the others' entries).
async fn refuse_local_replicas(
    config: &Config,
    discovery: &dyn Discovery,
    name: &str,
) -> Result<()> {
    if config.discovery.backend == DiscoveryBackend::Embedded {
        return Ok(());
    }
    let mut urls = config.shard_urls(name);
    urls.extend(config.own_database_url(name));
    let sqlite = urls.iter().any(|url| url.starts_with("sqlite:"));
    let local_cache = crate::manifest::imports(name, "cache")
        && matches!(config.cache, cache::CacheConfig::InProcess { .. });
    if !sqlite && !local_cache {
        return Ok(());
    }
    let here = config.discovery.advertised(config.service_addr(name));
    let others: Vec<String> = discovery
        .instances(name)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|addr| here.port() == 0 || *addr != here)
        .map(|addr| addr.to_string())
        .collect();
    if others.is_empty() {
        return Ok(());
    }
    let others = others.join(", ");
    if sqlite {
        bail!(
            "{name} runs on another node too ({others}), and this node would keep its data in a \
             local SQLite file: replicas must share one database; set SLUICE_{}_DATABASE_URL \
             (or [services.{name}] database/shards) to PostgreSQL or MySQL",
            name.to_uppercase()
        );
    }
    bail!(
        "{name} runs on another node too ({others}), and this node would cache in its own \
         memory, where the other replicas' changes do not reach: set SLUICE_REDIS_URL \
         (or [cache] kind = \"redis\")"
    );
}

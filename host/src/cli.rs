//! The `sluice` command line.

use crate::config::Config;
use crate::node::{NodeOptions, start};
use anyhow::{Context as _, Result};
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

const ENVIRONMENT: &str = "\
Environment:
  SLUICE_DATA_DIR               data directory (SQLite files, JWT key, compile cache)
  SLUICE_GATEWAY_ADDR           gateway address (default 127.0.0.1:8080)
  SLUICE_ADMIN_ADDR             the node's admin API address (default 127.0.0.1:8085)
  SLUICE_<SERVICE>_ADDR         a service's address, e.g. SLUICE_ACCOUNT_ADDR (default 8081..8084)
  SLUICE_<SERVICE>_DATABASE_URL a service's database: sqlite://…, postgres://…, mysql://…
  SLUICE_<SERVICE>_SHARDS       a sharded service's databases, comma-separated (SLUICE_ORDER_SHARDS)
  SLUICE_CONSUL_ADDR            find other nodes through Consul, e.g. http://127.0.0.1:8500
  SLUICE_CONSUL_TOKEN           the Consul ACL token (X-Consul-Token) this node uses
  SLUICE_METRICS_TOKEN          bearer token a scraper sends for /metrics from another host
                                (loopback needs none; admins' tokens work on the admin API)
  SLUICE_ADVERTISE_IP           the IP other nodes dial this node's services at
  SLUICE_REDIS_URL              use Redis for the cache capability
  SLUICE_JWT_SECRET             the cluster secret that signs tokens, at least 32 bytes, the same
                                on every node (required by `serve` and `gateway`; `up` makes
                                its own in the data dir)
  SLUICE_ADMIN_EMAIL, SLUICE_ADMIN_PASSWORD
                                at start-up, create (or keep) this admin account
  SLUICE_ADMIN_URL, SLUICE_TOKEN
                                `deploy` and `rollback`: the admin API and an admin token
  SLUICE_LOG                    log filter, e.g. info or sluice=debug (default info)";

/// sluice: an e-commerce backend of WebAssembly services behind a gateway.
#[derive(Parser, Debug)]
#[command(name = "sluice", version, after_help = ENVIRONMENT)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// The whole platform in one process: the gateway and every service.
    Up(NodeArgs),
    /// One node running some services (no gateway).
    Serve {
        /// Services to run, comma-separated (account, catalog, pricing, order).
        #[arg(long, value_delimiter = ',', required = true)]
        services: Vec<String>,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// The gateway alone, routing to the service addresses in the configuration.
    Gateway(NodeArgs),
    /// Deploy a new version of a service's component to a running node
    /// (checked against the service's world, then swapped in; no request is
    /// dropped).
    Deploy {
        /// The service, e.g. catalog.
        service: String,
        /// The component file.
        file: PathBuf,
        #[command(flatten)]
        admin: crate::cli_admin::AdminArgs,
    },
    /// Return a service to the component version active before the current one.
    Rollback {
        /// The service, e.g. catalog.
        service: String,
        #[command(flatten)]
        admin: crate::cli_admin::AdminArgs,
    },
    /// A tenant's toolbox for pricing rules: new, check, test.
    #[command(subcommand)]
    Rule(crate::cli_rule::RuleCommand),
    /// Serve any wasi:http component (p2 or p3) with sluice's engine and front door.
    Run {
        /// The component file.
        file: PathBuf,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
    },
}

#[derive(Args, Debug)]
struct NodeArgs {
    /// Configuration file (TOML); environment variables override it.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Data directory (overrides the file and SLUICE_DATA_DIR).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Gateway address (overrides the file and SLUICE_GATEWAY_ADDR).
    #[arg(long)]
    gateway_addr: Option<SocketAddr>,
    /// Admin API address (overrides the file and SLUICE_ADMIN_ADDR).
    #[arg(long)]
    admin_addr: Option<SocketAddr>,
    /// A service's address, as NAME=ADDR (repeatable), e.g. account=127.0.0.1:9081.
    #[arg(long = "service-addr", value_parser = parse_service_addr)]
    service_addrs: Vec<(String, SocketAddr)>,
}

fn parse_service_addr(s: &str) -> Result<(String, SocketAddr), String> {
    let (name, addr) = s.split_once('=').ok_or("expected NAME=ADDR")?;
    let addr = addr.parse().map_err(|e| format!("{addr}: {e}"))?;
    Ok((name.to_string(), addr))
}

impl NodeArgs {
    fn config(&self) -> Result<Config> {
        let mut config = Config::load(self.config.as_deref())?;
        if let Some(dir) = &self.data_dir {
            config.data_dir = dir.clone();
        }
        if let Some(addr) = self.gateway_addr {
            config.gateway.listen = addr;
        }
        if let Some(addr) = self.admin_addr {
            config.admin_addr = addr;
        }
        for (name, addr) in &self.service_addrs {
            config.service_mut(name).listen = Some(*addr);
        }
        Ok(config)
    }
}

fn admin_from_env() -> Option<(String, String)> {
    let email = std::env::var("SLUICE_ADMIN_EMAIL").ok()?;
    let password = std::env::var("SLUICE_ADMIN_PASSWORD").ok()?;
    Some((email, password))
}

/// Runs the command line until the command ends or SIGINT/SIGTERM.
pub async fn main(cli: Cli) -> Result<()> {
    let (node, services, gateway, standalone) = match cli.command {
        Command::Run { file, addr } => return crate::run::run(&file, addr, stop_signal()).await,
        Command::Deploy {
            service,
            file,
            admin,
        } => return admin.deploy(&service, &file).await,
        Command::Rollback { service, admin } => return admin.rollback(&service).await,
        Command::Rule(rule) => return rule.run().await,
        Command::Up(node) => (node, available_services(), true, true),
        Command::Serve { services, node } => (node, services, false, false),
        Command::Gateway(node) => (node, vec![], true, false),
    };
    let config = node.config()?;
    let node = start(
        config,
        NodeOptions {
            services,
            gateway,
            admin: admin_from_env(),
            standalone,
        },
    )
    .await?;
    println!("sluice: ready");
    stop_signal().await;
    tracing::info!("shutting down");
    node.shutdown().await.context("shutting down")
}

/// The built-in services this build has components for.
fn available_services() -> Vec<String> {
    crate::manifest::services()
        .iter()
        .filter(|s| crate::builtin::component(s).is_some())
        .map(|s| s.to_string())
        .collect()
}

/// Resolves on SIGINT or SIGTERM.
async fn stop_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("installing the SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

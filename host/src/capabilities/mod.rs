//! The capabilities the host grants to components, one folder or file each.
//! Every capability follows one pattern (after Spin's factors): a marker type
//! `XCapability` that says where its state lives in the store, a cheap state
//! `XState` shared by all instances of one service, a config `XConfig`, a
//! backend trait where there is more than one backend, and `host.rs` with the
//! generated WIT traits implemented over it.

pub mod cache;
pub mod clock;
pub mod config;
pub mod links;
pub mod log;
pub mod rate_limit;
pub mod shards;
pub mod sql;
pub mod tenant_rules;
pub mod token;

use crate::state::ComponentState;
use std::sync::Arc;
use wasmtime::component::Linker;

/// Everything one service's instances may use. Built once per service at
/// start-up; each request's store holds an `Arc` of it.
pub struct ServiceCapabilities {
    /// The service name, e.g. "account".
    pub service: String,
    pub sql: sql::SqlState,
    pub shards: shards::ShardsState,
    pub links: links::LinksState,
    pub cache: cache::CacheState,
    pub rate_limit: rate_limit::RateLimitState,
    pub token: token::TokenState,
    pub clock: clock::ClockState,
    pub log: log::LogState,
    pub config: config::ConfigState,
    /// Tenant pricing rules (pricing only).
    pub tenant_rules: tenant_rules::TenantRulesState,
}

impl ServiceCapabilities {
    /// Capabilities with what every service has (a cache namespace of its
    /// own, the token keys, the clock, its name in logs) and nothing else:
    /// no database, shards, links, rate-limit policies or settings. Callers
    /// add those.
    pub fn new(
        service: &str,
        cache: Arc<dyn cache::CacheBackend>,
        keys: Arc<token::TokenKeys>,
        clock: clock::ClockState,
    ) -> ServiceCapabilities {
        ServiceCapabilities {
            service: service.to_string(),
            sql: sql::SqlState::default(),
            shards: shards::ShardsState::default(),
            links: links::LinksState::default(),
            cache: cache::CacheState {
                backend: cache,
                namespace: format!("{service}:"),
            },
            rate_limit: rate_limit::RateLimitState {
                backend: Arc::new(rate_limit::LocalRateLimiter::empty()),
            },
            token: token::TokenState::new(keys),
            clock,
            log: log::LogState {
                service: service.to_string(),
            },
            config: config::ConfigState::default(),
            tenant_rules: tenant_rules::TenantRulesState::default(),
        }
    }
}

/// Links every capability into `linker`. A component imports only what its
/// world lists; linking more than it imports grants nothing.
pub fn add_to_linker(linker: &mut Linker<ComponentState>) -> wasmtime::Result<()> {
    sql::add_to_linker(linker)?;
    shards::add_to_linker(linker)?;
    links::add_to_linker(linker)?;
    cache::add_to_linker(linker)?;
    rate_limit::add_to_linker(linker)?;
    token::add_to_linker(linker)?;
    clock::add_to_linker(linker)?;
    log::add_to_linker(linker)?;
    config::add_to_linker(linker)?;
    tenant_rules::add_to_linker(linker)?;
    Ok(())
}

//! Calls into a service that runs on other nodes: HTTP (reqwest, pooled
//! keep-alive connections) to the callee node's internal route
//! ([`CALL_PREFIX`](super::CALL_PREFIX)`{interface}.{function}`), the
//! arguments and the answer as JSON of the WIT values, authenticated with a
//! short-lived node token signed with the cluster secret.
//!
//! Instances come from discovery and are picked by the gateway's own pools
//! ([`sluice_gateway::Pools`]): the same balancer, and the same breaker, so
//! a failing node is ejected for a cool-down. Every attempt has a deadline.
//! Every linked function is safe to repeat (reads, or writes named by the
//! caller's id: see wit/stock.wit, wit/quote.wit, wit/products.wit), so a
//! failed attempt — no connection, a timeout, a 502/503/504 — is tried
//! again on another instance, up to `attempts` in all. When none answers,
//! the call is the interface's `unavailable` error.

use crate::capabilities::token::TokenKeys;
use crate::discovery::{Discovery, DiscoveryResolver};
use serde::Deserialize;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sluice_gateway::{BalancerKind, BreakerConfig, Pools};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// `[calls]`: how calls to other nodes behave.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CallConfig {
    /// Deadline of one attempt, milliseconds.
    pub timeout_ms: u64,
    /// Attempts in all, each on another instance where there is one.
    pub attempts: u32,
}

impl Default for CallConfig {
    fn default() -> Self {
        CallConfig {
            timeout_ms: 5_000,
            attempts: 3,
        }
    }
}

/// A service on other nodes, as one node's linked imports call it.
pub struct RemoteService {
    service: String,
    discovery: Arc<dyn Discovery>,
    resolver: DiscoveryResolver,
    pools: Pools,
    client: reqwest::Client,
    node_keys: Arc<TokenKeys>,
    /// The node token in use and when it was issued.
    token: Mutex<Option<(Instant, String)>>,
    config: CallConfig,
}

impl RemoteService {
    pub fn new(
        service: &str,
        discovery: Arc<dyn Discovery>,
        node_keys: Arc<TokenKeys>,
        client: reqwest::Client,
        breaker: &BreakerConfig,
        config: CallConfig,
    ) -> RemoteService {
        RemoteService {
            service: service.to_string(),
            resolver: DiscoveryResolver::over(discovery.clone()),
            discovery,
            pools: Pools::new([service], BalancerKind::LeastOutstanding, breaker),
            client,
            node_keys,
            token: Mutex::new(None),
            config,
        }
    }

    /// The service called.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// Calls `function` (e.g. `stock.reserve`) with `args` and decodes its
    /// WIT result; a call no instance answered is `unavailable(message)`.
    pub async fn call<A, T, E>(
        &self,
        function: &str,
        args: &A,
        unavailable: fn(String) -> E,
    ) -> Result<T, E>
    where
        A: Serialize + ?Sized,
        T: DeserializeOwned,
        E: DeserializeOwned,
    {
        let body = serde_json::to_vec(args).expect("WIT values encode as JSON");
        let answer = self.send(function, body).await.map_err(unavailable)?;
        serde_json::from_slice::<Result<T, E>>(&answer).unwrap_or_else(|e| {
            Err(unavailable(format!(
                "{} answered {function} with something else than its result: {e}",
                self.service
            )))
        })
    }

    /// POSTs `body` to instances of the service until one answers 200.
    async fn send(&self, function: &str, body: Vec<u8>) -> Result<bytes::Bytes, String> {
        if self.discovery.cached(&self.service).is_empty() {
            // Nothing known yet: ask the backend (and, for Consul, start
            // watching it).
            let _ = self.discovery.instances(&self.service).await;
        }
        let body = bytes::Bytes::from(body);
        let timeout = Duration::from_millis(self.config.timeout_ms);
        let mut tried: Vec<SocketAddr> = Vec::new();
        let mut failure = format!("no healthy instance of {}", self.service);
        for _ in 0..self.config.attempts.max(1) {
            let Ok(mut lease) = self.pools.pick(&self.service, &self.resolver, &tried) else {
                break;
            };
            let addr = lease.addr();
            tried.push(addr);
            let sent = self
                .client
                .post(format!("http://{addr}{}{function}", super::CALL_PREFIX))
                .bearer_auth(self.node_token())
                .header("content-type", "application/json")
                .timeout(timeout)
                .body(body.clone())
                .send()
                .await;
            let response = match sent {
                Ok(response) => response,
                Err(e) => {
                    lease.report(false);
                    failure = format!("{} at {addr}: {}", self.service, without_url(e));
                    tracing::warn!(service = %self.service, %addr, %function, error = %failure, "call to another node failed");
                    continue;
                }
            };
            let status = response.status().as_u16();
            let answer = response.bytes().await;
            match (status, answer) {
                (200, Ok(answer)) => {
                    lease.report(true);
                    return Ok(answer);
                }
                (502..=504, _) | (_, Err(_)) => {
                    lease.report(false);
                    failure = format!("{} at {addr} answered {status}", self.service);
                    tracing::warn!(service = %self.service, %addr, %function, "call to another node failed: {failure}");
                }
                (_, Ok(answer)) => {
                    // The node answered: a refusal is not the instance's fault,
                    // and another instance would refuse the same way.
                    lease.report(true);
                    let message = String::from_utf8_lossy(&answer);
                    return Err(format!(
                        "{} at {addr} refused {function} ({status}): {message}",
                        self.service
                    ));
                }
            }
        }
        Err(failure)
    }

    /// A node token, issued again when half its life is gone.
    fn node_token(&self) -> String {
        let mut token = self.token.lock().unwrap_or_else(|p| p.into_inner());
        let fresh = |issued: &Instant| issued.elapsed().as_secs() * 2 < self.node_keys.ttl_secs();
        match &*token {
            Some((issued, value)) if fresh(issued) => value.clone(),
            _ => {
                let value = self.node_keys.issue("node", "node", "").token;
                *token = Some((Instant::now(), value.clone()));
                value
            }
        }
    }
}

/// reqwest's error without the URL it repeats.
fn without_url(error: reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "failed"
    };
    format!("{kind}: {}", error.without_url())
}

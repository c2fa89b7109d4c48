//! [`ConsulApi`]: the three Consul HTTP endpoints discovery uses, over
//! reqwest, with deadlines and the optional ACL token.

use super::super::{ConsulConfig, DiscoveryError};
use super::wire::{HealthEntry, ServiceRegistration};
use reqwest::{Method, StatusCode, Url};
use std::net::SocketAddr;
use std::time::Duration;

pub const CONSUL_INDEX: &str = "x-consul-index";

pub(super) struct ConsulApi {
    http: reqwest::Client,
    base: Url,
    token: Option<String>,
    /// The cluster's tag (the first of `tags`): only instances carrying it
    /// are dialled.
    tag: Option<String>,
    timeout: Duration,
}

/// The healthy instances of a service and the index they are as of.
pub(super) struct Healthy {
    pub(super) instances: Vec<SocketAddr>,
    pub(super) index: u64,
}

impl ConsulApi {
    pub(super) fn new(config: &ConsulConfig) -> Result<Self, DiscoveryError> {
        let base = Url::parse(&config.address).map_err(|e| {
            DiscoveryError::Config(format!("consul address {:?}: {e}", config.address))
        })?;
        let http = reqwest::Client::builder()
            .build()
            .map_err(|e| DiscoveryError::Config(format!("consul client: {e}")))?;
        Ok(ConsulApi {
            http,
            base,
            token: config.token.clone(),
            tag: config.tags.first().cloned(),
            timeout: config.request_timeout(),
        })
    }

    /// `PUT /v1/agent/service/register`.
    pub(super) async fn register(&self, body: &ServiceRegistration) -> Result<(), DiscoveryError> {
        let url = self.url(&["v1", "agent", "service", "register"]);
        let request = self.request(Method::PUT, url, self.timeout).json(body);
        self.send(request, "the registration").await.map(drop)
    }

    /// `PUT /v1/agent/service/deregister/{id}`; an unknown id is fine.
    pub(super) async fn deregister(&self, id: &str) -> Result<(), DiscoveryError> {
        let url = self.url(&["v1", "agent", "service", "deregister", id]);
        let request = self.request(Method::PUT, url, self.timeout);
        match self.send(request, "the deregistration").await {
            Err(DiscoveryError::Refused { status: 404, .. }) => Ok(()),
            other => other.map(drop),
        }
    }

    /// `GET /v1/health/service/{name}?passing`, blocking until the index
    /// passes `after` (or `wait` elapses) when `after` is given.
    pub(super) async fn healthy(
        &self,
        service: &str,
        after: Option<(u64, Duration)>,
    ) -> Result<Healthy, DiscoveryError> {
        let mut url = self.url(&["v1", "health", "service", service]);
        url.query_pairs_mut().append_key_only("passing");
        // Only instances registered with this cluster's tag: an instance
        // someone else registered under the service's name is not dialled.
        if let Some(tag) = &self.tag {
            url.query_pairs_mut().append_pair("tag", tag);
        }
        let mut timeout = self.timeout;
        if let Some((index, wait)) = after {
            url.query_pairs_mut()
                .append_pair("index", &index.to_string())
                .append_pair("wait", &format!("{}s", wait.as_secs().max(1)));
            // Consul adds up to wait/16 of jitter.
            timeout += wait + wait / 16;
        }
        let request = self.request(Method::GET, url, timeout);
        let response = self.send(request, "the health query").await?;
        let index = response
            .headers()
            .get(CONSUL_INDEX)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<u64>().ok())
            .ok_or_else(|| self.malformed("no X-Consul-Index header"))?;
        let entries: Vec<HealthEntry> = response
            .json()
            .await
            .map_err(|e| self.malformed(&e.to_string()))?;
        let mut instances: Vec<SocketAddr> = entries
            .iter()
            .filter_map(HealthEntry::passing_addr)
            .collect();
        instances.sort();
        instances.dedup();
        Ok(Healthy { instances, index })
    }

    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .expect("an http(s) URL has a path")
            .pop_if_empty()
            .extend(segments);
        url
    }

    fn request(&self, method: Method, url: Url, timeout: Duration) -> reqwest::RequestBuilder {
        let request = self.http.request(method, url).timeout(timeout);
        match &self.token {
            Some(token) => request.header("x-consul-token", token),
            None => request,
        }
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        what: &str,
    ) -> Result<reqwest::Response, DiscoveryError> {
        let response = request
            .send()
            .await
            .map_err(|e| DiscoveryError::Unreachable {
                backend: self.name(),
                reason: e.to_string(),
            })?;
        let status = response.status();
        if status == StatusCode::OK {
            return Ok(response);
        }
        let body = response.text().await.unwrap_or_default();
        Err(DiscoveryError::Refused {
            backend: self.name(),
            what: what.to_owned(),
            status: status.as_u16(),
            body: body.chars().take(200).collect(),
        })
    }

    fn malformed(&self, reason: &str) -> DiscoveryError {
        DiscoveryError::Malformed {
            backend: self.name(),
            reason: reason.to_owned(),
        }
    }

    fn name(&self) -> String {
        format!("consul at {}", self.base)
    }
}

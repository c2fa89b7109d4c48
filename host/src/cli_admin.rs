//! `sluice deploy` and `sluice rollback`: clients of a node's admin API.

use anyhow::{Context as _, Result, bail};
use clap::Args;
use std::path::Path;

/// Where the admin API is and who is calling it.
#[derive(Args, Debug)]
pub struct AdminArgs {
    /// The node's admin API.
    #[arg(
        long,
        env = "SLUICE_ADMIN_URL",
        default_value = "http://127.0.0.1:8085"
    )]
    admin_url: String,
    /// An admin access token (`POST /api/accounts/login` as an admin).
    #[arg(long, env = "SLUICE_TOKEN", hide_env_values = true)]
    token: String,
}

impl AdminArgs {
    /// Uploads `file` as the next version of `service`.
    pub async fn deploy(&self, service: &str, file: &Path) -> Result<()> {
        let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        self.call(
            reqwest::Method::PUT,
            &format!("/admin/components/{service}"),
            bytes,
        )
        .await
    }

    /// Rolls `service` back to its previous version.
    pub async fn rollback(&self, service: &str) -> Result<()> {
        let path = format!("/admin/components/{service}/rollback");
        self.call(reqwest::Method::POST, &path, Vec::new()).await
    }

    /// Sends one request; prints the JSON answer, or fails with it.
    async fn call(&self, method: reqwest::Method, path: &str, body: Vec<u8>) -> Result<()> {
        let url = format!("{}{path}", self.admin_url.trim_end_matches('/'));
        let response = reqwest::Client::new()
            .request(method, &url)
            .bearer_auth(&self.token)
            .body(body)
            .send()
            .await
            .with_context(|| format!("calling {url}"))?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        if !status.is_success() {
            bail!("{url} answered {status}: {text}");
        }
        println!("{text}");
        Ok(())
    }
}

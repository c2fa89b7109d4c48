//! Tenant rules shared by every pricing node: kept in pricing's own
//! database (`_sluice_rules`: tenant -> digest and bytes), which every
//! pricing node already shares. A delete keeps the tenant's row with no
//! digest, so a node that was down meanwhile still drops its copy. Every
//! pricing node polls the (tenant, digest) list (`[deploy] poll_ms`) and
//! brings its registry to it, loading only the rules whose digest changed.

use super::RuleRegistry;
use crate::capabilities::sql::{SqlBackend, Value};
use crate::desired::{create_tables, engine_types, now_secs, upsert};
use anyhow::{Result, anyhow};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// The rules in pricing's database.
#[derive(Clone)]
pub struct RuleStore {
    db: Arc<dyn SqlBackend>,
}

impl RuleStore {
    /// The store in `db`, its table created if missing.
    pub async fn open(db: Arc<dyn SqlBackend>) -> Result<RuleStore> {
        let (blob, _, suffix) = engine_types(db.dialect());
        let table = format!(
            "CREATE TABLE IF NOT EXISTS _sluice_rules (tenant VARCHAR(64) NOT NULL PRIMARY KEY, \
             digest VARCHAR(64), bytes {blob}, changed_at BIGINT NOT NULL){suffix}"
        );
        create_tables(db.as_ref(), vec![table]).await?;
        Ok(RuleStore { db })
    }

    /// Makes `bytes` (with `digest`) `tenant`'s rule.
    pub async fn put(&self, tenant: &str, digest: &str, bytes: &[u8]) -> Result<()> {
        self.set(tenant, digest.into(), Value::Blob(bytes.to_vec()))
            .await
    }

    /// Removes `tenant`'s rule (the row stays, without a digest).
    pub async fn delete(&self, tenant: &str) -> Result<()> {
        self.set(tenant, Value::Null, Value::Null).await
    }

    async fn set(&self, tenant: &str, digest: Value, bytes: Value) -> Result<()> {
        upsert(
            self.db.as_ref(),
            "UPDATE _sluice_rules SET digest = ?, bytes = ?, changed_at = ? WHERE tenant = ?",
            "INSERT INTO _sluice_rules (digest, bytes, changed_at, tenant) VALUES (?, ?, ?, ?)",
            vec![digest, bytes, (now_secs() as i64).into(), tenant.into()],
        )
        .await
    }

    /// Every tenant ever given a rule, with its digest (`None`: removed).
    pub async fn list(&self) -> Result<Vec<(String, Option<String>)>> {
        let rows = self
            .db
            .query("SELECT tenant, digest FROM _sluice_rules".into(), vec![])
            .await?;
        rows.rows
            .iter()
            .map(|row| match (row[0].text(), &row[1]) {
                (Some(tenant), Value::Null) => Ok((tenant.to_string(), None)),
                (Some(tenant), digest) => match digest.text() {
                    Some(digest) => Ok((tenant.to_string(), Some(digest.to_string()))),
                    None => Err(anyhow!("unexpected digest of {tenant}: {digest:?}")),
                },
                (None, _) => Err(anyhow!("unexpected tenant {:?}", row[0])),
            })
            .collect()
    }

    /// The bytes of `tenant`'s rule if its digest is still `digest`.
    pub async fn bytes(&self, tenant: &str, digest: &str) -> Result<Option<Vec<u8>>> {
        let rows = self
            .db
            .query(
                "SELECT bytes FROM _sluice_rules WHERE tenant = ? AND digest = ?".into(),
                vec![tenant.into(), digest.into()],
            )
            .await?;
        match rows.rows.first().map(|row| &row[0]) {
            Some(Value::Blob(bytes)) => Ok(Some(bytes.clone())),
            Some(other) => Err(anyhow!("the rule of {tenant} is stored as {other:?}")),
            None => Ok(None),
        }
    }
}

/// Brings `registry` to the rules in its store every `every`, until
/// `stopped` turns true.
pub async fn run_until_stopped(
    registry: Arc<RuleRegistry>,
    every: Duration,
    stopped: watch::Receiver<bool>,
) -> Result<()> {
    crate::periodic::every(every, stopped, || async {
        if let Err(error) = registry.sync().await {
            tracing::warn!(error = format!("{error:#}"), "syncing tenant rules failed");
        }
    })
    .await
}

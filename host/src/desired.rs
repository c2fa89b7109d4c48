//! The desired versions of a service, shared by every node that runs it:
//! which uploaded versions exist, which is active and the rollback history,
//! with the component bytes, content-addressed. They live in the service's
//! own database (its `sql` database, else its shard 0): the one durable
//! store every replica of a service already shares (a replica on node-local
//! SQLite is refused at start-up), and under `sluice up` a file in its one
//! data dir. No extra server, and a deploy is as durable as the data.
//!
//! Three host-owned tables, next to `_sluice_migrations`:
//! - `_sluice_components`: (service, digest) -> bytes;
//! - `_sluice_desired`: one row per service, the state as JSON and a
//!   revision. Every change is a compare-and-set on the revision, so two
//!   deploys racing on two nodes never lose one another (one writer per
//!   record: the loser re-reads and applies its change on top);
//! - `_sluice_serving`: what each node (named by its advertised service
//!   address, as discovery lists it) serves: revision and version.
//!
//! Nodes converge by polling the revision (see [`crate::swap`]).

use crate::capabilities::sql::{Dialect, SqlBackend, SqlError, Statement, Value};
use anyhow::{Context as _, Result, anyhow};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// The state every node of a service converges to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Desired {
    /// The active version's number (1: the component built into the binary).
    pub active: u32,
    /// Version numbers in the order they were activated, the active last
    /// (what rollback walks back through).
    pub history: Vec<u32>,
    /// The uploaded versions (numbers from 2), oldest first.
    pub versions: Vec<DesiredVersion>,
}

/// One uploaded version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DesiredVersion {
    pub number: u32,
    /// SHA-256 of the bytes, hex: the key in `_sluice_components`.
    pub digest: String,
    /// Seconds since the Unix epoch.
    pub loaded_at: u64,
}

impl Desired {
    /// The state before any upload: the built-in version 1.
    pub fn builtin() -> Desired {
        Desired {
            active: 1,
            history: vec![1],
            versions: Vec::new(),
        }
    }

    /// This state with `digest` added as the next version and activated;
    /// and that version's number.
    pub fn with_deployed(&self, digest: &str) -> (Desired, u32) {
        let number = self.versions.iter().map(|v| v.number).max().unwrap_or(1) + 1;
        let mut next = self.clone();
        next.versions.push(DesiredVersion {
            number,
            digest: digest.to_string(),
            loaded_at: now_secs(),
        });
        next.active = number;
        next.history.push(number);
        (next, number)
    }

    /// This state with the version before the active one active again;
    /// `None` at the first version.
    pub fn rolled_back(&self) -> Option<Desired> {
        let mut next = self.clone();
        if next.history.len() < 2 {
            return None;
        }
        next.history.pop();
        next.active = *next.history.last()?;
        Some(next)
    }

    /// The digest of version `number` (none for the built-in version 1).
    pub fn digest_of(&self, number: u32) -> Option<&str> {
        self.versions
            .iter()
            .find(|v| v.number == number)
            .map(|v| v.digest.as_str())
    }
}

/// What one node serves, as it last reported.
#[derive(Debug, Clone, PartialEq)]
pub struct Serving {
    /// The node's advertised service address.
    pub node: String,
    pub revision: i64,
    pub version: u32,
}

/// A service's desired state in its database.
#[derive(Clone)]
pub struct DesiredStore {
    db: Arc<dyn SqlBackend>,
    service: String,
}

impl DesiredStore {
    /// The store of `service` in `db`, its tables created if missing.
    pub async fn open(db: Arc<dyn SqlBackend>, service: &str) -> Result<DesiredStore> {
        let store = DesiredStore {
            db,
            service: service.to_string(),
        };
        create_tables(store.db.as_ref(), tables(store.db.dialect())).await?;
        Ok(store)
    }

    /// The revision and state, if anything was ever deployed.
    pub async fn read(&self) -> Result<Option<(i64, Desired)>> {
        let rows = self
            .db
            .query(
                "SELECT revision, state FROM _sluice_desired WHERE service = ?".into(),
                vec![self.service.as_str().into()],
            )
            .await?;
        let Some(row) = rows.rows.first() else {
            return Ok(None);
        };
        match (&row[0], row[1].text()) {
            (Value::Integer(revision), Some(state)) => Ok(Some((
                *revision,
                serde_json::from_str(state).context("reading the desired state")?,
            ))),
            other => Err(anyhow!("unexpected desired-state row {other:?}")),
        }
    }

    /// Writes `next` if the revision is still `seen` (`None`: no row yet);
    /// the new revision, or `None` if another node changed it first.
    pub async fn write(&self, seen: Option<i64>, next: &Desired) -> Result<Option<i64>> {
        let state = serde_json::to_string(next)?;
        let (revision, statement) = match seen {
            None => (
                1,
                Statement::expect(
                    "INSERT INTO _sluice_desired (service, revision, state) VALUES (?, 1, ?)",
                    vec![self.service.as_str().into(), state.into()],
                    1,
                ),
            ),
            Some(seen) => (
                seen + 1,
                Statement::expect(
                    "UPDATE _sluice_desired SET revision = ?, state = ? \
                     WHERE service = ? AND revision = ?",
                    vec![
                        (seen + 1).into(),
                        state.into(),
                        self.service.as_str().into(),
                        seen.into(),
                    ],
                    1,
                ),
            ),
        };
        match self.db.batch(vec![statement]).await {
            Ok(_) => Ok(Some(revision)),
            Err(SqlError::ExpectationFailed(_) | SqlError::ConstraintViolation(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Keeps `bytes` under `digest` (once; a second upload is a no-op).
    pub async fn put_bytes(&self, digest: &str, bytes: &[u8]) -> Result<()> {
        let inserted = self
            .db
            .execute(
                "INSERT INTO _sluice_components (service, digest, bytes, added_at) \
                 VALUES (?, ?, ?, ?)"
                    .into(),
                vec![
                    self.service.as_str().into(),
                    digest.into(),
                    Value::Blob(bytes.to_vec()),
                    (now_secs() as i64).into(),
                ],
            )
            .await;
        match inserted {
            Ok(_) | Err(SqlError::ConstraintViolation(_)) => Ok(()),
            Err(e) => Err(e).context("storing the component bytes"),
        }
    }

    /// The bytes kept under `digest`.
    pub async fn bytes(&self, digest: &str) -> Result<Vec<u8>> {
        let rows = self
            .db
            .query(
                "SELECT bytes FROM _sluice_components WHERE service = ? AND digest = ?".into(),
                vec![self.service.as_str().into(), digest.into()],
            )
            .await?;
        match rows.rows.first().map(|row| &row[0]) {
            Some(Value::Blob(bytes)) => Ok(bytes.clone()),
            Some(other) => Err(anyhow!("component {digest} is stored as {other:?}")),
            None => Err(anyhow!("no component with digest {digest} is stored")),
        }
    }

    /// Records that `node` serves `version` at `revision`.
    pub async fn report(&self, node: &str, revision: i64, version: u32) -> Result<()> {
        let params = vec![
            revision.into(),
            i64::from(version).into(),
            (now_secs() as i64).into(),
            self.service.as_str().into(),
            node.into(),
        ];
        upsert(
            self.db.as_ref(),
            "UPDATE _sluice_serving SET revision = ?, version = ?, seen_at = ? \
             WHERE service = ? AND node = ?",
            "INSERT INTO _sluice_serving (revision, version, seen_at, service, node) \
             VALUES (?, ?, ?, ?, ?)",
            params,
        )
        .await
    }

    /// What every node that ever reported serves.
    pub async fn serving(&self) -> Result<Vec<Serving>> {
        let rows = self
            .db
            .query(
                "SELECT node, revision, version FROM _sluice_serving WHERE service = ? \
                 ORDER BY node"
                    .into(),
                vec![self.service.as_str().into()],
            )
            .await?;
        rows.rows
            .iter()
            .map(|row| match (row[0].text(), &row[1], &row[2]) {
                (Some(node), Value::Integer(revision), Value::Integer(version)) => Ok(Serving {
                    node: node.to_string(),
                    revision: *revision,
                    version: u32::try_from(*version)?,
                }),
                other => Err(anyhow!("unexpected serving row {other:?}")),
            })
            .collect()
    }
}

/// Updates a row, or inserts it if there is none: `update` and `insert`
/// take the same parameters (the key last in `update`'s WHERE). Portable
/// across the three engines, which spell a native upsert three ways.
pub(crate) async fn upsert(
    db: &dyn SqlBackend,
    update: &str,
    insert: &str,
    params: Vec<Value>,
) -> Result<()> {
    if db.execute(update.into(), params.clone()).await? == 1 {
        return Ok(());
    }
    match db.execute(insert.into(), params.clone()).await {
        Ok(_) => Ok(()),
        // Inserted by someone else a moment ago: update theirs.
        Err(SqlError::ConstraintViolation(_)) => {
            db.execute(update.into(), params).await?;
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

/// Creates the tables `statements` create (`IF NOT EXISTS`); two nodes
/// starting at once may race on a CREATE, and the loser's error then means
/// the table is there, so a failure is tried once more.
pub(crate) async fn create_tables(db: &dyn SqlBackend, statements: Vec<String>) -> Result<()> {
    for sql in statements {
        if let Err(first) = db.execute(sql.clone(), vec![]).await {
            db.execute(sql, vec![])
                .await
                .map_err(|_| anyhow!(first))
                .context("creating the host's tables")?;
        }
    }
    Ok(())
}

/// The tables, in each engine's types for bytes and long text.
fn tables(dialect: Dialect) -> Vec<String> {
    let (blob, text, suffix) = engine_types(dialect);
    vec![
        format!(
            "CREATE TABLE IF NOT EXISTS _sluice_components (service VARCHAR(64) NOT NULL, \
             digest VARCHAR(64) NOT NULL, bytes {blob} NOT NULL, added_at BIGINT NOT NULL, \
             PRIMARY KEY (service, digest)){suffix}"
        ),
        format!(
            "CREATE TABLE IF NOT EXISTS _sluice_desired (service VARCHAR(64) NOT NULL \
             PRIMARY KEY, revision BIGINT NOT NULL, state {text} NOT NULL){suffix}"
        ),
        format!(
            "CREATE TABLE IF NOT EXISTS _sluice_serving (service VARCHAR(64) NOT NULL, \
             node VARCHAR(128) NOT NULL, revision BIGINT NOT NULL, version BIGINT NOT NULL, \
             seen_at BIGINT NOT NULL, PRIMARY KEY (service, node)){suffix}"
        ),
    ]
}

/// Each engine's column type for bytes and for long text, and its table
/// options (MySQL: InnoDB, utf8mb4 compared byte by byte).
pub(crate) fn engine_types(dialect: Dialect) -> (&'static str, &'static str, &'static str) {
    match dialect {
        Dialect::Sqlite => ("BLOB", "TEXT", ""),
        Dialect::Postgres => ("BYTEA", "TEXT", ""),
        Dialect::Mysql => (
            "LONGBLOB",
            "LONGTEXT",
            " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
        ),
    }
}

pub(crate) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deploys_number_up_and_rollbacks_walk_the_history() {
        let first = Desired::builtin();
        assert_eq!(first.rolled_back(), None, "nothing before the built-in");
        let (second, n) = first.with_deployed("aa");
        assert_eq!(
            (n, second.active, second.history.clone()),
            (2, 2, vec![1, 2])
        );
        let (third, n) = second.with_deployed("bb");
        assert_eq!((n, third.digest_of(3)), (3, Some("bb")));
        let back = third.rolled_back().unwrap();
        assert_eq!((back.active, back.history.clone()), (2, vec![1, 2]));
        // A deploy after a rollback takes a new number, never a reused one.
        let (again, n) = back.with_deployed("cc");
        assert_eq!((n, again.history), (4, vec![1, 2, 4]));
    }
}

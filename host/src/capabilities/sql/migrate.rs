//! Schema migrations: [`apply_migrations`] runs the ones a database has not
//! seen yet, in order, and records each in [`MIGRATIONS_TABLE`].
//!
//! On SQLite and PostgreSQL, DDL is transactional: a migration's record is
//! inserted first and its statements run in the same transaction, so a
//! migration is applied whole or not at all, and when two processes race the
//! loser's insert waits for the winner's and then fails as a unique
//! violation, which means "already done".
//!
//! MySQL commits implicitly around DDL, so there a migration is first
//! claimed by inserting its record with `applied_at` NULL, then run, then
//! marked done. A racing process that finds a claim waits for it to finish;
//! a claim left by a crash stops later runs with an error naming the version
//! instead of running over a half-applied migration.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::{Dialect, SqlBackend, SqlError, Statement, Value};

/// The table that records applied migrations.
pub const MIGRATIONS_TABLE: &str = "_sluice_migrations";

/// How long to wait for another process's migration on MySQL.
const CLAIM_WAIT: Duration = Duration::from_secs(60);
const CLAIM_POLL: Duration = Duration::from_millis(50);

/// One forward-only migration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Migration {
    /// Increasing from 1; never reused or renumbered once released.
    pub version: u32,
    /// A short description, recorded with the version.
    pub name: String,
    /// The statements to run, in order.
    pub statements: Vec<String>,
}

/// Applies the migrations not yet recorded, in order, and returns the
/// versions this call applied (empty when the database was up to date, or
/// when another process applied them first).
pub async fn apply_migrations(
    backend: &dyn SqlBackend,
    migrations: &[Migration],
) -> Result<Vec<u32>, SqlError> {
    check_order(migrations)?;
    create_table(backend).await?;
    let mut applied_now = Vec::new();
    for migration in migrations {
        if state(backend, migration.version).await? == State::Done {
            continue;
        }
        let applied = match backend.dialect() {
            Dialect::Mysql => apply_claimed(backend, migration).await?,
            Dialect::Sqlite | Dialect::Postgres => apply_atomic(backend, migration).await?,
        };
        if applied {
            applied_now.push(migration.version);
        }
    }
    Ok(applied_now)
}

fn check_order(migrations: &[Migration]) -> Result<(), SqlError> {
    let mut previous = 0;
    for m in migrations {
        if m.version <= previous {
            return Err(SqlError::InvalidStatement(format!(
                "migration versions must start at 1 or more and increase strictly; \
                 {} (`{}`) follows {previous}",
                m.version, m.name
            )));
        }
        previous = m.version;
    }
    Ok(())
}

async fn create_table(backend: &dyn SqlBackend) -> Result<(), SqlError> {
    let sql = format!(
        "CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} \
         (version BIGINT PRIMARY KEY, name TEXT, applied_at BIGINT)"
    );
    match backend.execute(sql, vec![]).await {
        // PostgreSQL: two concurrent CREATE TABLE IF NOT EXISTS can collide in
        // the catalog; the loser's table exists now all the same.
        Ok(_) | Err(SqlError::ConstraintViolation(_)) => Ok(()),
        Err(e) => Err(e),
    }
}

#[derive(Debug, PartialEq)]
enum State {
    Absent,
    /// Claimed on MySQL and not (yet) finished.
    InProgress,
    Done,
}

async fn state(backend: &dyn SqlBackend, version: u32) -> Result<State, SqlError> {
    let rows = backend
        .query(
            format!("SELECT applied_at FROM {MIGRATIONS_TABLE} WHERE version = ?"),
            vec![Value::Integer(version.into())],
        )
        .await?;
    Ok(match rows.rows.first().and_then(|r| r.first()) {
        None => State::Absent,
        Some(Value::Null) => State::InProgress,
        Some(_) => State::Done,
    })
}

fn record(migration: &Migration, applied_at: Value) -> Statement {
    Statement::expect(
        &format!("INSERT INTO {MIGRATIONS_TABLE} (version, name, applied_at) VALUES (?, ?, ?)"),
        vec![
            Value::Integer(migration.version.into()),
            Value::Text(migration.name.clone()),
            applied_at,
        ],
        1,
    )
}

fn now() -> Value {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Value::Integer(secs as i64)
}

/// Record and statements in one transaction. `Ok(false)`: someone else did it.
async fn apply_atomic(backend: &dyn SqlBackend, migration: &Migration) -> Result<bool, SqlError> {
    let mut batch = vec![record(migration, now())];
    batch.extend(
        migration
            .statements
            .iter()
            .map(|sql| Statement::any(sql, vec![])),
    );
    match backend.batch(batch).await {
        Ok(_) => Ok(true),
        Err(SqlError::ConstraintViolation(_)) | Err(SqlError::Unavailable(_))
            if state(backend, migration.version).await? == State::Done =>
        {
            Ok(false)
        }
        Err(e) => Err(in_migration(migration, e)),
    }
}

/// Claim, run, mark done (MySQL). `Ok(false)`: someone else did it.
async fn apply_claimed(backend: &dyn SqlBackend, migration: &Migration) -> Result<bool, SqlError> {
    let waited_since = Instant::now();
    loop {
        let claim = record(migration, Value::Null);
        match backend.execute(claim.sql, claim.params).await {
            Ok(_) => break,
            Err(SqlError::ConstraintViolation(_)) => {}
            Err(e) => return Err(e),
        }
        // Claimed by someone else: wait until they finish or give up.
        match state(backend, migration.version).await? {
            State::Done => return Ok(false),
            State::Absent => continue,
            State::InProgress if waited_since.elapsed() < CLAIM_WAIT => {
                tokio::time::sleep(CLAIM_POLL).await
            }
            State::InProgress => {
                return Err(SqlError::Other(format!(
                    "migration {} (`{}`) was started but has not finished after {}s; \
                     if the process applying it died, check the schema by hand and \
                     delete its row from {MIGRATIONS_TABLE}",
                    migration.version,
                    migration.name,
                    CLAIM_WAIT.as_secs()
                )));
            }
        }
    }
    for sql in &migration.statements {
        if let Err(e) = backend.execute(sql.clone(), vec![]).await {
            let _ = backend
                .execute(
                    format!(
                        "DELETE FROM {MIGRATIONS_TABLE} WHERE version = ? AND applied_at IS NULL"
                    ),
                    vec![Value::Integer(migration.version.into())],
                )
                .await;
            return Err(in_migration(migration, e));
        }
    }
    backend
        .execute(
            format!("UPDATE {MIGRATIONS_TABLE} SET applied_at = ? WHERE version = ?"),
            vec![now(), Value::Integer(migration.version.into())],
        )
        .await?;
    Ok(true)
}

/// Names the migration in a statement's error, keeping its kind.
fn in_migration(migration: &Migration, error: SqlError) -> SqlError {
    let context = |m: String| {
        format!(
            "migration {} (`{}`): {m}",
            migration.version, migration.name
        )
    };
    match error {
        SqlError::ConstraintViolation(m) => SqlError::ConstraintViolation(context(m)),
        SqlError::InvalidStatement(m) => SqlError::InvalidStatement(context(m)),
        SqlError::Unavailable(m) => SqlError::Unavailable(context(m)),
        SqlError::Other(m) => SqlError::Other(context(m)),
        e @ SqlError::ExpectationFailed(_) => e,
    }
}

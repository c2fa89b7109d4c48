//! The `sql` capability: a component's own database, behind [`SqlBackend`].
//!
//! [`SqliteBackend`] serves SQLite, each call run whole on the caller's
//! thread; [`SqlxBackend`] serves PostgreSQL and MySQL/MariaDB through sqlx.
//! The URL in [`SqlConfig`] chooses. Components
//! write `?` placeholders everywhere (rewritten to `$n` for PostgreSQL); every
//! column comes back as a [`Value`]. [`apply_migrations`] brings a database up
//! to a component's schema, and [`testdb`] makes throw-away databases for
//! tests.

mod backend;
mod config;
mod decode;
mod migrate;
mod placeholders;
mod runner;
mod sqlite_backend;
mod sqlite_checkpoints;
pub mod sqlite_memory;
mod sqlx_backend;
mod sqlx_error;
pub mod testdb;

#[cfg(test)]
mod tests;

use std::sync::Arc;

pub use backend::SqlBackend;
pub use config::SqlConfig;
pub use migrate::{MIGRATIONS_TABLE, Migration, apply_migrations};
/// The values, rows, statements, errors and dialects that cross the `sql`
/// interface: the kit's, which the components use too.
pub use sluice_kit::sql::{Dialect, Rows, SqlError, Statement, Value};
pub use sqlite_backend::SqliteBackend;
pub use sqlx_backend::SqlxBackend;

/// Connects to the database `config` names; see [`SqliteBackend::connect`]
/// and [`SqlxBackend::connect`].
pub async fn connect(config: &SqlConfig) -> Result<Arc<dyn SqlBackend>, SqlError> {
    if Dialect::from_url(&config.url) == Some(Dialect::Sqlite) {
        return Ok(Arc::new(SqliteBackend::connect(config)?));
    }
    Ok(Arc::new(SqlxBackend::connect(config).await?))
}

mod host;
pub use host::*;

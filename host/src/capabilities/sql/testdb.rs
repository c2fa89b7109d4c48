//! Throw-away databases for tests: [`fresh_database`] creates one with a
//! random name and returns its URL and a guard that drops it.
//!
//! The servers default to the local ones (PostgreSQL as `postgres` on
//! 127.0.0.1:5432, MariaDB/MySQL as `root` on 127.0.0.1:3306) and can be
//! pointed elsewhere with `SLUICE_TEST_POSTGRES_URL` and
//! `SLUICE_TEST_MYSQL_URL` (an admin URL; its database part is replaced).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use sqlx::{Connection, Executor};

use super::Dialect;

const POSTGRES_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
const MYSQL_ADMIN_URL: &str = "mysql://root@127.0.0.1:3306/test";

/// Drops the database (or deletes the SQLite folder) when dropped.
#[derive(Debug)]
pub struct DatabaseGuard {
    cleanup: Cleanup,
}

#[derive(Debug)]
enum Cleanup {
    Folder(PathBuf),
    Drop {
        dialect: Dialect,
        admin_url: String,
        name: String,
    },
}

/// A new, empty database of `dialect`: its URL and a guard that removes it.
/// Keep the guard alive as long as the database is used; drop connections
/// (backends) before the guard.
pub async fn fresh_database(dialect: Dialect) -> anyhow::Result<(String, DatabaseGuard)> {
    let name = format!("sluice_test_{}", hex::encode(rand::random::<[u8; 6]>()));
    match dialect {
        Dialect::Sqlite => {
            let dir = std::env::temp_dir().join(&name);
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            let url = format!("sqlite://{}?mode=rwc", dir.join("db.sqlite").display());
            Ok((
                url,
                DatabaseGuard {
                    cleanup: Cleanup::Folder(dir),
                },
            ))
        }
        Dialect::Postgres | Dialect::Mysql => {
            let admin_url = admin_url(dialect);
            run_admin(dialect, &admin_url, &format!("CREATE DATABASE {name}")).await?;
            let url = with_database(&admin_url, &name);
            Ok((
                url,
                DatabaseGuard {
                    cleanup: Cleanup::Drop {
                        dialect,
                        admin_url,
                        name,
                    },
                },
            ))
        }
    }
}

fn admin_url(dialect: Dialect) -> String {
    let (var, default) = match dialect {
        Dialect::Postgres => ("SLUICE_TEST_POSTGRES_URL", POSTGRES_ADMIN_URL),
        _ => ("SLUICE_TEST_MYSQL_URL", MYSQL_ADMIN_URL),
    };
    std::env::var(var).unwrap_or_else(|_| default.to_string())
}

/// `scheme://auth@host/olddb?query` -> `scheme://auth@host/name?query`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[after_scheme..]
        .find('/')
        .map_or(base.len(), |i| after_scheme + i);
    let mut out = format!("{}/{name}", &base[..host_end]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

async fn run_admin(dialect: Dialect, admin_url: &str, sql: &str) -> anyhow::Result<()> {
    let run = async {
        match dialect {
            Dialect::Postgres => {
                let mut conn = sqlx::PgConnection::connect(admin_url).await?;
                conn.execute(sql).await?;
                conn.close().await
            }
            _ => {
                let mut conn = sqlx::MySqlConnection::connect(admin_url).await?;
                conn.execute(sql).await?;
                conn.close().await
            }
        }
    };
    within_limit(admin_url, sql, run).await
}

/// `work` on the admin connection, `what` it runs, failing after 30 s.
async fn within_limit(
    admin_url: &str,
    what: &str,
    work: impl Future<Output = Result<(), sqlx::Error>>,
) -> anyhow::Result<()> {
    tokio::time::timeout(Duration::from_secs(30), work)
        .await
        .context("timed out")?
        .with_context(|| {
            format!(
                "running `{what}` on {}",
                super::config::redact_url(admin_url)
            )
        })
}

impl DatabaseGuard {
    /// Ends every connection to this database from the server's side, as a
    /// restart or the server's idle timeout would.
    pub async fn end_connections(&self) -> anyhow::Result<()> {
        let Cleanup::Drop {
            dialect,
            admin_url,
            name,
        } = &self.cleanup
        else {
            anyhow::bail!("an SQLite file has no server to end its connections");
        };
        if *dialect == Dialect::Postgres {
            let sql = format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
            );
            return run_admin(*dialect, admin_url, &sql).await;
        }
        let processes = "SELECT id FROM information_schema.processlist WHERE db = ?";
        let kill = async {
            let mut conn = sqlx::MySqlConnection::connect(admin_url).await?;
            let ids: Vec<i64> = sqlx::query_scalar(processes)
                .bind(name)
                .fetch_all(&mut conn)
                .await?;
            for id in ids {
                conn.execute(format!("KILL {id}").as_str()).await?;
            }
            conn.close().await
        };
        within_limit(admin_url, &format!("KILL of each of `{processes}`"), kill).await
    }
}

impl Drop for DatabaseGuard {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Folder(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Drop {
                dialect,
                admin_url,
                name,
            } => {
                let sql = match dialect {
                    // FORCE ends connections a test left open.
                    Dialect::Postgres => format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                    _ => format!("DROP DATABASE IF EXISTS {name}"),
                };
                let (dialect, admin_url) = (*dialect, admin_url.clone());
                // Drop may run inside a runtime, which cannot block on a
                // future: run the statement on a thread with its own.
                let dropped = std::thread::spawn(move || {
                    tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(anyhow::Error::from)
                        .and_then(|rt| rt.block_on(run_admin(dialect, &admin_url, &sql)))
                })
                .join();
                if let Ok(Err(e)) = dropped {
                    eprintln!("warning: could not drop test database {name}: {e:#}");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_database_in_a_url() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("mysql://root:pw@db:3306/test?ssl-mode=disabled", "x"),
            "mysql://root:pw@db:3306/x?ssl-mode=disabled"
        );
        assert_eq!(
            with_database("mysql://root@db:3306", "x"),
            "mysql://root@db:3306/x"
        );
    }
}

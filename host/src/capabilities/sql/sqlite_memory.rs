//! How much memory SQLite holds in this process, and the one limit on it:
//! past [`MEMORY_LIMIT`], over every database and connection together,
//! the page caches recycle their least recently used pages instead of
//! growing.
//!
//! Each connection may cache 2 MiB of pages (SQLite's default
//! `cache_size`), and a node opens several per file: the writer, a reader
//! per thread reading at once, the checkpoint thread's. The caches share
//! one budget, the sum of theirs, so the caches of the growing files (the
//! order shards, catalog's reservations) fill the shares of the small ones
//! too. Under a long order load SQLite's memory rose for half an hour
//! towards that sum, 17 connections × 2 MiB (BENCHMARKS.md, issue 12). One
//! limit for the process bounds it, however many connections there are.

use std::sync::Once;

/// SQLite's memory past which its page caches stop growing: a soft
/// limit (statements and connections still get what they need).
pub const MEMORY_LIMIT: i64 = 16 << 20;

/// Sets [`MEMORY_LIMIT`] for the process; the first call does, later ones
/// find it set.
pub fn limit() {
    static SET: Once = Once::new();
    SET.call_once(|| {
        // SAFETY: takes a number and sets a limit SQLite keeps under its
        // own mutex; callable from any thread at any time.
        unsafe { rusqlite::ffi::sqlite3_soft_heap_limit64(MEMORY_LIMIT) };
    });
}

/// Bytes SQLite holds now over every database of this process: page
/// caches, prepared statements, connections (`sqlite3_memory_used`).
pub fn used() -> i64 {
    // SAFETY: takes no arguments and reads a counter SQLite keeps under
    // its own mutex; callable from any thread at any time.
    unsafe { rusqlite::ffi::sqlite3_memory_used() }
}

#[cfg(test)]
mod tests {
    use super::super::testdb::fresh_database;
    use super::super::{Dialect, SqlBackend, SqlConfig, SqliteBackend, Statement, Value};
    use super::*;

    /// What SQLite may hold past the limit here: statements, schemas, and
    /// other tests of this process running at the same time.
    const SLACK: i64 = 6 << 20;

    /// Twelve files of 3 MiB, each written and then read whole: without
    /// the limit their writers' and readers' caches would hold 2 MiB each,
    /// 48 MiB in all.
    #[tokio::test]
    async fn the_page_caches_of_many_files_stay_within_the_limit() {
        let mut files = Vec::new();
        for _ in 0..12 {
            let (url, guard) = fresh_database(Dialect::Sqlite).await.unwrap();
            let db = SqliteBackend::connect(&SqlConfig::new(&url)).unwrap();
            db.execute("CREATE TABLE notes (body TEXT NOT NULL)".into(), vec![])
                .await
                .unwrap();
            let note = Value::Text("z".repeat(1000));
            let inserts = (0..3000)
                .map(|_| Statement::any("INSERT INTO notes VALUES (?)", vec![note.clone()]))
                .collect();
            db.batch(inserts).await.unwrap();
            let found = db
                .query(
                    "SELECT count(*) FROM notes WHERE body LIKE '%z%'".into(),
                    vec![],
                )
                .await
                .unwrap();
            assert_eq!(found.rows, [[Value::Integer(3000)]]);
            files.push((db, guard));
        }
        let used = used();
        assert!(
            used <= MEMORY_LIMIT + SLACK,
            "SQLite holds {} MiB with twelve files open, over the {} MiB limit",
            used >> 20,
            MEMORY_LIMIT >> 20
        );
    }
}

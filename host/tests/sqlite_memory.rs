//! SQLite's one memory limit for the process
//! (`sluice::capabilities::sql::sqlite_memory`). A test binary of its own:
//! SQLite's memory count is the whole process's, and here no other test's
//! databases add to it.

use sluice::capabilities::sql::sqlite_memory::{MEMORY_LIMIT, used};
use sluice::capabilities::sql::testdb::fresh_database;
use sluice::capabilities::sql::{Dialect, SqlBackend, SqlConfig, SqliteBackend, Statement, Value};

/// How far past the soft limit SQLite may go: what it cannot recycle
/// (connections, their lookaside, schemas, statements, pages in use).
const SLACK: i64 = 6 << 20;

/// Twelve files of 3 MiB, each written and then read whole: without the
/// limit their writers' and readers' caches would hold 2 MiB each, 48 MiB
/// in all.
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

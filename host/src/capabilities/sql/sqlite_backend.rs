//! [`SqliteBackend`]: the [`SqlBackend`] over SQLite, each call run whole
//! on the thread that makes it.
//!
//! A statement on a small SQLite database takes microseconds; a trip to
//! another thread and back costs more than that. sqlx's SQLite driver makes
//! that trip for every statement (BEGIN, each statement, COMMIT), and under
//! the order load its worker threads and their wake-ups were a third of the
//! process's CPU, SQLite itself under 2 % (BENCHMARKS.md, issue 12). Here a
//! call runs in one piece where it is made, through the runner the test
//! host uses too ([`sluice_kit::sqlite`]):
//! - a read-only query on an idle reader connection (WAL: readers never
//!   wait for the writer);
//! - anything that may write (`execute`, `batch`, a writing query) on the
//!   one writer connection, once it is this caller's turn. Writers wait
//!   for it without blocking their thread, in arrival order; the turn is
//!   held only while the call runs, never across an await.
//!
//! Statements are prepared once per connection and kept (the statement
//! cache). A file database's WAL is checkpointed by a thread of its own
//! ([`Checkpoints`]), not inside a request's commit. Another process
//! writing the same file is waited for up to the busy timeout, on the
//! caller's thread; the platform's own writers never contend that way.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::future::BoxFuture;
use rusqlite::{Connection, OpenFlags};
use sluice_kit::sqlite;

use super::sqlite_checkpoints::{Checkpoints, Writer};
use super::sqlite_memory;
use super::{Dialect, Rows, SqlBackend, SqlConfig, SqlError, Statement, Value};

/// Statements kept prepared per connection: more than any service sends.
const STATEMENT_CACHE: usize = 128;

/// One SQLite database: a file, or memory.
pub struct SqliteBackend {
    file: Option<File>,
    writer: Arc<Writer>,
    /// Idle reader connections (a file only); more are opened on demand,
    /// at most one per thread reading at that moment.
    readers: Mutex<Vec<Connection>>,
    /// How many idle readers are kept.
    keep_readers: usize,
    /// The checkpoint thread of a file the writer may write.
    checkpoints: Option<Checkpoints>,
}

/// Where a file database is and how its connections are opened.
struct File {
    path: String,
    flags: OpenFlags,
    busy_timeout: Duration,
}

impl SqliteBackend {
    /// Opens `config.url`: `sqlite://PATH` or `sqlite:PATH`, with an
    /// optional `?mode=rwc|rw|ro|memory` (`rwc`, the default, creates the
    /// file if missing); `sqlite::memory:` is a database in memory. A file
    /// is put in WAL mode. The first connect sets the process's limit on
    /// SQLite's memory ([`sqlite_memory`]).
    pub fn connect(config: &SqlConfig) -> Result<Self, SqlError> {
        sqlite_memory::limit();
        let (path, mode) = parse_url(&config.url)?;
        let busy_timeout = Duration::from_millis(config.acquire_timeout_ms);
        let keep_readers = config.max_connections.max(1) as usize;
        if path == ":memory:" || mode == "memory" {
            let writer = Connection::open_in_memory().map_err(sqlite::classify)?;
            prepare(&writer, busy_timeout)?;
            return Ok(Self::new(None, writer, keep_readers));
        }
        let flags = OpenFlags::SQLITE_OPEN_NO_MUTEX
            | match mode {
                "ro" => OpenFlags::SQLITE_OPEN_READ_ONLY,
                "rw" => OpenFlags::SQLITE_OPEN_READ_WRITE,
                _ => OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
            };
        let file = File {
            path: path.to_string(),
            flags,
            busy_timeout,
        };
        let writer = file.open()?;
        if file.writable() {
            writer
                .pragma_update(None, "journal_mode", "WAL")
                .map_err(sqlite::classify)?;
        }
        Ok(Self::new(Some(file), writer, keep_readers))
    }

    /// The backend of `writer`, with a checkpoint thread if it writes a
    /// file.
    fn new(file: Option<File>, writer: Connection, keep_readers: usize) -> Self {
        let writer = Arc::new(tokio::sync::Mutex::new(writer));
        let checkpoints = file
            .as_ref()
            .filter(|file| file.writable())
            .and_then(|file| file.checkpoints(&writer));
        Self {
            file,
            writer,
            readers: Mutex::new(Vec::new()),
            keep_readers,
            checkpoints,
        }
    }

    /// Runs `work` on the writer once it is this caller's turn, then tells
    /// the checkpoint thread the writer may have committed.
    async fn write<T>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, SqlError>,
    ) -> Result<T, SqlError> {
        let done = work(&mut *self.writer.lock().await);
        if let Some(checkpoints) = &self.checkpoints {
            checkpoints.committed();
        }
        done
    }

    /// Runs `sql` on an idle reader if it only reads; `None` if it may
    /// write (or the database is in memory, with its one connection).
    fn try_read(&self, sql: &str, params: &[Value]) -> Option<Result<Rows, SqlError>> {
        let file = self.file.as_ref()?;
        let idle = self.idle_readers().pop();
        let reader = match idle {
            Some(reader) => reader,
            None => match file.open() {
                Ok(reader) => reader,
                Err(error) => return Some(Err(error)),
            },
        };
        let read = (!sqlite::writes(&reader, sql))
            .then(|| sqlite::run(&reader, sql, params).map(Rows::from));
        let mut idle = self.idle_readers();
        if idle.len() < self.keep_readers {
            idle.push(reader);
        }
        read
    }

    fn idle_readers(&self) -> std::sync::MutexGuard<'_, Vec<Connection>> {
        self.readers.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl File {
    fn open(&self) -> Result<Connection, SqlError> {
        let conn = Connection::open_with_flags(&self.path, self.flags).map_err(|e| {
            SqlError::Unavailable(format!("cannot open SQLite database `{}`: {e}", self.path))
        })?;
        prepare(&conn, self.busy_timeout)?;
        Ok(conn)
    }

    /// Whether this file is opened for writing (not `mode=ro`).
    fn writable(&self) -> bool {
        !self.flags.contains(OpenFlags::SQLITE_OPEN_READ_ONLY)
    }

    /// The checkpoint thread of `writer`'s file, on a connection of its
    /// own; none (SQLite checkpoints inside commits, as by default) if
    /// that cannot start.
    fn checkpoints(&self, writer: &Arc<Writer>) -> Option<Checkpoints> {
        let started = self.open().map_err(|e| e.to_string()).and_then(|conn| {
            Checkpoints::start(writer, conn, &self.path).map_err(|e| e.to_string())
        });
        started
            .inspect_err(|error| {
                tracing::warn!(path = %self.path, %error, "SQLite checkpoints stay inside commits")
            })
            .ok()
    }
}

/// What every connection is set to: foreign keys enforced, a commit synced
/// at checkpoints only (WAL's `NORMAL`), a busy timeout, a statement cache.
fn prepare(conn: &Connection, busy_timeout: Duration) -> Result<(), SqlError> {
    conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")
        .map_err(sqlite::classify)?;
    conn.busy_timeout(busy_timeout).map_err(sqlite::classify)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(())
}

/// `sqlite://PATH?mode=M` → (`PATH`, `M`); the mode is empty if not given.
fn parse_url(url: &str) -> Result<(&str, &str), SqlError> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .ok_or_else(|| SqlError::Other(format!("`{url}` is not a sqlite: URL")))?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let mut mode = "";
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("mode", m @ ("rwc" | "rw" | "ro" | "memory"))) => mode = m,
            _ => {
                return Err(SqlError::Other(format!(
                    "unsupported SQLite URL option `{pair}` in `{url}`: \
                     the one option is mode=rwc|rw|ro|memory"
                )));
            }
        }
    }
    if path.is_empty() {
        return Err(SqlError::Other(format!("`{url}` names no SQLite file")));
    }
    Ok((path, mode))
}

impl SqlBackend for SqliteBackend {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn query(&self, sql: String, params: Vec<Value>) -> BoxFuture<'_, Result<Rows, SqlError>> {
        Box::pin(async move {
            if let Some(read) = self.try_read(&sql, &params) {
                return read;
            }
            self.write(|writer| sqlite::run(writer, &sql, &params).map(Rows::from))
                .await
        })
    }

    fn execute(&self, sql: String, params: Vec<Value>) -> BoxFuture<'_, Result<u64, SqlError>> {
        Box::pin(async move {
            self.write(|writer| sqlite::run(writer, &sql, &params).map(|outcome| outcome.changed))
                .await
        })
    }

    fn batch(&self, statements: Vec<Statement>) -> BoxFuture<'_, Result<Vec<u64>, SqlError>> {
        Box::pin(async move {
            self.write(|writer| {
                sqlite::transaction(writer, &statements).map_err(|(_, error)| error)
            })
            .await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testdb::fresh_database;
    use super::*;
    use futures::FutureExt;

    #[test]
    fn urls_name_a_file_and_a_mode() {
        assert_eq!(parse_url("sqlite://data/a.db").unwrap(), ("data/a.db", ""));
        assert_eq!(
            parse_url("sqlite:///tmp/x/a.db?mode=rwc").unwrap(),
            ("/tmp/x/a.db", "rwc")
        );
        assert_eq!(parse_url("sqlite::memory:").unwrap(), (":memory:", ""));
        assert!(parse_url("sqlite://a.db?cache=shared").is_err());
        assert!(parse_url("sqlite://").is_err());
    }

    fn text(s: &str) -> Value {
        Value::Text(s.into())
    }

    /// The first column of every row `sql` returns.
    async fn column(db: &SqliteBackend, sql: &str) -> Vec<Value> {
        let rows = db.query(sql.into(), vec![]).await.unwrap();
        rows.rows.into_iter().map(|mut row| row.remove(0)).collect()
    }

    #[tokio::test]
    async fn a_writing_query_takes_the_writers_turn_and_readers_see_each_commit() {
        let (url, _guard) = fresh_database(Dialect::Sqlite).await.unwrap();
        let db = SqliteBackend::connect(&SqlConfig::new(&url)).unwrap();
        db.execute(
            "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)".into(),
            vec![],
        )
        .await
        .unwrap();
        // While another writer has its turn, a query that writes waits for
        // it, and a read does not.
        let turn = db.writer.lock().await;
        let mut insert = db.query(
            "INSERT INTO notes (body) VALUES (?) RETURNING id, body".into(),
            vec![text("first")],
        );
        assert!((&mut insert).now_or_never().is_none(), "the write waits");
        assert_eq!(
            column(&db, "SELECT count(*) FROM notes").await,
            [Value::Integer(0)]
        );
        drop(turn);
        let inserted = insert.await.unwrap();
        assert_eq!(inserted.columns, ["id", "body"]);
        assert_eq!(inserted.rows, [[Value::Integer(1), text("first")]]);
        // Readers (a connection of their own) see every commit at once.
        assert_eq!(column(&db, "SELECT body FROM notes").await, [text("first")]);
        db.batch(vec![
            Statement::any("INSERT INTO notes (body) VALUES (?)", vec![text("second")]),
            Statement::any("DELETE FROM notes WHERE body = ?", vec![text("first")]),
        ])
        .await
        .unwrap();
        assert_eq!(
            column(&db, "SELECT body FROM notes").await,
            [text("second")]
        );
        assert!(
            !db.idle_readers().is_empty(),
            "the reads ran on a reader, kept for the next"
        );
    }

    #[tokio::test]
    async fn a_files_wal_is_copied_back_by_the_checkpoint_thread_not_by_commits() {
        let (url, _guard) = fresh_database(Dialect::Sqlite).await.unwrap();
        let db = SqliteBackend::connect(&SqlConfig::new(&url)).unwrap();
        let backstop = db
            .writer
            .lock()
            .await
            .pragma_query_value(None, "wal_autocheckpoint", |r| r.get::<_, u32>(0));
        assert_eq!(
            backstop.unwrap(),
            super::super::sqlite_checkpoints::BACKSTOP_PAGES
        );
        let (path, _) = parse_url(&url).unwrap();
        let file_size = || std::fs::metadata(path).unwrap().len();
        db.execute("CREATE TABLE blobs (body BLOB NOT NULL)".into(), vec![])
            .await
            .unwrap();
        let before = file_size();
        // 100 pages in the WAL: far below the writer's own automatic
        // checkpoint, so only the thread copies them into the file.
        db.batch(vec![Statement::any(
            "INSERT INTO blobs VALUES (?)",
            vec![Value::Blob(vec![7; 400 * 1024])],
        )])
        .await
        .unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while file_size() < before + 400 * 1024 {
            assert!(
                std::time::Instant::now() < deadline,
                "the file is still {} bytes: no checkpoint copied the WAL into it",
                file_size()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(
            column(&db, "SELECT length(body) FROM blobs").await,
            [Value::Integer(400 * 1024)]
        );
    }

    #[tokio::test]
    async fn a_writer_that_never_pauses_still_gets_its_wal_started_over() {
        let (url, _guard) = fresh_database(Dialect::Sqlite).await.unwrap();
        let db = SqliteBackend::connect(&SqlConfig::new(&url)).unwrap();
        // No backstop: only the checkpoint thread can start the WAL over.
        let writer = db.writer.lock().await;
        writer.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
        drop(writer);
        db.execute("CREATE TABLE notes (body TEXT NOT NULL)".into(), vec![])
            .await
            .unwrap();
        // Two seconds of back-to-back commits, each adding at least one
        // frame to the WAL: the WAL's frames are never all in the file
        // while the writer runs, unless the checkpoint takes its turn.
        let (started, mut commits) = (std::time::Instant::now(), 0);
        while started.elapsed() < Duration::from_secs(2) {
            db.batch(vec![
                Statement::any("DELETE FROM notes", vec![]),
                Statement::any("INSERT INTO notes VALUES (?)", vec![text("a note")]),
            ])
            .await
            .unwrap();
            commits += 1;
        }
        let writer = db.writer.lock().await;
        let frames: i64 = writer
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| row.get(1))
            .unwrap();
        assert!(
            frames < commits / 2,
            "the WAL holds {frames} frames after {commits} commits: it never started over"
        );
    }

    #[tokio::test]
    async fn a_database_in_memory_is_one_connection() {
        let db = SqliteBackend::connect(&SqlConfig::new("sqlite::memory:")).unwrap();
        db.execute("CREATE TABLE t (n INTEGER)".into(), vec![])
            .await
            .unwrap();
        db.execute("INSERT INTO t VALUES (7)".into(), vec![])
            .await
            .unwrap();
        assert_eq!(column(&db, "SELECT n FROM t").await, [Value::Integer(7)]);
        assert!(db.idle_readers().is_empty());
    }

    #[tokio::test]
    async fn a_missing_folder_is_unavailable_and_named() {
        let error = SqliteBackend::connect(&SqlConfig::new("sqlite:///no/such/folder/a.db"))
            .err()
            .unwrap();
        assert!(
            matches!(&error, SqlError::Unavailable(m) if m.contains("/no/such/folder/a.db")),
            "{error:?}"
        );
    }
}

//! [`Db`]: one in-memory SQLite database set up by a service's own
//! migrations, answering [`Sql`] through the runner the host's SQLite
//! backend runs every call with ([`crate::sqlite`]), with
//! what a test needs around it: failures to inject, another instance's
//! write slipped in just before a batch, a record of the SQL sent, and
//! synchronous helpers to set up rows and read them back.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;

use rusqlite::Connection;

use super::START_MS;
use crate::ports::Sql;
use crate::sql::{Migration, Rows, SqlError, Statement, Value};
use crate::sqlite::{self, Outcome};

/// Something another instance does just before a batch.
type BeforeBatch = Box<dyn FnOnce(&Db)>;

/// An injected failure: `succeed` more calls run, then every call fails.
struct Fault {
    succeed: usize,
    error: SqlError,
}

/// The table the host records applied migrations in, made the same way.
const MIGRATIONS_TABLE: &str = "_sluice_migrations";

/// One database. Single-threaded, like a component: every call completes
/// without waiting, so `futures::executor::block_on` drives the futures.
pub struct Db {
    conn: RefCell<Connection>,
    fault: RefCell<Option<Fault>>,
    before_batch: RefCell<VecDeque<BeforeBatch>>,
    before_execute: RefCell<VecDeque<BeforeBatch>>,
    calls: Cell<usize>,
    statements: RefCell<Vec<String>>,
}

impl Db {
    /// A fresh database with `migrations` applied in order. Panics, naming
    /// the migration and the statement, if one fails: a broken migration
    /// fails the test.
    pub fn new(migrations: &[Migration]) -> Db {
        let conn = Connection::open_in_memory().expect("an in-memory SQLite database opens");
        // As the host's connect options. (Its WAL journal, `synchronous`
        // and busy timeout change nothing for one in-memory connection.)
        conn.execute_batch("PRAGMA foreign_keys = ON")
            .expect("foreign keys can be turned on");
        let db = Db {
            conn: RefCell::new(conn),
            fault: RefCell::default(),
            before_batch: RefCell::default(),
            before_execute: RefCell::default(),
            calls: Cell::new(0),
            statements: RefCell::default(),
        };
        db.migrate(migrations);
        db
    }

    /// Applies `migrations` as the host does on SQLite: versions strictly
    /// increasing, each recorded in [`MIGRATIONS_TABLE`] and run in one
    /// transaction with its record.
    fn migrate(&self, migrations: &[Migration]) {
        self.exec(
            &format!(
                "CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} \
                 (version BIGINT PRIMARY KEY, name TEXT, applied_at BIGINT)"
            ),
            &[],
        );
        let mut previous = 0;
        for m in migrations {
            assert!(
                m.version > previous,
                "migration versions must start at 1 or more and increase strictly; \
                 {} (`{}`) follows {previous}",
                m.version,
                m.name
            );
            previous = m.version;
            let record = Statement::expect(
                &format!(
                    "INSERT INTO {MIGRATIONS_TABLE} (version, name, applied_at) VALUES (?, ?, ?)"
                ),
                vec![
                    Value::Integer(m.version.into()),
                    Value::Text(m.name.clone()),
                    Value::Integer((START_MS / 1000) as i64),
                ],
                1,
            );
            let statements = m.statements.iter().map(|sql| Statement::any(sql, vec![]));
            let all: Vec<Statement> = std::iter::once(record).chain(statements).collect();
            if let Err((index, error)) = self.transaction(&all) {
                let at = all.get(index).map_or("COMMIT", |s| s.sql.as_str());
                panic!(
                    "migration {} (`{}`) failed at `{at}`: {error}",
                    m.version, m.name
                );
            }
        }
    }

    /// While `error` is set, every `query`, `execute` and `batch` fails
    /// with it and runs nothing. `None` also clears [`Db::fail_after`].
    pub fn fail_with(&self, error: Option<SqlError>) {
        *self.fault.borrow_mut() = error.map(|error| Fault { succeed: 0, error });
    }

    /// The next `calls` calls run, then every call fails with `error` (the
    /// database going away in the middle of a request).
    pub fn fail_after(&self, calls: usize, error: SqlError) {
        *self.fault.borrow_mut() = Some(Fault {
            succeed: calls,
            error,
        });
    }

    /// Runs `f` once, just before the next batch not yet given one starts:
    /// another instance writing between this request's reads and its
    /// transaction. `f` runs inside the batch's future: it may use the
    /// synchronous helpers ([`Db::exec`], ...), or drive a future with
    /// `now_or_never` (nothing here waits), but not `block_on`.
    pub fn before_next_batch(&self, f: impl FnOnce(&Db) + 'static) {
        self.before_batch.borrow_mut().push_back(Box::new(f));
    }

    /// Runs `f` once, just before the next `execute` starts (another
    /// instance's write between this request's read and its conditional
    /// update). Like [`Db::before_next_batch`], `f` uses the synchronous
    /// helpers.
    pub fn before_next_execute(&self, f: impl FnOnce(&Db) + 'static) {
        self.before_execute.borrow_mut().push_back(Box::new(f));
    }

    /// How many `query`, `execute` and `batch` calls were made (a batch is
    /// one), failed ones included.
    pub fn calls(&self) -> usize {
        self.calls.get()
    }

    /// The SQL of every statement sent through [`Sql`], in order (each of a
    /// batch), failed ones included.
    pub fn statements(&self) -> Vec<String> {
        self.statements.borrow().clone()
    }

    /// Runs `sql` now, past injected failures and unrecorded; the rows it
    /// changed. Panics if it fails.
    pub fn exec(&self, sql: &str, params: &[Value]) -> u64 {
        self.direct(sql, params).changed
    }

    /// The rows `sql` returns, read as [`Db::exec`] runs.
    pub fn rows(&self, sql: &str, params: &[Value]) -> Vec<Vec<Value>> {
        self.direct(sql, params).rows
    }

    /// The first column of the first row `sql` returns; `None` if there is
    /// no row or it is NULL. Panics if it is not an integer.
    pub fn int(&self, sql: &str, params: &[Value]) -> Option<i64> {
        self.first(sql, params).map(|value| match value {
            Value::Integer(n) => n,
            other => panic!("`{sql}` returned {other:?}, not an integer"),
        })
    }

    /// The first column of the first row `sql` returns; `None` if there is
    /// no row or it is NULL. Panics if it is not text.
    pub fn text(&self, sql: &str, params: &[Value]) -> Option<String> {
        self.first(sql, params).map(|value| match value {
            Value::Text(s) => s,
            other => panic!("`{sql}` returned {other:?}, not text"),
        })
    }

    fn first(&self, sql: &str, params: &[Value]) -> Option<Value> {
        let row = self.rows(sql, params).into_iter().next()?;
        row.into_iter().next().filter(|v| !matches!(v, Value::Null))
    }

    fn direct(&self, sql: &str, params: &[Value]) -> Outcome {
        sqlite::run(&self.conn.borrow(), sql, params)
            .unwrap_or_else(|error| panic!("`{sql}` failed: {error}"))
    }

    /// Counts a call and records its SQL, then applies any injected fault.
    fn call<'a>(&self, sql: impl IntoIterator<Item = &'a str>) -> Result<(), SqlError> {
        self.calls.set(self.calls.get() + 1);
        self.statements
            .borrow_mut()
            .extend(sql.into_iter().map(String::from));
        match self.fault.borrow_mut().as_mut() {
            None => Ok(()),
            Some(fault) if fault.succeed > 0 => {
                fault.succeed -= 1;
                Ok(())
            }
            Some(fault) => Err(fault.error.clone()),
        }
    }

    /// Runs `statements` in one transaction, as the host's batch
    /// ([`sqlite::transaction`]).
    fn transaction(&self, statements: &[Statement]) -> Result<Vec<u64>, (usize, SqlError)> {
        sqlite::transaction(&mut self.conn.borrow_mut(), statements)
    }
}

impl Sql for Db {
    async fn query(&self, sql: &str, params: Vec<Value>) -> Result<Rows, SqlError> {
        self.call([sql])?;
        Ok(sqlite::run(&self.conn.borrow(), sql, &params)?.into())
    }

    /// Runs the write of [`Db::before_next_execute`] first, if one waits.
    async fn execute(&self, sql: &str, params: Vec<Value>) -> Result<u64, SqlError> {
        let before = self.before_execute.borrow_mut().pop_front();
        if let Some(f) = before {
            f(self);
        }
        self.call([sql])?;
        Ok(sqlite::run(&self.conn.borrow(), sql, &params)?.changed)
    }

    /// Runs the write of [`Db::before_next_batch`] first, if one waits.
    async fn batch(&self, statements: Vec<Statement>) -> Result<Vec<u64>, SqlError> {
        let before = self.before_batch.borrow_mut().pop_front();
        if let Some(f) = before {
            f(self);
        }
        self.call(statements.iter().map(|s| s.sql.as_str()))?;
        self.transaction(&statements).map_err(|(_, error)| error)
    }
}

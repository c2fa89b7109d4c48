//! [`TestHost`]: the fakes of the shared ports around one [`Db`], for a
//! service whose tests need nothing else, or as the field a service's own
//! test host hands those ports to ([`crate::delegate_ports`]). Time stands
//! still until a test moves it; everything a service logs, sleeps or
//! caches is kept for the test to check.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use super::cache::CacheState;
use super::{Db, LogRecord, START_MS};
use crate::ports::{Clock, Level, Log, Pause, Rows, Settings, Sql, Statement, Tokens, Value};
use crate::sql::{Migration, SqlError};
use crate::token::{Claims, TokenError, fake_claims};

/// How long a fake token is valid after the fake now, in seconds: what
/// the services' fakes said before (`T0 / 1000 + 900`).
const TOKEN_LIFETIME_S: u64 = 900;

pub struct TestHost {
    /// The service's database; public so tests set up and check rows
    /// (`host.db.exec(...)`) and inject failures.
    pub db: Db,
    now: Cell<u64>,
    logs: RefCell<Vec<LogRecord>>,
    settings: RefCell<HashMap<String, String>>,
    slept: RefCell<Vec<u64>>,
    pub(super) cache: CacheState,
}

impl TestHost {
    /// A host whose database has `migrations` applied, at [`START_MS`],
    /// with no settings and an empty cache.
    pub fn new(migrations: &[Migration]) -> TestHost {
        TestHost {
            db: Db::new(migrations),
            now: Cell::new(START_MS),
            logs: RefCell::default(),
            settings: RefCell::default(),
            slept: RefCell::default(),
            cache: CacheState::default(),
        }
    }

    /// Moves the clock forward by `ms`.
    pub fn advance(&self, ms: u64) {
        self.now.set(self.now.get() + ms);
    }

    /// Sets the clock to `ms` since the Unix epoch.
    pub fn set_now(&self, ms: u64) {
        self.now.set(ms);
    }

    /// Every record logged so far, in order.
    pub fn logs(&self) -> Vec<LogRecord> {
        self.logs.borrow().clone()
    }

    /// Whether a record at `level` has `needle` in its message or in one of
    /// its field values.
    pub fn logged(&self, level: Level, needle: &str) -> bool {
        self.logs.borrow().iter().any(|(l, message, fields)| {
            *l == level
                && (message.contains(needle) || fields.iter().any(|(_, v)| v.contains(needle)))
        })
    }

    /// Gives setting `key` a value.
    pub fn set(&self, key: &str, value: &str) {
        self.settings
            .borrow_mut()
            .insert(key.to_string(), value.to_string());
    }

    /// Removes setting `key`.
    pub fn unset(&self, key: &str) {
        self.settings.borrow_mut().remove(key);
    }

    /// Every pause taken so far, in milliseconds, in order.
    pub fn slept(&self) -> Vec<u64> {
        self.slept.borrow().clone()
    }
}

impl Sql for TestHost {
    async fn query(&self, sql: &str, params: Vec<Value>) -> Result<Rows, SqlError> {
        self.db.query(sql, params).await
    }

    async fn execute(&self, sql: &str, params: Vec<Value>) -> Result<u64, SqlError> {
        self.db.execute(sql, params).await
    }

    async fn batch(&self, statements: Vec<Statement>) -> Result<Vec<u64>, SqlError> {
        self.db.batch(statements).await
    }
}

impl Clock for TestHost {
    fn now_ms(&self) -> u64 {
        self.now.get()
    }
}

impl Log for TestHost {
    fn log(&self, level: Level, message: &str, fields: &[(&str, &str)]) {
        let fields = fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.logs
            .borrow_mut()
            .push((level, message.to_string(), fields));
    }
}

impl Tokens for TestHost {
    /// The fake tokens of [`fake_claims`], valid for 15 minutes from the
    /// fake now.
    fn verify_token(&self, token: &str) -> Result<Claims, TokenError> {
        fake_claims(token, self.now_ms() / 1000 + TOKEN_LIFETIME_S)
    }
}

impl Settings for TestHost {
    fn setting(&self, key: &str) -> Option<String> {
        self.settings.borrow().get(key).cloned()
    }
}

impl Pause for TestHost {
    /// Returns at once, the clock moved on by `ms`.
    async fn sleep_ms(&self, ms: u64) {
        self.slept.borrow_mut().push(ms);
        self.advance(ms);
    }
}

//! An in-memory fake of the host for native tests: tiny `products`,
//! `reservations` and `reservation_lines` tables that understand exactly the
//! statements of `store` and `reservations` (batches included: all or none,
//! with `expect_rows`), a map for the cache that can be switched off, fake
//! tokens (`tok|subject|role|tenant`), a clock that stands still until a
//! test moves it, settings, a captured log, and writes of "another
//! instance" slipped in just before a batch or a cache write (to play out
//! races).

use crate::ports::*;
use crate::reservations as r;
use crate::store::{self, Product};
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap, VecDeque};

/// One captured log record: level, message, fields.
pub type LogRecord = (Level, String, Vec<(String, String)>);

/// What the fake clock says until a test advances it.
pub const START_MS: u64 = 1_700_000_000_000;

/// A reservation row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReservationRow {
    pub state: String,
    pub created_at: i64,
    pub released_at: Option<i64>,
    pub expires_at: Option<i64>,
}

/// Something another instance does between this call's reads and its next
/// batch.
pub type Interleaved = Box<dyn FnOnce(&FakeHost)>;

/// The fake database's tables.
#[derive(Debug, Clone, Default)]
pub struct Tables {
    pub products: BTreeMap<String, Product>,
    pub reservations: BTreeMap<String, ReservationRow>,
    /// (reservation id, sku) -> qty.
    pub lines: BTreeMap<(String, String), i64>,
}

#[derive(Default)]
pub struct FakeHost {
    pub db: RefCell<Tables>,
    /// When set, every SQL call fails with this error.
    pub sql_failure: RefCell<Option<SqlError>>,
    /// SQL statements run, in order (batches statement by statement).
    pub statements: RefCell<Vec<String>>,
    pub cache: RefCell<HashMap<String, Vec<u8>>>,
    /// TTL of each cache entry as last set.
    pub ttls: RefCell<HashMap<String, u64>>,
    /// When true, every cache operation is `Unavailable`.
    pub cache_down: Cell<bool>,
    /// Cache operations attempted, e.g. `get product:A@0`.
    pub cache_ops: RefCell<Vec<String>>,
    pub settings: RefCell<HashMap<String, String>>,
    pub logs: RefCell<Vec<LogRecord>>,
    /// Milliseconds the clock has moved past [`START_MS`].
    pub elapsed_ms: Cell<u64>,
    /// Run one each, in order, just before the next batches.
    pub before_batch: RefCell<VecDeque<Interleaved>>,
    /// Run one each, in order, just before the next cache writes.
    pub before_cache_set: RefCell<VecDeque<Interleaved>>,
}

/// A product for tests.
pub fn product(sku: &str, stock: i64) -> Product {
    Product {
        sku: sku.to_string(),
        name: format!("Product {sku}"),
        description: format!("The {sku} product"),
        base_price: 1000,
        currency: "USD".to_string(),
        stock,
    }
}

impl FakeHost {
    pub fn new() -> FakeHost {
        FakeHost::default()
    }

    /// A host whose database holds `products`.
    pub fn with_products(products: impl IntoIterator<Item = Product>) -> FakeHost {
        let host = FakeHost::new();
        for p in products {
            host.db.borrow_mut().products.insert(p.sku.clone(), p);
        }
        host
    }

    pub fn fail_sql(&self, err: Option<SqlError>) {
        *self.sql_failure.borrow_mut() = err;
    }

    pub fn set(&self, key: &str, value: &str) {
        self.settings
            .borrow_mut()
            .insert(key.to_string(), value.to_string());
    }

    /// Units in stock of `sku` in the database.
    pub fn stock(&self, sku: &str) -> i64 {
        self.db.borrow().products[sku].stock
    }

    /// The state of reservation `id` in the database.
    pub fn state(&self, id: &str) -> Option<String> {
        self.db
            .borrow()
            .reservations
            .get(id)
            .map(|row| row.state.clone())
    }

    /// When the hold of reservation `id` ends, as stored.
    pub fn expires_at(&self, id: &str) -> Option<i64> {
        self.db.borrow().reservations.get(id)?.expires_at
    }

    /// Moves the clock forward.
    pub fn advance(&self, ms: u64) {
        self.elapsed_ms.set(self.elapsed_ms.get() + ms);
    }

    /// Runs `f` just before the next batch not yet given one, as a write of
    /// another instance that commits between this call's reads and its
    /// transaction.
    pub fn before_next_batch(&self, f: impl FnOnce(&FakeHost) + 'static) {
        self.before_batch.borrow_mut().push_back(Box::new(f));
    }

    /// Runs `f` just before the next cache write not yet given one, as
    /// something another instance does between this call's database read
    /// and its write-back. `f` runs outside any executor: it may drive the
    /// service's futures with `now_or_never` (the fake never waits).
    pub fn before_next_cache_set(&self, f: impl FnOnce(&FakeHost) + 'static) {
        self.before_cache_set.borrow_mut().push_back(Box::new(f));
    }

    /// Number of SQL statements run so far.
    pub fn sql_count(&self) -> usize {
        self.statements.borrow().len()
    }

    pub fn logged(&self, level: Level, needle: &str) -> bool {
        self.logs
            .borrow()
            .iter()
            .any(|(l, m, _)| *l == level && m.contains(needle))
    }

    fn check(&self, sql: &str) -> Result<(), SqlError> {
        self.statements.borrow_mut().push(sql.to_string());
        match self.sql_failure.borrow().clone() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn cache_op(&self, op: &str, key: &str) -> Result<(), CacheError> {
        self.cache_ops.borrow_mut().push(format!("{op} {key}"));
        if self.cache_down.get() {
            Err(CacheError::Unavailable("fake cache is down".into()))
        } else {
            Ok(())
        }
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::Text(s) => s.clone(),
        other => panic!("expected text, got {other:?}"),
    }
}

fn int(v: &Value) -> i64 {
    match v {
        Value::Integer(n) => *n,
        other => panic!("expected an integer, got {other:?}"),
    }
}

fn nullable_int(v: &Value) -> Option<i64> {
    match v {
        Value::Null => None,
        v => Some(int(v)),
    }
}

fn rows(columns: &[&str], rows: Vec<Vec<Value>>) -> Rows {
    Rows {
        columns: columns.iter().map(|c| c.to_string()).collect(),
        rows,
    }
}

fn product_row(p: &Product) -> Vec<Value> {
    vec![
        Value::Text(p.sku.clone()),
        Value::Text(p.name.clone()),
        Value::Text(p.description.clone()),
        Value::Integer(p.base_price),
        Value::Text(p.currency.clone()),
        Value::Integer(p.stock),
    ]
}

const PRODUCT_COLUMNS: [&str; 6] = [
    "sku",
    "name",
    "description",
    "base_price",
    "currency",
    "stock",
];

fn unique(table: &str) -> SqlError {
    SqlError::ConstraintViolation(format!("UNIQUE constraint failed: {table}"))
}

impl Tables {
    fn query(&self, sql: &str, params: &[Value]) -> Rows {
        match sql {
            store::SELECT_ONE => rows(
                &PRODUCT_COLUMNS,
                self.products
                    .get(&text(&params[0]))
                    .map(product_row)
                    .into_iter()
                    .collect(),
            ),
            store::SELECT_PAGE => rows(
                &PRODUCT_COLUMNS,
                self.products
                    .values()
                    .skip(int(&params[1]) as usize)
                    .take(int(&params[0]) as usize)
                    .map(product_row)
                    .collect(),
            ),
            store::COUNT => rows(
                &["total"],
                vec![vec![Value::Integer(self.products.len() as i64)]],
            ),
            r::SELECT_STATE => rows(
                &["state"],
                self.reservations
                    .get(&text(&params[0]))
                    .map(|row| vec![Value::Text(row.state.clone())])
                    .into_iter()
                    .collect(),
            ),
            r::SELECT_EXPIRED => {
                let (state, before, limit) = (text(&params[0]), int(&params[1]), int(&params[2]));
                let mut due: Vec<(i64, &String)> = self
                    .reservations
                    .iter()
                    .filter(|(_, row)| row.state == state)
                    .filter_map(|(id, row)| row.expires_at.map(|at| (at, id)))
                    .filter(|(at, _)| *at < before)
                    .collect();
                due.sort();
                rows(
                    &["id"],
                    due.into_iter()
                        .take(limit as usize)
                        .map(|(_, id)| vec![Value::Text(id.clone())])
                        .collect(),
                )
            }
            r::SELECT_LINES => {
                let id = text(&params[0]);
                rows(
                    &["sku", "qty"],
                    self.lines
                        .iter()
                        .filter(|((rid, _), _)| *rid == id)
                        .map(|((_, sku), qty)| vec![Value::Text(sku.clone()), Value::Integer(*qty)])
                        .collect(),
                )
            }
            r::SELECT_STOCK => rows(
                &["stock"],
                self.products
                    .get(&text(&params[0]))
                    .map(|p| vec![Value::Integer(p.stock)])
                    .into_iter()
                    .collect(),
            ),
            _ => panic!("unexpected query {sql}"),
        }
    }

    fn execute(&mut self, sql: &str, p: &[Value]) -> Result<u64, SqlError> {
        match sql {
            store::INSERT => {
                let sku = text(&p[0]);
                if self.products.contains_key(&sku) {
                    return Err(unique("products.sku"));
                }
                let product = Product {
                    sku: sku.clone(),
                    name: text(&p[1]),
                    description: text(&p[2]),
                    base_price: int(&p[3]),
                    currency: text(&p[4]),
                    stock: int(&p[5]),
                };
                self.products.insert(sku, product);
                Ok(1)
            }
            r::TAKE => {
                let (qty, sku, at_least) = (int(&p[0]), text(&p[2]), int(&p[3]));
                match self.products.get_mut(&sku) {
                    Some(product) if product.stock >= at_least => {
                        product.stock -= qty;
                        Ok(1)
                    }
                    _ => Ok(0),
                }
            }
            r::PUT_BACK => match self.products.get_mut(&text(&p[2])) {
                Some(product) => {
                    product.stock += int(&p[0]);
                    Ok(1)
                }
                None => Ok(0),
            },
            r::INSERT => {
                assert_eq!(p.len(), 5, "{sql}");
                let id = text(&p[0]);
                if self.reservations.contains_key(&id) {
                    return Err(unique("reservations.id"));
                }
                let row = ReservationRow {
                    state: text(&p[1]),
                    created_at: int(&p[2]),
                    released_at: nullable_int(&p[3]),
                    expires_at: nullable_int(&p[4]),
                };
                self.reservations.insert(id, row);
                Ok(1)
            }
            r::INSERT_LINE => {
                let key = (text(&p[0]), text(&p[1]));
                if self.lines.contains_key(&key) {
                    return Err(unique("reservation_lines"));
                }
                self.lines.insert(key, int(&p[2]));
                Ok(1)
            }
            r::MOVE_STATE => {
                let (to, at, id, from) = (text(&p[0]), int(&p[1]), text(&p[2]), text(&p[3]));
                match self.reservations.get_mut(&id) {
                    Some(row) if row.state == from => {
                        row.state = to;
                        row.released_at = Some(at);
                        Ok(1)
                    }
                    _ => Ok(0),
                }
            }
            r::CONFIRM => {
                let (to, id, from) = (text(&p[0]), text(&p[1]), text(&p[2]));
                match self.reservations.get_mut(&id) {
                    Some(row) if row.state == from => {
                        row.state = to;
                        Ok(1)
                    }
                    _ => Ok(0),
                }
            }
            _ => self.update_product(sql, p),
        }
    }

    /// `store::update_sql`: `UPDATE products SET a = ?, ... WHERE sku = ?`.
    fn update_product(&mut self, sql: &str, p: &[Value]) -> Result<u64, SqlError> {
        let set = sql
            .strip_prefix("UPDATE products SET ")
            .and_then(|s| s.strip_suffix(" WHERE sku = ?"))
            .unwrap_or_else(|| panic!("unexpected statement {sql}"));
        let columns: Vec<&str> = set
            .split(", ")
            .map(|c| c.strip_suffix(" = ?").expect("column = ?"))
            .collect();
        assert_eq!(columns.len() + 1, p.len(), "{sql}");
        let Some(product) = self.products.get_mut(&text(&p[columns.len()])) else {
            return Ok(0);
        };
        for (column, value) in columns.iter().zip(p) {
            match *column {
                "name" => product.name = text(value),
                "description" => product.description = text(value),
                "base_price" => product.base_price = int(value),
                "currency" => product.currency = text(value),
                "stock" => product.stock = int(value),
                "updated_at" => {
                    int(value);
                }
                other => panic!("unexpected column {other}"),
            }
        }
        Ok(1)
    }
}

impl Sql for FakeHost {
    async fn query(&self, sql: &str, params: Vec<Value>) -> Result<Rows, SqlError> {
        self.check(sql)?;
        Ok(self.db.borrow().query(sql, &params))
    }

    async fn execute(&self, sql: &str, params: Vec<Value>) -> Result<u64, SqlError> {
        self.check(sql)?;
        self.db.borrow_mut().execute(sql, &params)
    }

    async fn batch(&self, statements: Vec<Statement>) -> Result<Vec<u64>, SqlError> {
        let interleaved = self.before_batch.borrow_mut().pop_front();
        if let Some(f) = interleaved {
            f(self);
        }
        let mut work = self.db.borrow().clone();
        let mut counts = Vec::new();
        for (index, statement) in statements.iter().enumerate() {
            self.check(&statement.sql)?;
            let affected = work.execute(&statement.sql, &statement.params)?;
            if statement.expect_rows.is_some_and(|n| n != affected) {
                return Err(SqlError::ExpectationFailed(index as u32));
            }
            counts.push(affected);
        }
        *self.db.borrow_mut() = work;
        Ok(counts)
    }
}

impl Cache for FakeHost {
    async fn cache_get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        self.cache_op("get", key)?;
        Ok(self.cache.borrow().get(key).cloned())
    }

    async fn cache_set(&self, key: &str, value: Vec<u8>, ttl_ms: u64) -> Result<(), CacheError> {
        let interleaved = self.before_cache_set.borrow_mut().pop_front();
        if let Some(f) = interleaved {
            f(self);
        }
        self.cache_op("set", key)?;
        self.cache.borrow_mut().insert(key.to_string(), value);
        self.ttls.borrow_mut().insert(key.to_string(), ttl_ms);
        Ok(())
    }

    async fn cache_delete(&self, key: &str) -> Result<(), CacheError> {
        self.cache_op("delete", key)?;
        self.cache.borrow_mut().remove(key);
        Ok(())
    }

    async fn cache_increment(&self, key: &str, delta: i64, ttl_ms: u64) -> Result<i64, CacheError> {
        self.cache_op("increment", key)?;
        let mut cache = self.cache.borrow_mut();
        let current = match cache.get(key) {
            None => 0,
            Some(bytes) => std::str::from_utf8(bytes)
                .ok()
                .and_then(|s| s.parse::<i64>().ok())
                .ok_or(CacheError::NotANumber)?,
        };
        let next = current + delta;
        if !cache.contains_key(key) {
            self.ttls.borrow_mut().insert(key.to_string(), ttl_ms);
        }
        cache.insert(key.to_string(), next.to_string().into_bytes());
        Ok(next)
    }
}

impl Host for FakeHost {
    fn now_ms(&self) -> u64 {
        START_MS + self.elapsed_ms.get()
    }

    fn log(&self, level: Level, message: &str, fields: &[(&str, &str)]) {
        let fields = fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.logs
            .borrow_mut()
            .push((level, message.to_string(), fields));
    }

    fn verify_token(&self, token: &str) -> Result<Claims, TokenError> {
        if token == "expired" {
            return Err(TokenError::Expired);
        }
        let mut parts = token.split('|');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some("tok"), Some(subject), Some(role), Some(tenant)) => Ok(Claims {
                subject: subject.into(),
                role: role.into(),
                tenant: tenant.into(),
                attributes: Vec::new(),
                expires_at: 1_700_000_900,
            }),
            _ => Err(TokenError::Invalid),
        }
    }

    fn setting(&self, key: &str) -> Option<String> {
        self.settings.borrow().get(key).cloned()
    }
}

//! An in-memory fake of the host for native tests: tiny `promotions` and
//! `promotion_claims` tables that understand exactly the statements of
//! `store` (batches all-or-nothing, with `expect_rows`), catalog's product
//! lookup answered from a map of products (which can be made to fail), fake
//! tokens, a settable clock, a scripted tenant rule and a captured log.

use crate::ports::*;
use crate::rules::{RuleInput, RuleOutcome};
use crate::store;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

/// One captured log record: level, message, fields.
pub type LogRecord = (Level, String, Vec<(String, String)>);

/// A row of `promotions`.
#[derive(Debug, Clone, PartialEq)]
pub struct PromotionRow {
    pub id: String,
    pub sku: String,
    pub percent_off: Option<i64>,
    pub fixed_price: Option<i64>,
    pub starts_at: i64,
    pub ends_at: i64,
    pub max_units: Option<i64>,
    pub claimed_units: i64,
    pub created_at: i64,
}

/// A row of `promotion_claims`.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimRecord {
    pub claim_id: String,
    pub promotion_id: String,
    pub units: i64,
    pub claimed_at: i64,
    pub released_at: Option<i64>,
}

/// The fake database.
#[derive(Debug, Clone, Default)]
pub struct Tables {
    pub promotions: Vec<PromotionRow>,
    pub claims: Vec<ClaimRecord>,
}

/// A scripted tenant rule.
pub type Rule = Box<dyn Fn(&RuleInput) -> RuleOutcome>;

/// The time the fake clock starts at: 2023-11-14T22:13:20Z.
pub const T0: u64 = 1_700_000_000_000;

pub struct FakeHost {
    pub tables: RefCell<Tables>,
    /// Catalog's products by sku: what `lookup_product` answers.
    pub catalog: RefCell<BTreeMap<String, Product>>,
    /// When set, every product lookup fails with this error.
    pub lookup_failure: RefCell<Option<LookupError>>,
    /// The skus looked up, in order.
    pub lookups: RefCell<Vec<String>>,
    pub now: Cell<u64>,
    /// When set, every SQL call fails with this error.
    pub sql_failure: RefCell<Option<SqlError>>,
    /// The tenant rule; none means no tenant has one.
    pub rule: RefCell<Option<Rule>>,
    /// Every rule call's input (its `tenant` says whose rule ran, its
    /// `customer` the attributes it was given).
    pub rule_calls: RefCell<Vec<RuleInput>>,
    pub logs: RefCell<Vec<LogRecord>>,
    /// SQL statements run, in order.
    pub statements: RefCell<Vec<String>>,
}

impl FakeHost {
    /// A host whose catalog has `S-999` (999 USD), `S-1000` (1000 USD) and
    /// `S-5` (5 EUR), at [`T0`].
    pub fn new() -> FakeHost {
        let host = FakeHost {
            tables: RefCell::default(),
            catalog: RefCell::default(),
            lookup_failure: RefCell::default(),
            lookups: RefCell::default(),
            now: Cell::new(T0),
            sql_failure: RefCell::default(),
            rule: RefCell::default(),
            rule_calls: RefCell::default(),
            logs: RefCell::default(),
            statements: RefCell::default(),
        };
        for (sku, price, currency) in [
            ("S-999", 999, "USD"),
            ("S-1000", 1000, "USD"),
            ("S-5", 5, "EUR"),
        ] {
            host.put_product(sku, price, currency);
        }
        host
    }

    /// Adds `sku` to catalog, or reprices it: what an admin does through
    /// catalog's API.
    pub fn put_product(&self, sku: &str, base_price: i64, currency: &str) {
        self.catalog.borrow_mut().insert(
            sku.to_string(),
            Product {
                sku: sku.to_string(),
                name: format!("Product {sku}"),
                base_price,
                currency: currency.to_string(),
            },
        );
    }

    /// Makes every product lookup fail with `err` (or succeed again).
    pub fn fail_lookup(&self, err: Option<LookupError>) {
        *self.lookup_failure.borrow_mut() = err;
    }

    pub fn set_now(&self, ms: u64) {
        self.now.set(ms);
    }

    pub fn fail_sql(&self, err: SqlError) {
        *self.sql_failure.borrow_mut() = Some(err);
    }

    pub fn set_rule(&self, rule: impl Fn(&RuleInput) -> RuleOutcome + 'static) {
        *self.rule.borrow_mut() = Some(Box::new(rule));
    }

    pub fn logged(&self, level: Level, needle: &str) -> bool {
        self.logs
            .borrow()
            .iter()
            .any(|(l, m, _)| *l == level && m.contains(needle))
    }

    pub fn promotion(&self, id: &str) -> Option<PromotionRow> {
        self.tables
            .borrow()
            .promotions
            .iter()
            .find(|p| p.id == id)
            .cloned()
    }

    /// Adds a promotion row directly.
    pub fn add_promotion(&self, row: PromotionRow) {
        self.tables.borrow_mut().promotions.push(row);
    }

    fn failure(&self, sql: &str) -> Result<(), SqlError> {
        self.statements.borrow_mut().push(sql.to_string());
        match self.sql_failure.borrow().clone() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// A promotion row with the given id, sku, window and discount fields.
pub fn promotion_row(
    id: &str,
    sku: &str,
    percent_off: Option<i64>,
    fixed_price: Option<i64>,
    window: (u64, u64),
    max_units: Option<i64>,
) -> PromotionRow {
    PromotionRow {
        id: id.into(),
        sku: sku.into(),
        percent_off,
        fixed_price,
        starts_at: window.0 as i64,
        ends_at: window.1 as i64,
        max_units,
        claimed_units: 0,
        created_at: 0,
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

fn opt(v: &Value) -> Option<i64> {
    match v {
        Value::Null => None,
        other => Some(int(other)),
    }
}

fn nullable(v: Option<i64>) -> Value {
    v.map_or(Value::Null, Value::Integer)
}

fn columns(names: &str) -> Vec<String> {
    names.split(", ").map(str::to_string).collect()
}

fn promotion_rows(rows: impl Iterator<Item = PromotionRow>) -> Rows {
    Rows {
        columns: columns(
            "id, sku, percent_off, fixed_price, starts_at, ends_at, max_units, claimed_units",
        ),
        rows: rows
            .map(|p| {
                vec![
                    Value::Text(p.id),
                    Value::Text(p.sku),
                    nullable(p.percent_off),
                    nullable(p.fixed_price),
                    Value::Integer(p.starts_at),
                    Value::Integer(p.ends_at),
                    nullable(p.max_units),
                    Value::Integer(p.claimed_units),
                ]
            })
            .collect(),
    }
}

/// Runs one query against `t`.
fn query(t: &Tables, sql: &str, p: &[Value]) -> Rows {
    match sql {
        store::SELECT_PROMOTIONS => {
            let mut all = t.promotions.clone();
            all.sort_by(|a, b| (a.starts_at, &a.id).cmp(&(b.starts_at, &b.id)));
            promotion_rows(all.into_iter())
        }
        store::SELECT_ACTIVE => promotion_rows(
            t.promotions
                .iter()
                .filter(|r| {
                    r.sku == text(&p[0]) && r.starts_at <= int(&p[1]) && r.ends_at > int(&p[2])
                })
                .cloned(),
        ),
        store::SELECT_PROMOTION => {
            promotion_rows(t.promotions.iter().filter(|r| r.id == text(&p[0])).cloned())
        }
        store::SELECT_CLAIM => {
            let mut lines: Vec<&ClaimRecord> = t
                .claims
                .iter()
                .filter(|c| c.claim_id == text(&p[0]))
                .collect();
            lines.sort_by(|a, b| a.promotion_id.cmp(&b.promotion_id));
            Rows {
                columns: columns("promotion_id, units, released_at"),
                rows: lines
                    .into_iter()
                    .map(|c| {
                        vec![
                            Value::Text(c.promotion_id.clone()),
                            Value::Integer(c.units),
                            nullable(c.released_at),
                        ]
                    })
                    .collect(),
            }
        }
        other => panic!("unexpected query {other}"),
    }
}

/// Runs one statement against `t`; the number of rows it changed.
fn execute(t: &mut Tables, sql: &str, p: &[Value]) -> Result<u64, SqlError> {
    let changed = match sql {
        store::INSERT_PROMOTION => {
            if t.promotions.iter().any(|r| r.id == text(&p[0])) {
                return Err(SqlError::ConstraintViolation("promotions.id".into()));
            }
            t.promotions.push(PromotionRow {
                id: text(&p[0]),
                sku: text(&p[1]),
                percent_off: opt(&p[2]),
                fixed_price: opt(&p[3]),
                starts_at: int(&p[4]),
                ends_at: int(&p[5]),
                max_units: opt(&p[6]),
                claimed_units: 0,
                created_at: int(&p[7]),
            });
            1
        }
        store::DELETE_PROMOTION => {
            let before = t.promotions.len();
            t.promotions.retain(|r| r.id != text(&p[0]));
            (before - t.promotions.len()) as u64
        }
        store::INSERT_CLAIM => {
            let (claim_id, promotion_id) = (text(&p[0]), text(&p[1]));
            if t.claims
                .iter()
                .any(|c| c.claim_id == claim_id && c.promotion_id == promotion_id)
            {
                return Err(SqlError::ConstraintViolation(
                    "promotion_claims primary key".into(),
                ));
            }
            t.claims.push(ClaimRecord {
                claim_id,
                promotion_id,
                units: int(&p[2]),
                claimed_at: int(&p[3]),
                released_at: None,
            });
            1
        }
        store::TAKE_UNITS => {
            let (units, id, now) = (int(&p[0]), text(&p[1]), int(&p[2]));
            assert_eq!(int(&p[3]), now);
            assert_eq!(int(&p[4]), units);
            let mut n = 0;
            for r in t.promotions.iter_mut().filter(|r| {
                r.id == id
                    && r.starts_at <= now
                    && r.ends_at > now
                    && r.max_units.is_none_or(|max| r.claimed_units + units <= max)
            }) {
                r.claimed_units += units;
                n += 1;
            }
            n
        }
        store::RELEASE_CLAIM => {
            let (at, claim_id, promotion_id) = (int(&p[0]), text(&p[1]), text(&p[2]));
            let mut n = 0;
            for c in t.claims.iter_mut().filter(|c| {
                c.claim_id == claim_id && c.promotion_id == promotion_id && c.released_at.is_none()
            }) {
                c.released_at = Some(at);
                n += 1;
            }
            n
        }
        store::RETURN_UNITS => {
            let (units, id) = (int(&p[0]), text(&p[1]));
            let mut n = 0;
            for r in t.promotions.iter_mut().filter(|r| r.id == id) {
                r.claimed_units -= units;
                n += 1;
            }
            n
        }
        other => panic!("unexpected statement {other}"),
    };
    Ok(changed)
}

impl Sql for FakeHost {
    async fn query(&self, sql: &str, params: Vec<Value>) -> Result<Rows, SqlError> {
        self.failure(sql)?;
        Ok(query(&self.tables.borrow(), sql, &params))
    }

    async fn execute(&self, sql: &str, params: Vec<Value>) -> Result<u64, SqlError> {
        self.failure(sql)?;
        execute(&mut self.tables.borrow_mut(), sql, &params)
    }

    async fn batch(&self, statements: Vec<Statement>) -> Result<Vec<u64>, SqlError> {
        let mut work = self.tables.borrow().clone();
        let mut counts = Vec::new();
        for (i, s) in statements.iter().enumerate() {
            self.failure(&s.sql)?;
            let n = execute(&mut work, &s.sql, &s.params)?;
            if s.expect_rows.is_some_and(|e| e != n) {
                return Err(SqlError::ExpectationFailed(i as u32));
            }
            counts.push(n);
        }
        *self.tables.borrow_mut() = work;
        Ok(counts)
    }
}

impl Host for FakeHost {
    fn now_ms(&self) -> u64 {
        self.now.get()
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

    /// Tokens are `tok|subject|role|tenant`, optionally followed by
    /// `|key=value,key=value` customer attributes; `expired` is expired.
    fn verify_token(&self, token: &str) -> Result<Claims, TokenError> {
        sluice_kit::token::fake_claims(token, T0 / 1000 + 900)
    }

    async fn lookup_product(&self, sku: &str) -> Result<Option<Product>, LookupError> {
        self.lookups.borrow_mut().push(sku.to_string());
        if let Some(err) = self.lookup_failure.borrow().clone() {
            return Err(err);
        }
        Ok(self.catalog.borrow().get(sku).cloned())
    }

    async fn run_tenant_rule(&self, _tenant: &str, input: &RuleInput) -> RuleOutcome {
        self.rule_calls.borrow_mut().push(input.clone());
        match &*self.rule.borrow() {
            Some(rule) => rule(input),
            None => RuleOutcome::NoRule,
        }
    }
}

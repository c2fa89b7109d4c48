//! An in-memory fake of the host for native tests: shards with tiny
//! `orders` and `order_items` tables that understand exactly the statements
//! of `store` (batches all-or-nothing, with `expect_rows`), a catalog that
//! reserves and releases, a pricing service with capped promotions, fake
//! tokens, a clock, and scripted failures. Calls to stock and pricing take
//! simulated time and yield once, so overlapping calls can be observed.

use crate::ports::*;
use crate::store;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The time the fake clock starts at: 2023-11-14T22:13:20Z.
pub const T0: u64 = 1_700_000_000_000;

/// A row of `orders`.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderRow {
    pub id: String,
    pub customer: String,
    pub tenant: String,
    pub key: Option<String>,
    pub items_hash: String,
    pub status: String,
    pub currency: String,
    pub total: i64,
    pub created_at: i64,
}

/// A row of `order_items`.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemRow {
    pub order_id: String,
    pub line_no: i64,
    pub sku: String,
    pub qty: i64,
    pub unit_price: i64,
    pub total: i64,
}

/// One shard's tables.
#[derive(Debug, Clone, Default)]
pub struct Tables {
    pub orders: Vec<OrderRow>,
    pub items: Vec<ItemRow>,
}

/// A flash-sale promotion: `price` per unit of `sku`, `left` units (none:
/// uncapped).
#[derive(Debug, Clone)]
pub struct Promo {
    pub sku: String,
    pub price: i64,
    pub left: Option<u32>,
}

/// Called on every `sleep_ms` with the host and the number of sleeps so far.
pub type SleepHook = Box<dyn Fn(&FakeHost, u64)>;

pub struct FakeHost {
    pub shards: RefCell<Vec<Tables>>,
    pub now: Cell<u64>,
    /// Units in stock per sku.
    pub stock: RefCell<BTreeMap<String, u32>>,
    /// Reservations held, by id.
    pub reservations: RefCell<BTreeMap<String, Vec<Line>>>,
    /// Every reserve and release call, by id, in order.
    pub reserve_calls: RefCell<Vec<String>>,
    pub release_calls: RefCell<Vec<String>>,
    /// Ids released (never reservable again).
    pub released: RefCell<Vec<String>>,
    /// Base unit price and currency per sku.
    pub prices: RefCell<BTreeMap<String, (i64, String)>>,
    pub promotions: RefCell<BTreeMap<String, Promo>>,
    /// Units held per claim id.
    pub claims: RefCell<BTreeMap<String, Vec<ClaimLine>>>,
    pub claim_calls: RefCell<Vec<Vec<ClaimLine>>>,
    pub unclaim_calls: RefCell<Vec<String>>,
    pub quote_calls: RefCell<Vec<String>>,
    /// `start:X` / `end:X` of every stock, pricing and list call, in order.
    pub events: RefCell<Vec<String>>,
    /// Simulated durations in ms.
    pub reserve_ms: Cell<u64>,
    pub quote_ms: Cell<u64>,
    pub logs: RefCell<Vec<(Level, String)>>,
    /// Every SQL text run, with its shard.
    pub sql_log: RefCell<Vec<(u32, String)>>,
    /// Statements (by SQL text) that fail, with the error.
    pub sql_failures: RefCell<Vec<(&'static str, SqlError)>>,
    pub reserve_failure: RefCell<Option<StockError>>,
    /// How many release calls fail (`unavailable`) before they work.
    pub release_failures: Cell<u32>,
    pub quote_failure: RefCell<Option<(String, QuoteError)>>,
    pub claim_failure: RefCell<Option<ClaimError>>,
    /// Before each claim, someone else takes the next of these units of a
    /// promotion.
    pub steal_on_claim: RefCell<Vec<(String, u32)>>,
    pub sleeps: Cell<u64>,
    pub on_sleep: RefCell<Option<SleepHook>>,
}

impl FakeHost {
    /// `shards` empty shards; stock of 100 of `S-1` (999 USD), `S-2` (250
    /// USD) and `E-1` (500 EUR); at [`T0`].
    pub fn new(shards: u32) -> FakeHost {
        let host = FakeHost {
            shards: RefCell::new(vec![Tables::default(); shards as usize]),
            now: Cell::new(T0),
            stock: RefCell::default(),
            reservations: RefCell::default(),
            reserve_calls: RefCell::default(),
            release_calls: RefCell::default(),
            released: RefCell::default(),
            prices: RefCell::default(),
            promotions: RefCell::default(),
            claims: RefCell::default(),
            claim_calls: RefCell::default(),
            unclaim_calls: RefCell::default(),
            quote_calls: RefCell::default(),
            events: RefCell::default(),
            reserve_ms: Cell::new(0),
            quote_ms: Cell::new(0),
            logs: RefCell::default(),
            sql_log: RefCell::default(),
            sql_failures: RefCell::default(),
            reserve_failure: RefCell::default(),
            release_failures: Cell::new(0),
            quote_failure: RefCell::default(),
            claim_failure: RefCell::default(),
            steal_on_claim: RefCell::default(),
            sleeps: Cell::new(0),
            on_sleep: RefCell::default(),
        };
        for (sku, price, currency) in [
            ("S-1", 999, "USD"),
            ("S-2", 250, "USD"),
            ("E-1", 500, "EUR"),
        ] {
            host.add_product(sku, 100, price, currency);
        }
        host
    }

    pub fn add_product(&self, sku: &str, stock: u32, price: i64, currency: &str) {
        self.stock.borrow_mut().insert(sku.into(), stock);
        self.prices
            .borrow_mut()
            .insert(sku.into(), (price, currency.into()));
    }

    pub fn add_promotion(&self, id: &str, sku: &str, price: i64, left: Option<u32>) {
        let promo = Promo {
            sku: sku.into(),
            price,
            left,
        };
        self.promotions.borrow_mut().insert(id.into(), promo);
    }

    pub fn fail_sql(&self, sql: &'static str, err: SqlError) {
        self.sql_failures.borrow_mut().push((sql, err));
    }

    pub fn in_stock(&self, sku: &str) -> u32 {
        self.stock.borrow()[sku]
    }

    pub fn promotion_left(&self, id: &str) -> Option<u32> {
        self.promotions.borrow()[id].left
    }

    /// Every order row of every shard, with its shard.
    pub fn all_orders(&self) -> Vec<(u32, OrderRow)> {
        let shards = self.shards.borrow();
        (0u32..)
            .zip(shards.iter())
            .flat_map(|(s, t)| t.orders.iter().map(move |o| (s, o.clone())))
            .collect()
    }

    pub fn all_items(&self) -> usize {
        self.shards.borrow().iter().map(|t| t.items.len()).sum()
    }

    pub fn logged(&self, level: Level, needle: &str) -> bool {
        self.logs
            .borrow()
            .iter()
            .any(|(l, m)| *l == level && m.contains(needle))
    }

    /// Lets simulated time pass for a call named `what` that takes `ms`.
    async fn take_time(&self, what: &str, ms: u64) {
        let start = self.now.get();
        self.events.borrow_mut().push(format!("start:{what}"));
        YieldOnce(false).await;
        self.now.set(self.now.get().max(start + ms));
        self.events.borrow_mut().push(format!("end:{what}"));
    }

    fn sql_failure(&self, shard: u32, sql: &str) -> Result<(), SqlError> {
        self.sql_log.borrow_mut().push((shard, sql.to_string()));
        if shard as usize >= self.shards.borrow().len() {
            return Err(SqlError::InvalidStatement(format!("no shard {shard}")));
        }
        let failures = self.sql_failures.borrow();
        match failures.iter().find(|(s, _)| *s == sql) {
            Some((_, e)) => Err(e.clone()),
            None => Ok(()),
        }
    }
}

/// A future that is pending once (waking itself), then ready.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
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

/// The joined order rows of `orders` (in the given order), items by line.
fn joined(t: &Tables, orders: &[&OrderRow]) -> Rows {
    let mut rows = Vec::new();
    for o in orders {
        let mut items: Vec<&ItemRow> = t.items.iter().filter(|i| i.order_id == o.id).collect();
        items.sort_by_key(|i| i.line_no);
        for i in items {
            rows.push(vec![
                Value::Text(o.id.clone()),
                Value::Text(o.customer.clone()),
                Value::Text(o.currency.clone()),
                Value::Integer(o.total),
                Value::Integer(o.created_at),
                Value::Text(i.sku.clone()),
                Value::Integer(i.qty),
                Value::Integer(i.unit_price),
                Value::Integer(i.total),
            ]);
        }
    }
    Rows {
        columns: Vec::new(),
        rows,
    }
}

/// Newest confirmed orders first, `limit` of them, matching `keep`.
fn newest(t: &Tables, keep: impl Fn(&OrderRow) -> bool, limit: i64) -> Vec<&OrderRow> {
    let mut all: Vec<&OrderRow> = t
        .orders
        .iter()
        .filter(|o| o.status == store::CONFIRMED && keep(o))
        .collect();
    all.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
    all.truncate(limit as usize);
    all
}

fn query(t: &Tables, sql: &str, p: &[Value]) -> Rows {
    match sql {
        store::SELECT_BY_KEY => Rows {
            columns: Vec::new(),
            rows: t
                .orders
                .iter()
                .filter(|o| o.customer == text(&p[0]) && o.key.as_deref() == Some(&text(&p[1])))
                .map(|o| {
                    vec![
                        Value::Text(o.id.clone()),
                        Value::Text(o.status.clone()),
                        Value::Text(o.items_hash.clone()),
                        Value::Integer(o.created_at),
                    ]
                })
                .collect(),
        },
        store::SELECT_ORDER => {
            let found: Vec<&OrderRow> = t
                .orders
                .iter()
                .filter(|o| o.id == text(&p[0]) && o.status == store::CONFIRMED)
                .collect();
            joined(t, &found)
        }
        store::LIST_CUSTOMER => joined(t, &newest(t, |o| o.customer == text(&p[0]), int(&p[1]))),
        store::LIST_ALL => joined(t, &newest(t, |_| true, int(&p[0]))),
        other => panic!("unexpected query {other}"),
    }
}

fn execute(t: &mut Tables, sql: &str, p: &[Value]) -> Result<u64, SqlError> {
    let order_row =
        |status: &str, key: Option<String>, currency: String, total: i64, at: i64| OrderRow {
            id: text(&p[0]),
            customer: text(&p[1]),
            tenant: text(&p[2]),
            key,
            items_hash: String::new(),
            status: status.into(),
            currency,
            total,
            created_at: at,
        };
    let changed = match sql {
        store::INSERT_PENDING | store::INSERT_CONFIRMED => {
            let row = if sql == store::INSERT_PENDING {
                OrderRow {
                    items_hash: text(&p[4]),
                    ..order_row(
                        store::PENDING,
                        Some(text(&p[3])),
                        String::new(),
                        0,
                        int(&p[5]),
                    )
                }
            } else {
                OrderRow {
                    items_hash: text(&p[3]),
                    ..order_row(store::CONFIRMED, None, text(&p[4]), int(&p[5]), int(&p[6]))
                }
            };
            let clash = t.orders.iter().any(|o| {
                o.id == row.id
                    || (row.key.is_some() && o.customer == row.customer && o.key == row.key)
            });
            if clash {
                return Err(SqlError::ConstraintViolation("orders unique".into()));
            }
            t.orders.push(row);
            1
        }
        store::CONFIRM_PENDING => {
            let mut n = 0;
            for o in t
                .orders
                .iter_mut()
                .filter(|o| o.id == text(&p[3]) && o.status == store::PENDING)
            {
                o.status = store::CONFIRMED.into();
                (o.currency, o.total, o.created_at) = (text(&p[0]), int(&p[1]), int(&p[2]));
                n += 1;
            }
            n
        }
        store::INSERT_ITEM => {
            let item = ItemRow {
                order_id: text(&p[0]),
                line_no: int(&p[1]),
                sku: text(&p[2]),
                qty: int(&p[3]),
                unit_price: int(&p[4]),
                total: int(&p[5]),
            };
            if t.items
                .iter()
                .any(|i| i.order_id == item.order_id && i.sku == item.sku)
            {
                return Err(SqlError::ConstraintViolation(
                    "order_items primary key".into(),
                ));
            }
            t.items.push(item);
            1
        }
        store::DELETE_PENDING | store::DELETE_ORDER => {
            let before = t.orders.len();
            let pending_only = sql == store::DELETE_PENDING;
            t.orders.retain(|o| {
                !(o.id == text(&p[0]) && (!pending_only || o.status == store::PENDING))
            });
            (before - t.orders.len()) as u64
        }
        store::DELETE_ITEMS => {
            let before = t.items.len();
            t.items.retain(|i| i.order_id != text(&p[0]));
            (before - t.items.len()) as u64
        }
        other => panic!("unexpected statement {other}"),
    };
    Ok(changed)
}

impl Shards for FakeHost {
    fn shard_count(&self) -> u32 {
        self.shards.borrow().len() as u32
    }

    async fn query(&self, shard: u32, sql: &str, params: Vec<Value>) -> Result<Rows, SqlError> {
        self.sql_failure(shard, sql)?;
        let listing = sql == store::LIST_ALL;
        if listing {
            self.take_time(&format!("list:{shard}"), 0).await;
        }
        Ok(query(&self.shards.borrow()[shard as usize], sql, &params))
    }

    async fn execute(&self, shard: u32, sql: &str, params: Vec<Value>) -> Result<u64, SqlError> {
        self.sql_failure(shard, sql)?;
        execute(&mut self.shards.borrow_mut()[shard as usize], sql, &params)
    }

    async fn batch(&self, shard: u32, statements: Vec<Statement>) -> Result<Vec<u64>, SqlError> {
        let mut work = self
            .shards
            .borrow()
            .get(shard as usize)
            .cloned()
            .unwrap_or_default();
        let mut counts = Vec::new();
        for (i, s) in statements.iter().enumerate() {
            self.sql_failure(shard, &s.sql)?;
            let n = execute(&mut work, &s.sql, &s.params)?;
            if s.expect_rows.is_some_and(|e| e != n) {
                return Err(SqlError::ExpectationFailed(i as u32));
            }
            counts.push(n);
        }
        self.shards.borrow_mut()[shard as usize] = work;
        Ok(counts)
    }
}

impl Stock for FakeHost {
    /// As the catalog: all lines or none; the same id and lines again is a
    /// harmless retry; a released id is a conflict.
    async fn reserve(&self, id: &str, lines: &[Line]) -> Result<(), StockError> {
        self.reserve_calls.borrow_mut().push(id.into());
        self.take_time("reserve", self.reserve_ms.get()).await;
        if let Some(e) = self.reserve_failure.borrow().clone() {
            return Err(e);
        }
        if self.released.borrow().iter().any(|r| r == id) {
            return Err(StockError::Conflict(format!("{id} was released")));
        }
        if let Some(held) = self.reservations.borrow().get(id) {
            return if held == lines {
                Ok(())
            } else {
                Err(StockError::Conflict(format!("{id} holds other lines")))
            };
        }
        let mut stock = self.stock.borrow_mut();
        for line in lines {
            match stock.get(&line.sku) {
                None => return Err(StockError::UnknownSku(line.sku.clone())),
                Some(n) if *n < line.qty => return Err(StockError::Insufficient(line.sku.clone())),
                Some(_) => {}
            }
        }
        for line in lines {
            *stock.get_mut(&line.sku).unwrap() -= line.qty;
        }
        self.reservations
            .borrow_mut()
            .insert(id.into(), lines.to_vec());
        Ok(())
    }

    async fn release(&self, id: &str) -> Result<(), StockError> {
        self.release_calls.borrow_mut().push(id.into());
        if self.release_failures.get() > 0 {
            self.release_failures.set(self.release_failures.get() - 1);
            return Err(StockError::Unavailable("catalog down".into()));
        }
        if let Some(lines) = self.reservations.borrow_mut().remove(id) {
            let mut stock = self.stock.borrow_mut();
            for line in lines {
                *stock.get_mut(&line.sku).unwrap() += line.qty;
            }
        }
        self.released.borrow_mut().push(id.into());
        Ok(())
    }
}

impl Quotes for FakeHost {
    /// The base price, or a promotion's price for up to its units left.
    async fn quote(&self, sku: &str, qty: u32, tenant: &str) -> Result<Price, QuoteError> {
        self.quote_calls
            .borrow_mut()
            .push(format!("{sku}x{qty}@{tenant}"));
        self.take_time(&format!("quote:{sku}"), self.quote_ms.get())
            .await;
        if let Some((failing, e)) = self.quote_failure.borrow().clone()
            && failing == sku
        {
            return Err(e);
        }
        let Some((base, currency)) = self.prices.borrow().get(sku).cloned() else {
            return Err(QuoteError::UnknownSku(sku.into()));
        };
        let promotions = self.promotions.borrow();
        let promo = promotions
            .iter()
            .find(|(_, p)| p.sku == sku && p.left != Some(0));
        let (unit_price, promo_units, applied) = match promo {
            Some((id, p)) => {
                let units = p.left.map_or(qty, |left| left.min(qty));
                let adjustment = Adjustment {
                    kind: AdjustmentKind::Promotion,
                    id: Some(id.clone()),
                    units,
                    detail: "flash sale".into(),
                };
                (p.price, units, vec![adjustment])
            }
            None => (base, 0, Vec::new()),
        };
        let total = unit_price * i64::from(promo_units) + base * i64::from(qty - promo_units);
        Ok(Price {
            sku: sku.into(),
            qty,
            currency,
            unit_price,
            total,
            applied,
        })
    }

    async fn claim(&self, id: &str, lines: &[ClaimLine]) -> Result<(), ClaimError> {
        self.claim_calls.borrow_mut().push(lines.to_vec());
        if let Some(e) = self.claim_failure.borrow().clone() {
            return Err(e);
        }
        let mut promotions = self.promotions.borrow_mut();
        let steal = {
            let mut queue = self.steal_on_claim.borrow_mut();
            (!queue.is_empty()).then(|| queue.remove(0))
        };
        if let Some((stolen, units)) = steal
            && let Some(left) = promotions.get_mut(&stolen).and_then(|p| p.left.as_mut())
        {
            *left = left.saturating_sub(units);
        }
        for line in lines {
            let Some(p) = promotions.get(&line.promotion_id) else {
                return Err(ClaimError::UnknownPromotion(line.promotion_id.clone()));
            };
            if let Some(left) = p.left
                && left < line.units
            {
                return Err(ClaimError::Insufficient(line.promotion_id.clone(), left));
            }
        }
        for line in lines {
            if let Some(left) = promotions
                .get_mut(&line.promotion_id)
                .unwrap()
                .left
                .as_mut()
            {
                *left -= line.units;
            }
        }
        self.claims.borrow_mut().insert(id.into(), lines.to_vec());
        Ok(())
    }

    async fn unclaim(&self, id: &str) -> Result<(), ClaimError> {
        self.unclaim_calls.borrow_mut().push(id.into());
        let held = self.claims.borrow_mut().remove(id).unwrap_or_default();
        let mut promotions = self.promotions.borrow_mut();
        for line in held {
            if let Some(left) = promotions
                .get_mut(&line.promotion_id)
                .and_then(|p| p.left.as_mut())
            {
                *left += line.units;
            }
        }
        Ok(())
    }
}

impl Host for FakeHost {
    fn now_ms(&self) -> u64 {
        self.now.get()
    }

    async fn sleep_ms(&self, ms: u64) {
        self.sleeps.set(self.sleeps.get() + 1);
        self.now.set(self.now.get() + ms);
        if let Some(hook) = &*self.on_sleep.borrow() {
            hook(self, self.sleeps.get());
        }
    }

    fn log(&self, level: Level, message: &str, _fields: &[(&str, &str)]) {
        self.logs.borrow_mut().push((level, message.to_string()));
    }

    /// Tokens are `tok|subject|role|tenant`; `expired` is expired.
    fn verify_token(&self, token: &str) -> Result<Claims, TokenError> {
        if token == "expired" {
            return Err(TokenError::Expired);
        }
        match token.split('|').collect::<Vec<_>>()[..] {
            ["tok", subject, role, tenant] => Ok(Claims {
                subject: subject.into(),
                role: role.into(),
                tenant: tenant.into(),
                expires_at: T0 / 1000 + 900,
            }),
            _ => Err(TokenError::Invalid),
        }
    }
}

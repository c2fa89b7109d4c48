//! An in-memory fake of the host for native tests: shards with tiny
//! `orders` and `order_items` tables ([`crate::fake_tables`]; batches
//! all-or-nothing, with `expect_rows`), a catalog whose reservations are
//! holds that are confirmed, released or expired (by a test command), a
//! pricing service with capped promotions, fake tokens, settings, a clock,
//! and scripted failures. Calls to stock and pricing yield once (reserve
//! and quote also take simulated time), so overlapping calls can be
//! observed.

pub use crate::fake_tables::{ItemRow, OrderRow, Tables};
use crate::fake_tables::{execute, query};
use crate::ports::*;
use crate::store;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The time the fake clock starts at: 2023-11-14T22:13:20Z.
pub const T0: u64 = 1_700_000_000_000;

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

/// Called at the start of every `confirm`, with the reservation id.
pub type ConfirmHook = Box<dyn Fn(&FakeHost, &str)>;

/// What the catalog knows of a reservation id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// Reserved, not confirmed: it expires.
    Held,
    /// Confirmed: only a release gives it back.
    Confirmed,
    /// Released (or expired): never reservable or confirmable again.
    Released,
}

pub struct FakeHost {
    pub shards: RefCell<Vec<Tables>>,
    pub now: Cell<u64>,
    /// Units in stock per sku.
    pub stock: RefCell<BTreeMap<String, u32>>,
    /// Reservations holding units (held or confirmed), by id.
    pub reservations: RefCell<BTreeMap<String, Vec<Line>>>,
    /// The reservations that were confirmed (and not released since).
    pub confirmed: RefCell<BTreeSet<String>>,
    /// Every reserve, confirm and release call, by id, in order.
    pub reserve_calls: RefCell<Vec<String>>,
    pub confirm_calls: RefCell<Vec<String>>,
    pub release_calls: RefCell<Vec<String>>,
    /// Ids released or expired (never reservable again), once each.
    pub released: RefCell<Vec<String>>,
    pub on_confirm: RefCell<Option<ConfirmHook>>,
    pub confirm_failure: RefCell<Option<StockError>>,
    /// Base unit price and currency per sku.
    pub prices: RefCell<BTreeMap<String, (i64, String)>>,
    pub promotions: RefCell<BTreeMap<String, Promo>>,
    /// Units held per claim id.
    pub claims: RefCell<BTreeMap<String, Vec<ClaimLine>>>,
    pub claim_calls: RefCell<Vec<Vec<ClaimLine>>>,
    pub unclaim_calls: RefCell<Vec<String>>,
    /// Every quote as `{sku}x{qty}@{tenant}`, in order.
    pub quote_calls: RefCell<Vec<String>>,
    /// Every quote's arguments, in order.
    pub quote_args: RefCell<Vec<QuoteCall>>,
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
    /// Shards where every statement fails as `unavailable`.
    pub down_shards: RefCell<BTreeSet<u32>>,
    pub reserve_failure: RefCell<Option<StockError>>,
    /// How many release calls fail (`unavailable`) before they work.
    pub release_failures: Cell<u32>,
    pub quote_failure: RefCell<Option<(String, QuoteError)>>,
    pub claim_failure: RefCell<Option<ClaimError>>,
    /// How many unclaim calls fail (`unavailable`) before they work.
    pub unclaim_failures: Cell<u32>,
    /// The service's settings (`config`).
    pub settings: RefCell<HashMap<String, String>>,
    /// Before each claim, someone else takes the next of these units of a
    /// promotion.
    pub steal_on_claim: RefCell<Vec<(String, u32)>>,
    pub sleeps: Cell<u64>,
    pub on_sleep: RefCell<Option<SleepHook>>,
}

/// The arguments of one `quote` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuoteCall {
    pub sku: String,
    pub qty: u32,
    pub tenant: String,
    pub customer: Vec<(String, String)>,
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
            confirmed: RefCell::default(),
            reserve_calls: RefCell::default(),
            confirm_calls: RefCell::default(),
            release_calls: RefCell::default(),
            released: RefCell::default(),
            on_confirm: RefCell::default(),
            confirm_failure: RefCell::default(),
            prices: RefCell::default(),
            promotions: RefCell::default(),
            claims: RefCell::default(),
            claim_calls: RefCell::default(),
            unclaim_calls: RefCell::default(),
            quote_calls: RefCell::default(),
            quote_args: RefCell::default(),
            events: RefCell::default(),
            reserve_ms: Cell::new(0),
            quote_ms: Cell::new(0),
            logs: RefCell::default(),
            sql_log: RefCell::default(),
            sql_failures: RefCell::default(),
            down_shards: RefCell::default(),
            reserve_failure: RefCell::default(),
            release_failures: Cell::new(0),
            quote_failure: RefCell::default(),
            claim_failure: RefCell::default(),
            unclaim_failures: Cell::new(0),
            settings: RefCell::default(),
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

    /// What the catalog knows of reservation `id`.
    pub fn hold(&self, id: &str) -> Option<Hold> {
        if self.released.borrow().iter().any(|r| r == id) {
            Some(Hold::Released)
        } else if self.confirmed.borrow().contains(id) {
            Some(Hold::Confirmed)
        } else if self.reservations.borrow().contains_key(id) {
            Some(Hold::Held)
        } else {
            None
        }
    }

    /// The hold `id` expires, as catalog's housekeeping would do to an
    /// unconfirmed hold past its time: its units come back and the id is
    /// released. A confirmed reservation does not expire.
    pub fn expire_hold(&self, id: &str) {
        if self.confirmed.borrow().contains(id) {
            return;
        }
        self.give_back_stock(id);
    }

    /// Returns the units of reservation `id` (if any) and marks it released.
    fn give_back_stock(&self, id: &str) {
        if let Some(lines) = self.reservations.borrow_mut().remove(id) {
            let mut stock = self.stock.borrow_mut();
            for line in lines {
                *stock.get_mut(&line.sku).unwrap() += line.qty;
            }
        }
        self.confirmed.borrow_mut().remove(id);
        let mut released = self.released.borrow_mut();
        if !released.iter().any(|r| r == id) {
            released.push(id.into());
        }
    }

    /// The row of order `id`, wherever it is.
    pub fn order_row(&self, id: &str) -> Option<OrderRow> {
        self.all_orders()
            .into_iter()
            .map(|(_, o)| o)
            .find(|o| o.id == id)
    }

    /// Runs one statement on `shard` at once (what a concurrent request or
    /// settler does between two steps of the code under test).
    pub fn execute_now(&self, shard: u32, sql: &str, params: Vec<Value>) -> u64 {
        execute(&mut self.shards.borrow_mut()[shard as usize], sql, &params).unwrap()
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
        if self.down_shards.borrow().contains(&shard) {
            return Err(SqlError::Unavailable(format!("shard {shard} is down")));
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

    /// As the catalog: a held id becomes confirmed (again: no change); a
    /// released (or expired) or unknown id is a conflict.
    async fn confirm(&self, id: &str) -> Result<(), StockError> {
        self.confirm_calls.borrow_mut().push(id.into());
        if let Some(hook) = &*self.on_confirm.borrow() {
            hook(self, id);
        }
        YieldOnce(false).await;
        if let Some(e) = self.confirm_failure.borrow().clone() {
            return Err(e);
        }
        match self.hold(id) {
            Some(Hold::Held | Hold::Confirmed) => {
                self.confirmed.borrow_mut().insert(id.into());
                Ok(())
            }
            Some(Hold::Released) => Err(StockError::Conflict(format!("{id} was released"))),
            None => Err(StockError::Conflict(format!("{id} was never reserved"))),
        }
    }

    /// As the catalog: gives back held or confirmed units exactly once;
    /// an unknown id is recorded as released.
    async fn release(&self, id: &str) -> Result<(), StockError> {
        self.release_calls.borrow_mut().push(id.into());
        YieldOnce(false).await;
        if self.release_failures.get() > 0 {
            self.release_failures.set(self.release_failures.get() - 1);
            return Err(StockError::Unavailable("catalog down".into()));
        }
        self.give_back_stock(id);
        Ok(())
    }
}

impl Quotes for FakeHost {
    /// The base price, or a promotion's price for up to its units left.
    async fn quote(
        &self,
        sku: &str,
        qty: u32,
        tenant: &str,
        customer: &[(String, String)],
    ) -> Result<Price, QuoteError> {
        self.quote_calls
            .borrow_mut()
            .push(format!("{sku}x{qty}@{tenant}"));
        self.quote_args.borrow_mut().push(QuoteCall {
            sku: sku.into(),
            qty,
            tenant: tenant.into(),
            customer: customer.to_vec(),
        });
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
        YieldOnce(false).await;
        if self.unclaim_failures.get() > 0 {
            self.unclaim_failures.set(self.unclaim_failures.get() - 1);
            return Err(ClaimError::Unavailable("pricing down".into()));
        }
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

    /// Tokens are `tok|subject|role|tenant`, optionally followed by
    /// `|key=value,key=value` customer attributes; `expired` is expired.
    fn verify_token(&self, token: &str) -> Result<Claims, TokenError> {
        sluice_kit::token::fake_claims(token, T0 / 1000 + 900)
    }

    fn setting(&self, key: &str) -> Option<String> {
        self.settings.borrow().get(key).cloned()
    }
}

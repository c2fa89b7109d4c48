//! The test host of order's native tests: shards that are in-memory SQLite
//! databases built by order's own migrations (the kit's [`Db`]: its real
//! statements run, failures are injected there), the kit's [`TestHost`]
//! for the clock, log, tokens, settings and pauses (reached through
//! `Deref`), and fakes of the two services order links to: a catalog
//! (`stock`) whose reservations are holds that are confirmed, released or
//! expired (by a test command), and a pricing service (`quote`) with capped
//! promotions. Calls to the other services and shard reads yield once
//! (reserve and quote also take simulated time), so overlapping calls can
//! be observed.

use crate::migrations::{Dialect, migrations};
use crate::ports::*;
use sluice_kit::testing::{Db, TestHost};
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A flash-sale promotion: `price` per unit of `sku`, `left` units (none:
/// uncapped).
#[derive(Debug, Clone)]
pub struct Promo {
    pub sku: String,
    pub price: i64,
    pub left: Option<u32>,
}

/// Called after every pause with the host and the number of pauses so far.
pub type SleepHook = Box<dyn Fn(&OrderHost, usize)>;

/// Called at the start of every `confirm`, with the reservation id.
pub type ConfirmHook = Box<dyn Fn(&OrderHost, &str)>;

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

/// An order row as a test checks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRow {
    pub shard: u32,
    pub id: String,
    pub status: String,
    pub key: Option<String>,
}

/// The arguments of one `quote` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuoteCall {
    pub sku: String,
    pub qty: u32,
    pub tenant: String,
    pub customer: Vec<(String, String)>,
}

pub struct OrderHost {
    /// Clock, log, tokens, settings and pauses.
    pub kit: TestHost,
    /// Shard `n` is `shards[n]`.
    pub shards: Vec<Db>,
    pub on_sleep: RefCell<Option<SleepHook>>,
    /// `start:X` / `end:X` of every stock, pricing and shard read, in order.
    pub events: RefCell<Vec<String>>,

    // The catalog.
    /// Units in stock per sku.
    pub stock: RefCell<BTreeMap<String, u32>>,
    /// Reservations holding units (held or confirmed), by id.
    pub reservations: RefCell<BTreeMap<String, Vec<Line>>>,
    /// The reservations that were confirmed (and not released since).
    pub confirmed: RefCell<BTreeSet<String>>,
    /// Ids released or expired (never reservable again), once each.
    pub released: RefCell<Vec<String>>,
    /// Every reserve, confirm and release call, by id, in order.
    pub reserve_calls: RefCell<Vec<String>>,
    pub confirm_calls: RefCell<Vec<String>>,
    pub release_calls: RefCell<Vec<String>>,
    pub on_confirm: RefCell<Option<ConfirmHook>>,
    pub reserve_failure: RefCell<Option<StockError>>,
    pub confirm_failure: RefCell<Option<StockError>>,
    /// How many release calls fail (`unavailable`) before they work.
    pub release_failures: Cell<u32>,
    pub reserve_ms: Cell<u64>,

    // Pricing.
    /// Base unit price and currency per sku.
    pub prices: RefCell<BTreeMap<String, (i64, String)>>,
    pub promotions: RefCell<BTreeMap<String, Promo>>,
    /// Units held per claim id.
    pub claims: RefCell<BTreeMap<String, Vec<ClaimLine>>>,
    /// Every quote's, claim's and unclaim's arguments, in order.
    pub quote_calls: RefCell<Vec<QuoteCall>>,
    pub claim_calls: RefCell<Vec<Vec<ClaimLine>>>,
    pub unclaim_calls: RefCell<Vec<String>>,
    /// The sku whose quotes fail, and how.
    pub quote_failure: RefCell<Option<(String, QuoteError)>>,
    pub claim_failure: RefCell<Option<ClaimError>>,
    /// How many unclaim calls fail (`unavailable`) before they work.
    pub unclaim_failures: Cell<u32>,
    /// Before each claim, someone else takes the next of these units of a
    /// promotion.
    pub steal_on_claim: RefCell<Vec<(String, u32)>>,
    pub quote_ms: Cell<u64>,
}

impl OrderHost {
    /// `shards` empty shards; stock of 100 of `S-1` (999 USD), `S-2` (250
    /// USD) and `E-1` (500 EUR); at the kit's `START_MS`.
    pub fn new(shards: u32) -> OrderHost {
        let schema = migrations(Dialect::Sqlite);
        let host = OrderHost {
            kit: TestHost::new(&[]),
            shards: (0..shards).map(|_| Db::new(&schema)).collect(),
            on_sleep: RefCell::default(),
            events: RefCell::default(),
            stock: RefCell::default(),
            reservations: RefCell::default(),
            confirmed: RefCell::default(),
            released: RefCell::default(),
            reserve_calls: RefCell::default(),
            confirm_calls: RefCell::default(),
            release_calls: RefCell::default(),
            on_confirm: RefCell::default(),
            reserve_failure: RefCell::default(),
            confirm_failure: RefCell::default(),
            release_failures: Cell::new(0),
            reserve_ms: Cell::new(0),
            prices: RefCell::default(),
            promotions: RefCell::default(),
            claims: RefCell::default(),
            quote_calls: RefCell::default(),
            claim_calls: RefCell::default(),
            unclaim_calls: RefCell::default(),
            quote_failure: RefCell::default(),
            claim_failure: RefCell::default(),
            unclaim_failures: Cell::new(0),
            steal_on_claim: RefCell::default(),
            quote_ms: Cell::new(0),
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

    /// The next batch on `shard` fails with `err`, and so does every call
    /// after it up to the next batch (which runs).
    pub fn fail_next_batch(&self, shard: u32, err: SqlError) {
        let db = &self.shards[shard as usize];
        db.before_next_batch(move |db| db.fail_with(Some(err)));
        db.before_next_batch(|db| db.fail_with(None));
    }

    /// Every order row of every shard, by shard, then as created.
    pub fn all_orders(&self) -> Vec<OrderRow> {
        let mut all = Vec::new();
        for (shard, db) in (0u32..).zip(&self.shards) {
            let sql = "SELECT id, status, idempotency_key FROM orders ORDER BY created_at, id";
            for row in db.rows(sql, &[]) {
                let text = |i: usize| sluice_kit::sql::optional_text(&row, i).unwrap();
                all.push(OrderRow {
                    shard,
                    id: text(0).unwrap(),
                    status: text(1).unwrap(),
                    key: text(2),
                });
            }
        }
        all
    }

    /// The row of order `id`, wherever it is.
    pub fn order_row(&self, id: &str) -> Option<OrderRow> {
        self.all_orders().into_iter().find(|o| o.id == id)
    }

    /// Item rows on every shard.
    pub fn all_items(&self) -> i64 {
        let count = |db: &Db| db.int("SELECT COUNT(*) FROM order_items", &[]).unwrap();
        self.shards.iter().map(count).sum()
    }

    /// SQL calls the service made on every shard so far.
    pub fn shard_calls(&self) -> usize {
        self.shards.iter().map(Db::calls).sum()
    }

    pub fn in_stock(&self, sku: &str) -> u32 {
        self.stock.borrow()[sku]
    }

    pub fn promotion_left(&self, id: &str) -> Option<u32> {
        self.promotions.borrow()[id].left
    }

    /// Every quote as `{sku}x{qty}@{tenant}`, in order.
    pub fn quoted(&self) -> Vec<String> {
        let calls = self.quote_calls.borrow();
        calls
            .iter()
            .map(|c| format!("{}x{}@{}", c.sku, c.qty, c.tenant))
            .collect()
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
        if !self.confirmed.borrow().contains(id) {
            self.give_back_stock(id);
        }
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

    /// Lets simulated time pass for a call named `what` that takes `ms`.
    async fn take_time(&self, what: &str, ms: u64) {
        let start = self.now_ms();
        self.events.borrow_mut().push(format!("start:{what}"));
        YieldOnce(false).await;
        self.set_now(self.now_ms().max(start + ms));
        self.events.borrow_mut().push(format!("end:{what}"));
    }

    fn shard(&self, shard: u32) -> Result<&Db, SqlError> {
        let missing = || SqlError::InvalidStatement(format!("no shard {shard}"));
        self.shards.get(shard as usize).ok_or_else(missing)
    }
}

impl Deref for OrderHost {
    type Target = TestHost;

    fn deref(&self) -> &TestHost {
        &self.kit
    }
}

sluice_kit::delegate_ports!(OrderHost => kit: Clock, Log, Tokens, Settings);

impl Pause for OrderHost {
    /// The kit's pause (the clock moves on), then the test's hook.
    async fn sleep_ms(&self, ms: u64) {
        self.kit.sleep_ms(ms).await;
        if let Some(hook) = &*self.on_sleep.borrow() {
            hook(self, self.slept().len());
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

impl Shards for OrderHost {
    fn shard_count(&self) -> u32 {
        self.shards.len() as u32
    }

    /// Takes a turn first, so reads of several shards overlap.
    async fn query(&self, shard: u32, sql: &str, params: Vec<Value>) -> Result<Rows, SqlError> {
        let db = self.shard(shard)?;
        self.take_time(&format!("query:{shard}"), 0).await;
        db.query(sql, params).await
    }

    async fn execute(&self, shard: u32, sql: &str, params: Vec<Value>) -> Result<u64, SqlError> {
        self.shard(shard)?.execute(sql, params).await
    }

    async fn batch(&self, shard: u32, statements: Vec<Statement>) -> Result<Vec<u64>, SqlError> {
        self.shard(shard)?.batch(statements).await
    }
}

impl Stock for OrderHost {
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

impl Quotes for OrderHost {
    /// The base price, or a promotion's price for up to its units left.
    async fn quote(
        &self,
        sku: &str,
        qty: u32,
        tenant: &str,
        customer: &[(String, String)],
    ) -> Result<Price, QuoteError> {
        self.quote_calls.borrow_mut().push(QuoteCall {
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

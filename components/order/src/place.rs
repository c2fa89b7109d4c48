//! Placing an order (`POST /api/orders`): a saga over three services.
//!
//! 1. With an `Idempotency-Key`, take it with a pending row ([`idempotency`]).
//! 2. Reserve the stock (reservation id = order id) and quote every line at
//!    the same time (`join!`), each timed with the host clock for the
//!    `Server-Timing` header.
//! 3. Claim the promotion units the quotes priced, under the order id; if a
//!    promotion ran out (or ended) meanwhile, re-quote its lines once and
//!    claim again.
//! 4. Write the order and its items in one batch on the customer's shard.
//!
//! Compensation ([`Saga::abort`]): whatever fails after the reservation
//! gives back the claimed units, releases the reservation (retried) and
//! gives up the pending row, then replies with the error. A reservation
//! that failed outright took nothing and is not released; one that failed
//! as `unavailable` may have been taken after all, so it is released too
//! (a release of an unknown id also stops a late reserve). A write that
//! failed as `unavailable` may have committed: its rows are deleted (the
//! delete waits for the row locks of a transaction still open) before
//! anything is released, and if that delete fails too
//! the reservation is kept and the order id logged for reconciliation, so
//! a confirmed order never loses its stock.

use crate::errors::ApiError;
use crate::failure;
use crate::idempotency::{self, Pending, Taken};
use crate::ports::{
    AdjustmentKind, ClaimError, ClaimLine, Claims, Host, Level, Line, Price, QuoteError, SqlError,
    Statement, StockError,
};
use crate::shard;
use crate::store::{self, Item, Order};
use crate::wire::OrderJson;
use futures::future::join_all;
use sluice_kit::reply::Reply;
use std::future::Future;

/// How many times a release is tried before it is logged as failed.
const RELEASE_ATTEMPTS: usize = 3;
/// How many times an idempotent request may find its key released by a
/// failed holder (or take over an abandoned one) and start over.
const KEY_ATTEMPTS: usize = 2;

/// Places an order of `lines` (merged, in sku order) for `caller`.
pub async fn place(
    host: &impl Host,
    caller: &Claims,
    key: Option<&str>,
    lines: &[Line],
) -> Result<Reply, ApiError> {
    let started = host.now_ms();
    let shard = shard::shard_of(&caller.subject, host.shard_count());
    let items_hash = crate::items::hash(lines);
    for _ in 0..KEY_ATTEMPTS {
        let order_id = shard::new_order_id(shard)
            .map_err(|e| failure::internal(host, "making an order id", &e.to_string()))?;
        let mut saga = Saga::new(host, shard, &order_id);
        if let Some(key) = key {
            let new = Pending {
                shard,
                order_id: &order_id,
                key,
                items_hash: &items_hash,
            };
            match idempotency::take(host, caller, &new).await? {
                Taken::Ours => saga.row = Row::Pending,
                Taken::Replay(order) => {
                    return Ok(created(&order).with_header("idempotent-replayed", "true"));
                }
                Taken::Released => continue,
                Taken::Abandoned(old) => {
                    Saga::new(host, shard, &old).take_over().await?;
                    continue;
                }
            }
        }
        let mut timing = Timing::default();
        return match run(host, caller, lines, &items_hash, &mut saga, &mut timing).await {
            Ok(order) => {
                timing.order = host.now_ms().saturating_sub(started);
                Ok(created(&order).with_header("server-timing", timing.header()))
            }
            Err(e) => Err(saga.abort(e).await),
        };
    }
    Err(ApiError::IdempotencyInProgress)
}

/// The 201 reply for `order`.
fn created(order: &Order) -> Reply {
    Reply::json(201, &OrderJson::from(order))
        .with_header("location", format!("/api/orders/{}", order.id))
}

/// Milliseconds spent reserving, quoting and on the whole order.
#[derive(Debug, Default)]
struct Timing {
    reserve: u64,
    quote: u64,
    order: u64,
}

impl Timing {
    /// The `Server-Timing` header value.
    fn header(&self) -> String {
        format!(
            "reserve;dur={}, quote;dur={}, order;dur={}",
            self.reserve, self.quote, self.order
        )
    }
}

/// Steps 2 to 4; on error the caller aborts the saga.
async fn run<H: Host>(
    host: &H,
    caller: &Claims,
    lines: &[Line],
    items_hash: &str,
    saga: &mut Saga<'_, H>,
    timing: &mut Timing,
) -> Result<Order, ApiError> {
    let id = saga.order_id;
    let tenant = caller.tenant.as_str();
    let reserve = timed(host, host.reserve(id, lines));
    let quotes = timed(host, quote_all(host, lines.iter(), tenant));
    let ((reserved, reserve_ms), (quoted, quote_ms)) = futures::join!(reserve, quotes);
    (timing.reserve, timing.quote) = (reserve_ms, quote_ms);
    match reserved {
        Ok(()) => saga.reserved = true,
        Err(StockError::Unavailable(why)) => {
            saga.reserved = true;
            return Err(failure::unavailable(host, "reserving stock", &why));
        }
        Err(e) => return Err(stock_error(host, e)),
    }
    let mut prices = quoted.map_err(|e| quote_error(host, e))?;
    currency(&prices)?;
    claim_promotions(host, tenant, saga, &mut prices).await?;
    let order = Order {
        id: id.to_string(),
        customer: caller.subject.clone(),
        shard: saga.shard,
        currency: currency(&prices)?.to_string(),
        total: prices
            .iter()
            .try_fold(0i64, |sum, p| sum.checked_add(p.total))
            .ok_or_else(|| failure::internal(host, "adding up the order", "the total overflows"))?,
        created_at: i64::try_from(host.now_ms()).unwrap_or(i64::MAX),
        items: prices
            .iter()
            .map(|p| Item {
                sku: p.sku.clone(),
                qty: i64::from(p.qty),
                unit_price: p.unit_price,
                total: p.total,
            })
            .collect(),
    };
    let pending = saga.row == Row::Pending;
    let statements = store::write_order(&order, tenant, items_hash, pending);
    match host.batch(saga.shard, statements).await {
        Ok(_) => {
            saga.done();
            Ok(order)
        }
        Err(e) => {
            // Any other error came from inside the transaction, which the
            // host rolled back; a lost connection may have committed.
            if matches!(e, SqlError::Unavailable(_)) {
                saga.row = Row::MaybeWritten;
            }
            Err(failure::sql(host, "writing the order", &e))
        }
    }
}

/// Runs `work`, timing it with the host clock.
async fn timed<T>(host: &impl Host, work: impl Future<Output = T>) -> (T, u64) {
    let start = host.now_ms();
    let out = work.await;
    (out, host.now_ms().saturating_sub(start))
}

/// Quotes every line at once; the first error in line order.
async fn quote_all<'a>(
    host: &impl Host,
    lines: impl Iterator<Item = &'a Line>,
    tenant: &str,
) -> Result<Vec<Price>, QuoteError> {
    join_all(lines.map(|l| host.quote(&l.sku, l.qty, tenant)))
        .await
        .into_iter()
        .collect()
}

/// The one currency of all prices; 422 if they differ.
fn currency(prices: &[Price]) -> Result<&str, ApiError> {
    let first = prices.first().map_or("", |p| p.currency.as_str());
    if prices.iter().all(|p| p.currency == first) {
        Ok(first)
    } else {
        Err(ApiError::MixedCurrency)
    }
}

/// The promotion units the prices were computed with.
fn claim_lines(prices: &[Price]) -> Vec<ClaimLine> {
    prices
        .iter()
        .flat_map(|p| &p.applied)
        .filter(|a| a.kind == AdjustmentKind::Promotion && a.units > 0)
        .filter_map(|a| {
            Some(ClaimLine {
                promotion_id: a.id.clone()?,
                units: a.units,
            })
        })
        .collect()
}

/// Claims the promotion units of `prices`, re-quoting the promoted lines
/// once if a promotion ran out or ended since they were quoted.
async fn claim_promotions<H: Host>(
    host: &H,
    tenant: &str,
    saga: &mut Saga<'_, H>,
    prices: &mut [Price],
) -> Result<(), ApiError> {
    for attempt in 0..2 {
        let lines = claim_lines(prices);
        if lines.is_empty() {
            return Ok(());
        }
        saga.claimed = true;
        match host.claim(saga.order_id, &lines).await {
            Ok(()) => return Ok(()),
            Err(
                ClaimError::Insufficient(..)
                | ClaimError::NotActive(_)
                | ClaimError::UnknownPromotion(_),
            ) if attempt == 0 => requote_promoted(host, tenant, prices).await?,
            Err(e) => return Err(claim_error(host, e)),
        }
    }
    Ok(())
}

/// Replaces the prices of the promoted lines with fresh quotes.
async fn requote_promoted(
    host: &impl Host,
    tenant: &str,
    prices: &mut [Price],
) -> Result<(), ApiError> {
    let promoted: Vec<usize> = (0..prices.len())
        .filter(|&i| !claim_lines(&prices[i..=i]).is_empty())
        .collect();
    let lines: Vec<Line> = promoted
        .iter()
        .map(|&i| Line {
            sku: prices[i].sku.clone(),
            qty: prices[i].qty,
        })
        .collect();
    let fresh = quote_all(host, lines.iter(), tenant)
        .await
        .map_err(|e| quote_error(host, e))?;
    for (i, price) in promoted.into_iter().zip(fresh) {
        prices[i] = price;
    }
    currency(prices).map(|_| ())
}

fn stock_error(host: &impl Host, e: StockError) -> ApiError {
    match e {
        StockError::UnknownSku(sku) => ApiError::UnknownSku(sku),
        StockError::Insufficient(sku) => ApiError::InsufficientStock(sku),
        StockError::Invalid(why) => ApiError::InvalidItems(why),
        StockError::Conflict(why) => ApiError::Conflict(why),
        StockError::Unavailable(why) => failure::unavailable(host, "reserving stock", &why),
    }
}

fn quote_error(host: &impl Host, e: QuoteError) -> ApiError {
    match e {
        QuoteError::UnknownSku(sku) => ApiError::UnknownSku(sku),
        QuoteError::InvalidTenant(tenant) => ApiError::InvalidTenant(tenant),
        QuoteError::InvalidQuantity(qty) => {
            ApiError::InvalidItems(format!("qty {qty} cannot be priced"))
        }
        QuoteError::Unavailable(why) => failure::unavailable(host, "quoting", &why),
    }
}

fn claim_error(host: &impl Host, e: ClaimError) -> ApiError {
    match e {
        ClaimError::Insufficient(id, _) => ApiError::PromotionSoldOut(id),
        ClaimError::NotActive(id) | ClaimError::UnknownPromotion(id) => {
            ApiError::PromotionEnded(id)
        }
        ClaimError::Unavailable(why) => failure::unavailable(host, "claiming promotions", &why),
        ClaimError::Conflict(why) | ClaimError::Invalid(why) => {
            failure::internal(host, "claiming promotions", &why)
        }
    }
}

/// What the order's row on its shard may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Row {
    /// Nothing written.
    None,
    /// The pending row that holds the idempotency key.
    Pending,
    /// The order write failed in a way that may have committed.
    MaybeWritten,
}

/// What an order holds so far, to give back if it fails.
struct Saga<'a, H> {
    host: &'a H,
    shard: u32,
    order_id: &'a str,
    row: Row,
    reserved: bool,
    claimed: bool,
}

impl<'a, H: Host> Saga<'a, H> {
    fn new(host: &'a H, shard: u32, order_id: &'a str) -> Self {
        Saga {
            host,
            shard,
            order_id,
            row: Row::None,
            reserved: false,
            claimed: false,
        }
    }

    /// The order is written: nothing is to be given back.
    fn done(&mut self) {
        (self.row, self.reserved, self.claimed) = (Row::None, false, false);
    }

    /// Gives back what the failed order holds and returns `err`.
    async fn abort(self, err: ApiError) -> ApiError {
        let (host, id) = (self.host, self.order_id);
        if self.row == Row::MaybeWritten
            && !self
                .delete(&[store::DELETE_ITEMS, store::DELETE_ORDER])
                .await
        {
            host.log(
                Level::Error,
                "order write failed and its rows could not be checked; reservation kept",
                &[("order", id)],
            );
            return err;
        }
        if self.claimed
            && let Err(e) = host.unclaim(id).await
        {
            host.log(
                Level::Error,
                "unclaiming promotion units failed",
                &[("order", id), ("error", &format!("{e:?}"))],
            );
        }
        if self.reserved {
            self.release().await;
        }
        if self.row == Row::Pending {
            self.delete(&[store::DELETE_PENDING]).await;
        }
        err
    }

    /// Takes over the abandoned pending order `order_id`: deletes its row
    /// (only while still pending, so its owner can no longer confirm it),
    /// then gives back any units and stock it may hold. Releasing also
    /// stops a reserve of that id still in flight.
    async fn take_over(self) -> Result<(), ApiError> {
        let id = self.order_id;
        let deleted = self
            .host
            .execute(self.shard, store::DELETE_PENDING, vec![id.into()])
            .await
            .map_err(|e| failure::sql(self.host, "taking over an abandoned order", &e))?;
        if deleted == 1 {
            self.host.log(
                Level::Warn,
                "abandoned pending order taken over",
                &[("order", id)],
            );
            let saga = Saga {
                row: Row::None,
                reserved: true,
                claimed: true,
                ..self
            };
            saga.abort(ApiError::Internal).await;
        }
        Ok(())
    }

    /// Releases the reservation, retrying; logs if it still fails.
    async fn release(&self) {
        let mut last = None;
        for _ in 0..RELEASE_ATTEMPTS {
            match self.host.release(self.order_id).await {
                Ok(()) => return,
                Err(e) => last = Some(e),
            }
        }
        self.host.log(
            Level::Error,
            "releasing a failed order's stock failed",
            &[("order", self.order_id), ("error", &format!("{last:?}"))],
        );
    }

    /// Runs `statements` (each with the order id) in one batch; whether it
    /// succeeded (failures are logged).
    async fn delete(&self, statements: &[&str]) -> bool {
        let batch = statements
            .iter()
            .map(|sql| Statement::any(sql, vec![self.order_id.into()]))
            .collect();
        match self.host.batch(self.shard, batch).await {
            Ok(_) => true,
            Err(e) => {
                self.host.log(
                    Level::Error,
                    "cleaning up a failed order failed",
                    &[("order", self.order_id), ("error", &e.to_string())],
                );
                false
            }
        }
    }
}

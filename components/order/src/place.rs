//! Placing an order (`POST /api/orders`): a saga over three services.
//!
//! 1. Write the order's row `pending` on the customer's shard, before
//!    anything is taken; with an `Idempotency-Key` that row also takes the
//!    key ([`idempotency`]). From here on, an order that dies half-way
//!    leaves a row housekeeping can settle ([`crate::settle`]).
//! 2. Hold the stock (reservation id = order id) and quote every line at
//!    the same time (`join!`), each timed with the host clock for the
//!    `Server-Timing` header. Quotes are for the caller's token: its tenant,
//!    and its customer attributes for the tenant's pricing rule.
//! 3. Claim the promotion units the quotes priced ([`promotions`]).
//! 4. Confirm the stock hold: catalog's holds expire (60 s by default)
//!    unless confirmed, so an order whose placer died gives its stock back
//!    by itself. A hold that already expired (or that a settler released)
//!    is `conflict`: the order fails with 503 `hold_expired`.
//! 5. Turn the pending row confirmed and write the items, in one batch
//!    that must find the row still pending: the row decides the order's
//!    fate, and if a settler turned it `failing` first, the settler gives
//!    everything back and this order fails.
//!
//! Whatever fails gives back what was taken ([`Saga::abort`]).

use crate::errors::{ApiError, OrderError};
use crate::failure;
use crate::idempotency::{self, Taken};
use crate::ports::{Claims, Host, Level, Line, Price, QuoteError, SqlError, StockError};
use crate::promotions;
use crate::saga::{Row, Saga};
use crate::settle::{self, Settled};
use crate::shard;
use crate::status::Status;
use crate::store::{self, Item, NewOrder, Order};
use crate::wire::OrderJson;
use futures::future::join_all;
use sluice_kit::reply::Reply;
use std::future::Future;

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
        let new = NewOrder {
            id: &order_id,
            customer: &caller.subject,
            tenant: &caller.tenant,
            key,
            items_hash: &items_hash,
            created_at: now_ms(host),
        };
        if new.key.is_some() {
            match idempotency::take(host, shard, &new).await? {
                Taken::Ours => {}
                Taken::Replay(order) => {
                    return Ok(created(&order).with_header("idempotent-replayed", "true"));
                }
                Taken::Released => continue,
                Taken::Abandoned(old) => {
                    take_over(host, shard, &old).await?;
                    continue;
                }
            }
        } else {
            store::insert_pending(host, shard, &new)
                .await
                .map_err(|e| failure::sql(host, "writing a pending order", &e))?;
        }
        let mut saga = Saga::new(host, shard, &order_id);
        let mut timing = Timing::default();
        return match run(host, caller, lines, &mut saga, &mut timing).await {
            Ok(order) => {
                timing.order = host.now_ms().saturating_sub(started);
                Ok(created(&order).with_header("server-timing", timing.header()))
            }
            Err(e) => Err(saga.abort(e).await),
        };
    }
    Err(ApiError::Service(OrderError::IdempotencyInProgress))
}

/// Settles the abandoned pending order `old` that holds our key, so the
/// key can be taken again: the same settling housekeeping does, which
/// turns it `failing` (its placer can no longer confirm it), gives back
/// its stock and units and deletes it.
async fn take_over(host: &impl Host, shard: u32, old: &str) -> Result<(), ApiError> {
    let settled = settle::settle(host, shard, old)
        .await
        .map_err(|e| failure::store(host, "taking over an abandoned order", &e))?;
    if settled == Settled::GivenBack {
        host.log(
            Level::Warn,
            "abandoned pending order taken over",
            &[("order", old)],
        );
    }
    Ok(())
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

/// Steps 2 to 5; on error the caller aborts the saga.
async fn run<H: Host>(
    host: &H,
    caller: &Claims,
    lines: &[Line],
    saga: &mut Saga<'_, H>,
    timing: &mut Timing,
) -> Result<Order, ApiError> {
    let id = saga.order_id;
    let reserve = timed(host, host.reserve(id, lines));
    let quotes = timed(host, quote_all(host, lines.iter(), caller));
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
    promotions::claim(host, caller, saga, &mut prices).await?;
    let order = Order {
        id: id.to_string(),
        customer: caller.subject.clone(),
        shard: saga.shard(),
        status: Status::Confirmed,
        currency: currency(&prices)?.to_string(),
        total: prices
            .iter()
            .try_fold(0i64, |sum, p| sum.checked_add(p.total))
            .ok_or_else(|| failure::internal(host, "adding up the order", "the total overflows"))?,
        created_at: now_ms(host),
        cancelled_at: None,
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
    confirm_hold(host, id).await?;
    match host.batch(saga.shard(), store::write_order(&order)).await {
        Ok(_) => {
            saga.done();
            Ok(order)
        }
        Err(SqlError::ExpectationFailed(0)) => {
            // The row is no longer pending: a settler gave the order up
            // (it took longer than `abandoned_after_ms`) and gives back its
            // stock and units. The order does not exist.
            saga.lost();
            host.log(
                Level::Warn,
                "pending order settled before it was written",
                &[("order", id)],
            );
            Err(ApiError::Service(OrderError::HoldExpired))
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

/// Step 4: makes the stock hold of order `id` permanent.
async fn confirm_hold(host: &impl Host, id: &str) -> Result<(), ApiError> {
    let what = "confirming the stock hold";
    match host.confirm(id).await {
        Ok(()) => Ok(()),
        Err(StockError::Conflict(why)) => {
            host.log(
                Level::Warn,
                "stock hold expired before the order was written",
                &[("order", id), ("error", &why)],
            );
            Err(ApiError::Service(OrderError::HoldExpired))
        }
        Err(StockError::Unavailable(why)) => Err(failure::unavailable(host, what, &why)),
        Err(e) => Err(failure::internal(host, what, &format!("{e:?}"))),
    }
}

/// Runs `work`, timing it with the host clock.
async fn timed<T>(host: &impl Host, work: impl Future<Output = T>) -> (T, u64) {
    let start = host.now_ms();
    let out = work.await;
    (out, host.now_ms().saturating_sub(start))
}

/// Quotes every line at once for `caller`: the tenant of their token, and
/// its customer attributes for the tenant's rule. The first error in line
/// order.
pub(crate) async fn quote_all<'a>(
    host: &impl Host,
    lines: impl Iterator<Item = &'a Line>,
    caller: &Claims,
) -> Result<Vec<Price>, QuoteError> {
    let (tenant, customer) = (caller.tenant.as_str(), caller.attributes.as_slice());
    join_all(lines.map(|l| host.quote(&l.sku, l.qty, tenant, customer)))
        .await
        .into_iter()
        .collect()
}

/// The one currency of all prices; 422 if they differ.
pub(crate) fn currency(prices: &[Price]) -> Result<&str, ApiError> {
    let first = prices.first().map_or("", |p| p.currency.as_str());
    if prices.iter().all(|p| p.currency == first) {
        Ok(first)
    } else {
        Err(ApiError::Service(OrderError::MixedCurrency))
    }
}

fn stock_error(host: &impl Host, e: StockError) -> ApiError {
    match e {
        StockError::UnknownSku(sku) => ApiError::Service(OrderError::UnknownSku(sku)),
        StockError::Insufficient(sku) => ApiError::Service(OrderError::InsufficientStock(sku)),
        StockError::Invalid(why) => ApiError::Service(OrderError::InvalidItems(why)),
        StockError::Conflict(why) => ApiError::Service(OrderError::Conflict(why)),
        StockError::Unavailable(why) => failure::unavailable(host, "reserving stock", &why),
    }
}

pub(crate) fn quote_error(host: &impl Host, e: QuoteError) -> ApiError {
    match e {
        QuoteError::UnknownSku(sku) => ApiError::Service(OrderError::UnknownSku(sku)),
        QuoteError::InvalidTenant(tenant) => ApiError::Service(OrderError::InvalidTenant(tenant)),
        QuoteError::InvalidQuantity(qty) => ApiError::Service(OrderError::InvalidItems(format!(
            "qty {qty} cannot be priced"
        ))),
        QuoteError::Unavailable(why) => failure::unavailable(host, "quoting", &why),
    }
}

fn now_ms(host: &impl Host) -> i64 {
    i64::try_from(host.now_ms()).unwrap_or(i64::MAX)
}

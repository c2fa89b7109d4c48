//! `Idempotency-Key`: the same key from the same customer places one order.
//!
//! The key is taken by inserting the order's row as `pending` on the
//! customer's shard before anything is reserved; `UNIQUE(customer,
//! idempotency_key)` lets only one request win. A loser reads the winner's
//! row: other items (by hash) is 409 `idempotency_key_reused`; a placed
//! order is replayed as it is now (201, `Idempotent-Replayed: true`; a
//! cancelled order shows `cancelled`); a pending one is still being placed,
//! so the loser polls it every 25 ms for up to 10 s until it is placed
//! (replay) or gone (the winner failed and cleaned up: the caller starts
//! over), else 409 `idempotency_in_progress`.
//!
//! A row still pending `abandoned_after_ms` (default a minute) after it was
//! written belongs to a request that died or stalled without cleaning up
//! (its instance was stopped mid-order), and a `failing` row is being given
//! up: the caller takes it over ([`crate::place`] settles it as
//! housekeeping would, [`crate::settle`]) instead of refusing the key until
//! housekeeping gets to it.

use crate::errors::{ApiError, OrderError};
use crate::failure;
use crate::ports::{Host, SqlError};
use crate::settings;
use crate::status::Status;
use crate::store::{self, NewOrder, Order};

/// Pause between two reads of a pending order.
pub const POLL_MS: u64 = 25;
/// How long to wait for a pending order: 10 s of polls.
pub const MAX_POLLS: u64 = 10_000 / POLL_MS;
/// Age (host clock) after which a pending row is abandoned, unless the
/// `abandoned_after_ms` setting says otherwise ([`settings`]).
pub const ABANDONED_AFTER_MS: i64 = 60_000;

/// What taking a key found.
#[derive(Debug)]
pub enum Taken {
    /// Ours: our pending row now holds the key.
    Ours,
    /// An earlier request with the same items placed this order.
    Replay(Order),
    /// The request holding the key failed and gave it up: try again.
    Released,
    /// The request holding the key (this order id) died long ago without
    /// cleaning up, or its order is being given up: settle it, then try
    /// again.
    Abandoned(String),
}

/// Takes the key of `new` (which must have one) for its customer with
/// `new`'s pending row on `shard`, or finds who has it.
pub async fn take(host: &impl Host, shard: u32, new: &NewOrder<'_>) -> Result<Taken, ApiError> {
    match store::insert_pending(host, shard, new).await {
        Ok(_) => Ok(Taken::Ours),
        Err(SqlError::ConstraintViolation(_)) => wait_for_holder(host, shard, new).await,
        Err(e) => Err(failure::sql(host, "taking an idempotency key", &e)),
    }
}

/// Polls the row holding the key until it is placed or gone.
async fn wait_for_holder(
    host: &impl Host,
    shard: u32,
    new: &NewOrder<'_>,
) -> Result<Taken, ApiError> {
    let what = "reading an idempotency key";
    let Some(key) = new.key else {
        return Err(failure::internal(host, what, "an order id was used twice"));
    };
    let abandoned_after = settings::abandoned_after_ms(host);
    for poll in 0..=MAX_POLLS {
        if poll > 0 {
            host.sleep_ms(POLL_MS).await;
        }
        let found = store::find_key(host, shard, new.customer, key)
            .await
            .map_err(|e| failure::store(host, what, &e))?;
        let Some(row) = found else {
            return Ok(Taken::Released);
        };
        if row.items_hash != new.items_hash {
            return Err(ApiError::Service(OrderError::IdempotencyKeyReused));
        }
        let age = now_ms(host).saturating_sub(row.created_at);
        match row.status {
            placed if placed.is_visible() => {
                return match store::find_order(host, shard, &row.id).await {
                    Ok(Some(order)) => Ok(Taken::Replay(order)),
                    Ok(None) => Err(failure::internal(host, what, "a placed order has no items")),
                    Err(e) => Err(failure::store(host, what, &e)),
                };
            }
            Status::Failing => return Ok(Taken::Abandoned(row.id)),
            Status::Pending if age > abandoned_after => return Ok(Taken::Abandoned(row.id)),
            _ => {}
        }
    }
    Err(ApiError::Service(OrderError::IdempotencyInProgress))
}

fn now_ms(host: &impl Host) -> i64 {
    i64::try_from(host.now_ms()).unwrap_or(i64::MAX)
}

//! `Idempotency-Key`: the same key from the same customer places one order.
//!
//! The key is taken by inserting the order's row as `pending` on the
//! customer's shard before anything is reserved; `UNIQUE(customer,
//! idempotency_key)` lets only one request win. A loser reads the winner's
//! row: other items (by hash) is 409 `idempotency_key_reused`; a confirmed
//! order is replayed (201, `Idempotent-Replayed: true`); a pending one is
//! still being placed, so the loser polls it every 25 ms for up to 10 s
//! until it is confirmed (replay) or gone (the winner failed and cleaned
//! up: the caller starts over), else 409 `idempotency_in_progress`.
//!
//! A row still pending a minute after it was written belongs to a request
//! that died without cleaning up (its instance was stopped mid-order): the
//! caller takes it over ([`crate::place`] deletes it, then gives back what
//! that order may hold) instead of refusing the key forever.

use crate::errors::ApiError;
use crate::failure;
use crate::ports::{Claims, Host, SqlError};
use crate::store::{self, CONFIRMED, Order};

/// Pause between two reads of a pending order.
pub const POLL_MS: u64 = 25;
/// How long to wait for a pending order: 10 s of polls.
pub const MAX_POLLS: u64 = 10_000 / POLL_MS;
/// Age (host clock) after which a pending row is abandoned.
pub const ABANDONED_AFTER_MS: i64 = 60_000;

/// What taking a key found.
#[derive(Debug)]
pub enum Taken {
    /// Ours: a pending row with our order id now holds the key.
    Ours,
    /// An earlier request with the same items placed this order.
    Replay(Order),
    /// The request holding the key failed and gave it up: try again.
    Released,
    /// The request holding the key (this order id) died long ago without
    /// cleaning up: take over its pending row, then try again.
    Abandoned(String),
}

/// The new order's identity and where it goes.
pub struct Pending<'a> {
    pub shard: u32,
    pub order_id: &'a str,
    pub key: &'a str,
    pub items_hash: &'a str,
}

/// Takes `key` for `caller` with a pending row, or finds who has it.
pub async fn take(host: &impl Host, caller: &Claims, new: &Pending<'_>) -> Result<Taken, ApiError> {
    let now = now_ms(host);
    let params = vec![
        new.order_id.into(),
        caller.subject.as_str().into(),
        caller.tenant.as_str().into(),
        new.key.into(),
        new.items_hash.into(),
        now.into(),
    ];
    match host.execute(new.shard, store::INSERT_PENDING, params).await {
        Ok(_) => Ok(Taken::Ours),
        Err(SqlError::ConstraintViolation(_)) => wait_for_holder(host, caller, new).await,
        Err(e) => Err(failure::sql(host, "taking an idempotency key", &e)),
    }
}

/// Polls the row holding the key until it is confirmed or gone.
async fn wait_for_holder(
    host: &impl Host,
    caller: &Claims,
    new: &Pending<'_>,
) -> Result<Taken, ApiError> {
    let what = "reading an idempotency key";
    for poll in 0..=MAX_POLLS {
        if poll > 0 {
            host.sleep_ms(POLL_MS).await;
        }
        let found = store::find_key(host, new.shard, &caller.subject, new.key)
            .await
            .map_err(|e| failure::store(host, what, &e))?;
        let Some(row) = found else {
            return Ok(Taken::Released);
        };
        if row.items_hash != new.items_hash {
            return Err(ApiError::IdempotencyKeyReused);
        }
        if row.status != CONFIRMED
            && now_ms(host).saturating_sub(row.created_at) > ABANDONED_AFTER_MS
        {
            return Ok(Taken::Abandoned(row.id));
        }
        if row.status == CONFIRMED {
            return match store::find_order(host, new.shard, &row.id).await {
                Ok(Some(order)) => Ok(Taken::Replay(order)),
                Ok(None) => Err(failure::internal(
                    host,
                    what,
                    "a confirmed order has no items",
                )),
                Err(e) => Err(failure::store(host, what, &e)),
            };
        }
    }
    Err(ApiError::IdempotencyInProgress)
}

fn now_ms(host: &impl Host) -> i64 {
    i64::try_from(host.now_ms()).unwrap_or(i64::MAX)
}

//! Settling an order that was never placed: its request died or stalled
//! after writing the pending row, so the stock hold, promotion units and
//! the row itself would otherwise stay. Used by housekeeping (pending rows
//! older than `abandoned_after_ms`, and `failing` ones) and by a request
//! that finds its idempotency key held by such an order.
//!
//! The row decides: the settler first turns it from `pending` to `failing`
//! with a conditional update. If the placer confirmed it first, that update
//! matches nothing and the order is left alone: a confirmed order is never
//! touched. Once the row is `failing` the placer can no longer confirm it,
//! so giving back its stock and units is safe; both calls are idempotent,
//! so a settler that finds the row already `failing` (an earlier round whose
//! give-back failed, or a concurrent settler) gives back again and nothing
//! comes back twice. Only when both are back is the row deleted; otherwise
//! it stays `failing` for the next round.

use crate::giveback;
use crate::lifecycle::{self, DELETE_FAILING, MARK_FAILING};
use crate::ports::{Host, Level, SqlError, Statement};
use crate::status::Status;
use crate::store::{self, StoreError};

/// What settling an order did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// Its stock and units are back and its row is gone.
    GivenBack,
    /// It is `failing`, but giving back failed: left for the next round.
    Kept,
    /// Not to be settled: it was placed (or is gone, settled by someone
    /// else).
    Untouched,
}

/// Settles order `id` on `shard` if it is pending or failing.
pub async fn settle(host: &impl Host, shard: u32, id: &str) -> Result<Settled, StoreError> {
    let marked = host.execute(shard, MARK_FAILING, vec![id.into()]).await?;
    if marked == 0 {
        let state = lifecycle::find_state(host, shard, id).await?;
        if state.is_none_or(|s| s.status != Status::Failing) {
            return Ok(Settled::Untouched);
        }
    }
    if !giveback::everything(host, id, "a settled order's").await {
        host.log(
            Level::Warn,
            "settling an order failed; kept for the next round",
            &[("order", id), ("shard", &shard.to_string())],
        );
        return Ok(Settled::Kept);
    }
    // The row must still be failing; its items (a failing order never had
    // any, but nothing may outlive the row) go in the same transaction.
    let batch = vec![
        Statement::expect(DELETE_FAILING, vec![id.into()], 1),
        Statement::any(store::DELETE_ITEMS, vec![id.into()]),
    ];
    match host.batch(shard, batch).await {
        Ok(_) => {
            host.log(Level::Info, "unplaced order settled", &[("order", id)]);
            Ok(Settled::GivenBack)
        }
        // A concurrent settler deleted it first.
        Err(SqlError::ExpectationFailed(_)) => Ok(Settled::Untouched),
        Err(e) => Err(e.into()),
    }
}

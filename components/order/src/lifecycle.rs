//! The statements that move an order between statuses after it was written
//! pending (see [`crate::status`]), the read of an order's row whatever its
//! status, and housekeeping's selections of the orders due for work. Every
//! move is conditional on the status it starts from, so of two concurrent
//! movers exactly one changes the row (the other sees 0 rows and re-reads).

use crate::ports::{Shards, Value};
use crate::status::Status;
use crate::store::{self, StoreError};
use sluice_kit::sql;

/// An order's row, whatever its status (no items).
pub const SELECT_STATE: &str =
    "SELECT customer, status, created_at, cancelled_at FROM orders WHERE id = ?";

/// A settler gives up a pending order: from now on its placer cannot
/// confirm it (`CONFIRM_PENDING` matches pending rows only).
pub const MARK_FAILING: &str =
    "UPDATE orders SET status = 'failing' WHERE id = ? AND status = 'pending'";

/// Removes a given-up order once its units are back.
pub const DELETE_FAILING: &str = "DELETE FROM orders WHERE id = ? AND status = 'failing'";

/// Decides a cancel (`cancelled_at`, then the order's id).
pub const START_CANCEL: &str = "UPDATE orders SET status = 'cancelling', cancelled_at = ? \
WHERE id = ? AND status = 'confirmed'";

/// Completes a cancel whose stock and units are back.
pub const FINISH_CANCEL: &str =
    "UPDATE orders SET status = 'cancelled' WHERE id = ? AND status = 'cancelling'";

/// Pending orders written before `?` (their request died or stalled), the
/// oldest `?` of them (index `orders_by_status`).
pub const DUE_PENDING: &str = "SELECT id FROM orders WHERE status = 'pending' \
AND created_at < ? ORDER BY created_at, id LIMIT ?";

/// Given-up orders whose units are not all back yet, the oldest `?`.
pub const DUE_FAILING: &str =
    "SELECT id FROM orders WHERE status = 'failing' ORDER BY created_at, id LIMIT ?";

/// Cancels decided before `?` and not finished (the request that decided
/// them failed or died), the oldest `?` of them.
pub const DUE_CANCELLING: &str = "SELECT id FROM orders WHERE status = 'cancelling' \
AND cancelled_at < ? ORDER BY cancelled_at, id LIMIT ?";

/// An order's row as [`SELECT_STATE`] reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    pub customer: String,
    pub status: Status,
    pub created_at: i64,
    pub cancelled_at: Option<i64>,
}

/// The row of order `id` on `shard`, if any.
pub async fn find_state(
    shards: &impl Shards,
    shard: u32,
    id: &str,
) -> Result<Option<State>, StoreError> {
    let rows = shards.query(shard, SELECT_STATE, vec![id.into()]).await?;
    let Some(row) = rows.rows.first() else {
        return Ok(None);
    };
    Ok(Some(State {
        customer: sql::text(row, 0)?,
        status: store::status(row, 1)?,
        created_at: sql::integer(row, 2)?,
        cancelled_at: store::optional_integer(row, 3)?,
    }))
}

/// The ids a housekeeping selection (`sql` with `params`) returns.
pub async fn due(
    shards: &impl Shards,
    shard: u32,
    sql: &str,
    params: Vec<Value>,
) -> Result<Vec<String>, StoreError> {
    let rows = shards.query(shard, sql, params).await?;
    let ids = rows
        .rows
        .iter()
        .map(|row| sql::text(row, 0))
        .collect::<Result<_, _>>()?;
    Ok(ids)
}

//! Cancelling an order (`POST /api/orders/{id}/cancel`): its owner within
//! [`CANCEL_WINDOW_MS`] of placing it, an admin at any time.
//!
//! A cancel is decided on the order's row, then carried out:
//! `confirmed → cancelling` (with `cancelled_at`) by a conditional update,
//! then the stock is released and the promotion units unclaimed, then
//! `cancelling → cancelled`. Release and unclaim are idempotent by order
//! id, so however often a cancel is retried or raced, or resumed by
//! housekeeping (a `cancelling` row older than 10 s, [`finish`]), the stock
//! and units come back exactly once. A cancel whose give-back fails is 503
//! and the row stays `cancelling`: a retried cancel (even past the window,
//! since the cancel was already decided) or housekeeping finishes it.
//!
//! Who may not see the order gets 404, as for reads; an order that cannot
//! be cancelled from its status (already cancelled, or never placed) is 409
//! `invalid_transition`.

use crate::auth;
use crate::errors::{ApiError, OrderError};
use crate::failure;
use crate::giveback;
use crate::lifecycle::{self, FINISH_CANCEL, START_CANCEL, State};
use crate::ports::{Claims, Host, Level};
use crate::shard;
use crate::status::{self, Status};
use crate::store::{self, StoreError};
use crate::wire::OrderJson;
use sluice_kit::reply::Reply;

/// How long after it was placed (`created_at`) a customer may cancel an
/// order: 30 minutes, long enough to notice a mistake, short enough that
/// it has not been packed yet. Admins are not bound by it.
pub const CANCEL_WINDOW_MS: i64 = 30 * 60 * 1000;

/// A cancel reads the row again after losing a race; statuses only move
/// forward, so a few steps always reach an answer.
const MAX_STEPS: usize = 5;

/// What [`finish`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finished {
    /// Stock and units are back; the order is now cancelled.
    Cancelled,
    /// Stock and units are back, but the row was no longer `cancelling`
    /// (someone else finished the cancel first).
    Moved,
    /// Giving back failed: the row stays `cancelling`.
    Kept,
}

/// `POST /api/orders/{id}/cancel`.
pub async fn cancel(host: &impl Host, caller: &Claims, id: &str) -> Result<Reply, ApiError> {
    let shard = shard::shard_of_order(id, host.shard_count()).ok_or(ApiError::NotFound)?;
    let admin = auth::is_admin(caller);
    let mut state = read(host, shard, id).await?;
    if state.customer != caller.subject && !admin {
        return Err(ApiError::NotFound);
    }
    // Whether this request gave back the order's stock and units itself.
    let mut finished_here = false;
    for _ in 0..MAX_STEPS {
        match state.status {
            Status::Cancelling => {
                match finish(host, shard, id).await.map_err(|e| store(host, &e))? {
                    Finished::Cancelled => return reply(host, shard, id).await,
                    Finished::Moved => {
                        finished_here = true;
                        state = read(host, shard, id).await?;
                    }
                    Finished::Kept => {
                        return Err(failure::unavailable(
                            host,
                            "cancelling an order",
                            "giving back its stock or units failed; the cancel finishes later",
                        ));
                    }
                }
            }
            // A concurrent cancel flipped it while this one gave back too.
            Status::Cancelled if finished_here => return reply(host, shard, id).await,
            from if status::allowed(from, Status::Cancelling) => {
                let now = now_ms(host);
                if !admin && now.saturating_sub(state.created_at) > CANCEL_WINDOW_MS {
                    return Err(ApiError::Service(OrderError::CancelWindowClosed));
                }
                let params = vec![now.into(), id.into()];
                let started = host
                    .execute(shard, START_CANCEL, params)
                    .await
                    .map_err(|e| failure::sql(host, "cancelling an order", &e))?;
                if started == 1 {
                    host.log(Level::Info, "order cancel decided", &[("order", id)]);
                    state.status = Status::Cancelling;
                } else {
                    state = read(host, shard, id).await?;
                }
            }
            from => {
                return Err(ApiError::Service(OrderError::InvalidTransition {
                    order: id.to_string(),
                    status: from,
                    action: "cancelled",
                }));
            }
        }
    }
    Err(failure::internal(
        host,
        "cancelling an order",
        "its status kept changing",
    ))
}

/// Gives back the stock and units of the `cancelling` order `id` on
/// `shard` and marks it cancelled. Safe to run by several at once.
pub async fn finish(host: &impl Host, shard: u32, id: &str) -> Result<Finished, StoreError> {
    if !giveback::everything(host, id, "a cancelled order's").await {
        return Ok(Finished::Kept);
    }
    let flipped = host.execute(shard, FINISH_CANCEL, vec![id.into()]).await?;
    if flipped == 1 {
        host.log(Level::Info, "order cancelled", &[("order", id)]);
        Ok(Finished::Cancelled)
    } else {
        Ok(Finished::Moved)
    }
}

/// The row of order `id`; 404 if there is none.
async fn read(host: &impl Host, shard: u32, id: &str) -> Result<State, ApiError> {
    lifecycle::find_state(host, shard, id)
        .await
        .map_err(|e| store(host, &e))?
        .ok_or(ApiError::NotFound)
}

/// The 200 reply with the order as it is now.
async fn reply(host: &impl Host, shard: u32, id: &str) -> Result<Reply, ApiError> {
    let order = store::find_order(host, shard, id)
        .await
        .map_err(|e| store(host, &e))?
        .ok_or_else(|| {
            failure::internal(
                host,
                "cancelling an order",
                "a cancelled order has no items",
            )
        })?;
    Ok(Reply::json(200, &OrderJson::from(&order)))
}

fn store(host: &impl Host, e: &StoreError) -> ApiError {
    failure::store(host, "cancelling an order", e)
}

fn now_ms(host: &impl Host) -> i64 {
    i64::try_from(host.now_ms()).unwrap_or(i64::MAX)
}

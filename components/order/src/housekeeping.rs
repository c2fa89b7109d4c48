//! Housekeeping (the `housekeeping` export, run by the host every tick on
//! every node): one bounded round over every shard that settles orders
//! whose request died half-way ([`settle`]) and finishes cancels whose
//! request failed or died ([`cancel::finish`]).
//!
//! Per shard, at most [`BATCH`] of each: `failing` orders (their give-back
//! failed before), `pending` orders older than `abandoned_after_ms`
//! ([`settings`]), and `cancelling` orders decided more than
//! [`CANCEL_GRACE_MS`] ago. Every step is a conditional update or an
//! idempotent call, so rounds on several nodes at once, or a request doing
//! the same, are harmless. Shards are worked at the same time; one that
//! fails does not stop the others, and the round then reports an error (the
//! host logs it; the rows stay due and the next round tries again).

use crate::cancel::{self, Finished};
use crate::lifecycle::{self, DUE_CANCELLING, DUE_FAILING, DUE_PENDING};
use crate::ports::{Host, Value};
use crate::settings;
use crate::settle::{self, Settled};
use futures::future::join_all;

/// The most orders of each kind one round takes from one shard.
pub const BATCH: i64 = 50;
/// How long a cancel is left to the request that decided it before
/// housekeeping finishes it.
pub const CANCEL_GRACE_MS: i64 = 10_000;

/// One round: how many orders were settled or had their cancel finished.
pub async fn run(host: &impl Host) -> Result<u32, String> {
    let now = i64::try_from(host.now_ms()).unwrap_or(i64::MAX);
    let due = Due {
        pending_before: now.saturating_sub(settings::abandoned_after_ms(host)),
        cancelling_before: now.saturating_sub(CANCEL_GRACE_MS),
    };
    let shards = 0..host.shard_count();
    let rounds = join_all(shards.map(|shard| shard_round(host, shard, &due))).await;
    let mut done = 0u32;
    let mut errors = Vec::new();
    for (shard, round) in rounds.into_iter().enumerate() {
        match round {
            Ok(n) => done = done.saturating_add(n),
            Err(e) => errors.push(format!("shard {shard}: {e}")),
        }
    }
    if errors.is_empty() {
        Ok(done)
    } else {
        Err(errors.join("; "))
    }
}

/// The cut-off times of one round (ms since the Unix epoch).
struct Due {
    pending_before: i64,
    cancelling_before: i64,
}

/// One shard's work; an error stops this shard's round only.
async fn shard_round(host: &impl Host, shard: u32, due: &Due) -> Result<u32, String> {
    let (mut done, mut kept) = (0u32, 0u32);
    let ids = |sql: &'static str, params: Vec<Value>| async move {
        lifecycle::due(host, shard, sql, params)
            .await
            .map_err(|e| format!("selecting due orders: {e}"))
    };
    let mut unplaced = ids(DUE_FAILING, vec![BATCH.into()]).await?;
    unplaced.extend(ids(DUE_PENDING, vec![due.pending_before.into(), BATCH.into()]).await?);
    for id in &unplaced {
        let settled = settle::settle(host, shard, id)
            .await
            .map_err(|e| format!("settling {id}: {e}"))?;
        match settled {
            Settled::GivenBack => done += 1,
            Settled::Kept => kept += 1,
            Settled::Untouched => {}
        }
    }
    let params = vec![due.cancelling_before.into(), BATCH.into()];
    for id in &ids(DUE_CANCELLING, params).await? {
        let finished = cancel::finish(host, shard, id)
            .await
            .map_err(|e| format!("finishing the cancel of {id}: {e}"))?;
        match finished {
            Finished::Cancelled => done += 1,
            Finished::Kept => kept += 1,
            Finished::Moved => {}
        }
    }
    if kept > 0 {
        return Err(format!(
            "{kept} orders could not give back their stock or units; kept for the next round"
        ));
    }
    Ok(done)
}

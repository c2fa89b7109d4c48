//! What a failing order gives back ([`Saga::abort`]), kept apart from the
//! happy path in [`crate::place`].
//!
//! Every order's pending row is written before anything is taken, so what
//! the saga cannot give back now stays visible to housekeeping: the claimed
//! units are unclaimed and the reservation released (retried), and the
//! pending row is deleted only if both came back; otherwise it stays
//! pending and housekeeping settles it once it is older than
//! `abandoned_after_ms` ([`crate::settle`]). A reservation that failed
//! outright took nothing and is not released; one that failed as
//! `unavailable` may have been taken after all, so it is released too (a
//! release of an unknown id also stops a late reserve).
//!
//! A write that failed as `unavailable` may have committed: its rows are
//! deleted (the delete waits for the row locks of a transaction still
//! open) before anything is given back, and if that delete fails too the
//! stock is kept and the order logged, so a confirmed order never loses its
//! stock (if the write did not commit, the row is still pending and
//! housekeeping settles it). A write that found its row no longer pending
//! lost the order to a settler, which gives everything back: the saga then
//! gives back nothing ([`Saga::lost`]). Nor does it after the write
//! succeeded ([`Saga::done`]).

use crate::errors::ApiError;
use crate::giveback;
use crate::ports::{Host, Level, Statement};
use crate::store;

/// How the give-backs name a failed order in the log.
const WHOSE: &str = "a failed order's";

/// What the order's row on its shard may be, as far as the saga knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    /// Nothing of ours to clean up (written, undone, or a settler's now).
    None,
    /// Our pending row: deleted once everything is given back.
    Pending,
    /// The order write failed in a way that may have committed.
    MaybeWritten,
}

/// What an order holds so far, to give back if it fails.
pub struct Saga<'a, H> {
    host: &'a H,
    shard: u32,
    pub(crate) order_id: &'a str,
    pub(crate) row: Row,
    /// A reserve was sent (it may have taken the stock).
    pub(crate) reserved: bool,
    /// A claim was sent (it may have taken promotion units).
    pub(crate) claimed: bool,
}

impl<'a, H: Host> Saga<'a, H> {
    /// The saga of order `order_id`, whose pending row is written on `shard`.
    pub fn new(host: &'a H, shard: u32, order_id: &'a str) -> Self {
        Saga {
            host,
            shard,
            order_id,
            row: Row::Pending,
            reserved: false,
            claimed: false,
        }
    }

    pub fn shard(&self) -> u32 {
        self.shard
    }

    /// The order is written: nothing is to be given back.
    pub fn done(&mut self) {
        (self.row, self.reserved, self.claimed) = (Row::None, false, false);
    }

    /// A settler turned the pending row `failing` before it was written:
    /// the order is the settler's to give back, no longer ours.
    pub fn lost(&mut self) {
        self.done();
    }

    /// Gives back what the failed order holds and returns `err`.
    pub async fn abort(mut self, err: ApiError) -> ApiError {
        let (host, id) = (self.host, self.order_id);
        if self.row == Row::MaybeWritten {
            if !self
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
            self.row = Row::None;
        }
        let mut back = true;
        if self.claimed {
            back &= giveback::unclaim(host, id, WHOSE).await;
        }
        if self.reserved {
            back &= giveback::release(host, id, WHOSE).await;
        }
        match (self.row, back) {
            (Row::Pending, true) => {
                self.delete(&[store::DELETE_PENDING]).await;
            }
            (Row::Pending, false) => host.log(
                Level::Warn,
                "failed order kept for housekeeping",
                &[("order", id), ("shard", &self.shard.to_string())],
            ),
            (_, false) => host.log(
                Level::Error,
                "failed order's rows are gone but its stock or units are not back",
                &[("order", id)],
            ),
            (_, true) => {}
        }
        err
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

//! An order's statuses and the moves between them, in one place: every step
//! that changes an order's row asks [`allowed`], and a later status (say
//! `shipped`) slots in here.
//!
//! ```text
//! pending ──► confirmed ──► cancelling ──► cancelled
//!    │
//!    └──────► failing ──► (row deleted)
//! ```
//!
//! Placing writes the row `pending` before anything is reserved, so an
//! order that dies half-way always leaves a row that says so. The row is
//! the one decision point for the order's fate: whoever changes the pending
//! row first wins (the placer turning it `confirmed`, or a settler turning
//! it `failing`), and only the winner gives back stock and promotion units.
//! Every move is a conditional update (`... WHERE id = ? AND status = 'x'`),
//! so concurrent requests and housekeeping on several nodes agree on one
//! winner. `cancelling` records that a cancel was decided (the stock and
//! units may not be back yet); `failing` that a pending order was given up
//! (its units are being given back, then the row goes).

use std::fmt;

/// The status of an order's row (the `status` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Being placed: holds the idempotency key and the order id.
    Pending,
    /// Placed: stock confirmed, units claimed, items written.
    Confirmed,
    /// A cancel was decided; its stock and units are being given back.
    Cancelling,
    /// Cancelled: stock and units given back.
    Cancelled,
    /// Given up while pending: its units are being given back, then the
    /// row is deleted.
    Failing,
}

impl Status {
    /// Every status, in lifecycle order.
    pub const ALL: [Status; 5] = [
        Status::Pending,
        Status::Confirmed,
        Status::Cancelling,
        Status::Cancelled,
        Status::Failing,
    ];

    /// The value stored in the `status` column and shown in the JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Confirmed => "confirmed",
            Status::Cancelling => "cancelling",
            Status::Cancelled => "cancelled",
            Status::Failing => "failing",
        }
    }

    /// The status stored as `text`, if it is one.
    pub fn parse(text: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether the order is shown by reads, lists and idempotent replays:
    /// it was placed. Pending and failing orders never were.
    pub fn is_visible(self) -> bool {
        matches!(
            self,
            Status::Confirmed | Status::Cancelling | Status::Cancelled
        )
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether an order may move from `from` to `to`.
pub fn allowed(from: Status, to: Status) -> bool {
    use Status::*;
    matches!(
        (from, to),
        (Pending, Confirmed)
            | (Pending, Failing)
            | (Confirmed, Cancelling)
            | (Cancelling, Cancelled)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;

    #[test]
    fn statuses_round_trip_and_fit_the_column() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
            assert!(s.as_str().len() <= 16, "status VARCHAR(16): {s}");
        }
        assert_eq!(Status::parse("CONFIRMED"), None);
        assert_eq!(Status::parse(""), None);
    }

    #[test]
    fn only_the_lifecycle_moves_are_allowed() {
        let moves: Vec<(Status, Status)> = Status::ALL
            .into_iter()
            .flat_map(|a| Status::ALL.into_iter().map(move |b| (a, b)))
            .filter(|&(a, b)| allowed(a, b))
            .collect();
        assert_eq!(
            moves,
            [
                (Pending, Confirmed),
                (Pending, Failing),
                (Confirmed, Cancelling),
                (Cancelling, Cancelled),
            ]
        );
    }

    #[test]
    fn the_reads_show_exactly_the_visible_statuses() {
        for sql in [
            crate::store::SELECT_ORDER,
            crate::store::LIST_CUSTOMER,
            crate::store::LIST_ALL,
        ] {
            for s in Status::ALL {
                let quoted = format!("'{s}'");
                assert_eq!(sql.contains(&quoted), s.is_visible(), "{s} in {sql}");
            }
        }
    }
}

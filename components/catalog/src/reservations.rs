//! The `reservations` and `reservation_lines` tables and the stock-changing
//! statements: SQL text and row mapping.
//!
//! A reservation row is written in the same transaction as the stock it
//! takes, so "reserved" and "stock taken" can never disagree. Its `state`
//! moves forward only, each step under a conditional update on the state
//! the caller read: [`HELD`] to [`CONFIRMED`] (confirm), and [`HELD`] or
//! [`CONFIRMED`] to [`RELEASED`] (release, or the expiry of a hold). The
//! database's row lock orders competing steps, so whichever of a confirm
//! and an expiry commits first wins and the other matches 0 rows, and
//! stock goes back at most once.

use crate::ports::{Sql, SqlError, Statement, Value};
use crate::store::{self, StoreError};

/// State of a reservation whose units are taken from stock for a while: it
/// expires at `expires_at` unless confirmed first.
pub const HELD: &str = "held";
/// State of a reservation whose units are taken for good: the caller wrote
/// what they are for. It never expires; only `release` gives it back.
pub const CONFIRMED: &str = "confirmed";
/// State of a reservation whose units went back (or that was released
/// before it was ever made: a tombstone with no lines).
pub const RELEASED: &str = "released";

/// A new reservation: id, state, created_at, released_at, expires_at
/// (NULL for a tombstone, which holds nothing).
pub const INSERT: &str = "INSERT INTO reservations (id, state, created_at, released_at, expires_at) VALUES (?, ?, ?, ?, ?)";
/// One line of a reservation.
pub const INSERT_LINE: &str =
    "INSERT INTO reservation_lines (reservation_id, sku, qty) VALUES (?, ?, ?)";
/// Takes `qty` units if at least `qty` are left; matches 0 rows otherwise
/// (or if there is no such sku). The database evaluates the condition on
/// the row it locks, so concurrent reservations cannot both pass it.
pub const TAKE: &str =
    "UPDATE products SET stock = stock - ?, updated_at = ? WHERE sku = ? AND stock >= ?";
/// Gives `qty` units back.
pub const PUT_BACK: &str = "UPDATE products SET stock = stock + ?, updated_at = ? WHERE sku = ?";
/// Moves a reservation to released (state, released_at), only from the
/// state given last.
pub const MOVE_STATE: &str =
    "UPDATE reservations SET state = ?, released_at = ? WHERE id = ? AND state = ?";
/// Moves a reservation to confirmed, only from held: params confirmed, id,
/// held. Its `expires_at` stays as a record; the sweep reads held rows only.
pub const CONFIRM: &str = "UPDATE reservations SET state = ? WHERE id = ? AND state = ?";
/// A reservation's state.
pub const SELECT_STATE: &str = "SELECT state FROM reservations WHERE id = ?";
/// A reservation's lines, in sku order.
pub const SELECT_LINES: &str =
    "SELECT sku, qty FROM reservation_lines WHERE reservation_id = ? ORDER BY sku";
/// Units in stock of one sku.
pub const SELECT_STOCK: &str = "SELECT stock FROM products WHERE sku = ?";
/// Ids of reservations in a state (held) whose `expires_at` is before a
/// time, oldest first, at most a number of them. Reads the
/// `reservations_expiry (state, expires_at)` index of migration 3.
pub const SELECT_EXPIRED: &str =
    "SELECT id FROM reservations WHERE state = ? AND expires_at < ? ORDER BY expires_at LIMIT ?";

/// One line: units of a sku.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Line {
    pub sku: String,
    pub qty: i64,
}

/// The statements that hold `lines` (sorted by sku, one per sku) under
/// `id` until `expires_at_ms`, in one transaction. Statement 0 records the
/// reservation (a taken id fails it with a constraint violation); statement
/// `1 + i` takes the units of line `i` and must match exactly one row; the
/// rest record the lines. Taking rows in sku order means two multi-line
/// reservations lock rows in the same order and cannot deadlock each other.
pub fn reserve_batch(id: &str, lines: &[Line], now_ms: i64, expires_at_ms: i64) -> Vec<Statement> {
    let mut batch = vec![Statement::expect(
        INSERT,
        vec![
            Value::Text(id.to_string()),
            Value::Text(HELD.to_string()),
            Value::Integer(now_ms),
            Value::Null,
            Value::Integer(expires_at_ms),
        ],
        1,
    )];
    batch.extend(lines.iter().map(|line| {
        Statement::expect(
            TAKE,
            vec![
                Value::Integer(line.qty),
                Value::Integer(now_ms),
                Value::Text(line.sku.clone()),
                Value::Integer(line.qty),
            ],
            1,
        )
    }));
    batch.extend(lines.iter().map(|line| {
        Statement::expect(
            INSERT_LINE,
            vec![
                Value::Text(id.to_string()),
                Value::Text(line.sku.clone()),
                Value::Integer(line.qty),
            ],
            1,
        )
    }));
    batch
}

/// The statements that release reservation `id` with `lines`, read in
/// state `from` ([`HELD`] or [`CONFIRMED`]): statement 0 flips it to
/// released only if it is still in `from`, and must match one row (0 rows:
/// it moved since it was read, confirmed or released by someone else, and
/// nothing is given back on a stale reading); the rest give the units back.
pub fn release_batch(id: &str, lines: &[Line], now_ms: i64, from: &str) -> Vec<Statement> {
    let mut batch = vec![Statement::expect(
        MOVE_STATE,
        vec![
            Value::Text(RELEASED.to_string()),
            Value::Integer(now_ms),
            Value::Text(id.to_string()),
            Value::Text(from.to_string()),
        ],
        1,
    )];
    batch.extend(lines.iter().map(|line| {
        Statement::any(
            PUT_BACK,
            vec![
                Value::Integer(line.qty),
                Value::Integer(now_ms),
                Value::Text(line.sku.clone()),
            ],
        )
    }));
    batch
}

/// Releases reservation `id` if it is still in state `from`: reads its
/// lines (written once, with the reservation) and runs [`release_batch`].
/// `Some(lines)`: this call gave them back. `None`: the reservation had
/// moved on since `from` was read (confirmed, or released by someone
/// else), and nothing changed.
pub async fn give_back(
    db: &impl Sql,
    id: &str,
    from: &str,
    now_ms: i64,
) -> Result<Option<Vec<Line>>, StoreError> {
    let lines = lines(db, id).await?;
    match db.batch(release_batch(id, &lines, now_ms, from)).await {
        Ok(_) => Ok(Some(lines)),
        Err(SqlError::ExpectationFailed(0)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Moves the held reservation `id` to confirmed; returns the rows matched
/// (0: it is not held: confirmed, released or unknown).
pub async fn confirm(db: &impl Sql, id: &str) -> Result<u64, SqlError> {
    db.execute(
        CONFIRM,
        vec![
            Value::Text(CONFIRMED.to_string()),
            Value::Text(id.to_string()),
            Value::Text(HELD.to_string()),
        ],
    )
    .await
}

/// Records `id` as released without ever having been held, so that a
/// late `reserve` with this id is refused. It holds nothing, so it has no
/// expiry.
pub async fn insert_tombstone(db: &impl Sql, id: &str, now_ms: i64) -> Result<u64, SqlError> {
    db.execute(
        INSERT,
        vec![
            Value::Text(id.to_string()),
            Value::Text(RELEASED.to_string()),
            Value::Integer(now_ms),
            Value::Integer(now_ms),
            Value::Null,
        ],
    )
    .await
}

/// Ids of held reservations whose hold ended before `now_ms`, the longest
/// expired first, at most `limit`.
pub async fn expired(db: &impl Sql, now_ms: i64, limit: u32) -> Result<Vec<String>, StoreError> {
    let rows = db
        .query(
            SELECT_EXPIRED,
            vec![
                Value::Text(HELD.to_string()),
                Value::Integer(now_ms),
                Value::Integer(limit.into()),
            ],
        )
        .await?;
    rows.rows
        .iter()
        .map(|row| store::text(store::column(&rows.columns, row, "id")?, "id"))
        .collect()
}

/// The state of reservation `id`, if it exists.
pub async fn state(db: &impl Sql, id: &str) -> Result<Option<String>, StoreError> {
    let rows = db
        .query(SELECT_STATE, vec![Value::Text(id.to_string())])
        .await?;
    rows.rows
        .first()
        .map(|row| store::column(&rows.columns, row, "state").and_then(|v| store::text(v, "state")))
        .transpose()
}

/// The lines of reservation `id`, in sku order.
pub async fn lines(db: &impl Sql, id: &str) -> Result<Vec<Line>, StoreError> {
    let rows = db
        .query(SELECT_LINES, vec![Value::Text(id.to_string())])
        .await?;
    rows.rows
        .iter()
        .map(|row| {
            Ok(Line {
                sku: store::text(store::column(&rows.columns, row, "sku")?, "sku")?,
                qty: store::integer(store::column(&rows.columns, row, "qty")?, "qty")?,
            })
        })
        .collect()
}

/// Units in stock of `sku`, straight from the database; `None` if there is
/// no such product.
pub async fn stock_of(db: &impl Sql, sku: &str) -> Result<Option<i64>, StoreError> {
    let rows = db
        .query(SELECT_STOCK, vec![Value::Text(sku.to_string())])
        .await?;
    rows.rows
        .first()
        .map(|row| store::integer(store::column(&rows.columns, row, "stock")?, "stock"))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(sku: &str, qty: i64) -> Line {
        Line {
            sku: sku.into(),
            qty,
        }
    }

    #[test]
    fn a_reserve_batch_records_takes_and_lists() {
        let batch = reserve_batch("r1", &[line("A", 2), line("B", 1)], 7, 60_007);
        let sqls: Vec<&str> = batch.iter().map(|s| s.sql.as_str()).collect();
        assert_eq!(sqls, [INSERT, TAKE, TAKE, INSERT_LINE, INSERT_LINE]);
        assert!(batch.iter().all(|s| s.expect_rows == Some(1)));
        assert_eq!(
            batch[0].params,
            [
                Value::Text("r1".into()),
                Value::Text("held".into()),
                Value::Integer(7),
                Value::Null,
                Value::Integer(60_007)
            ]
        );
        assert_eq!(
            batch[1].params,
            [
                Value::Integer(2),
                Value::Integer(7),
                Value::Text("A".into()),
                Value::Integer(2)
            ]
        );
        for s in &batch {
            assert_eq!(s.sql.matches('?').count(), s.params.len(), "{}", s.sql);
        }
    }

    #[test]
    fn a_release_batch_flips_state_once_then_puts_back() {
        let batch = release_batch("r1", &[line("A", 2)], 9, HELD);
        assert_eq!(batch[0].sql, MOVE_STATE);
        assert_eq!(batch[0].expect_rows, Some(1));
        assert_eq!(
            batch[0].params,
            [
                Value::Text("released".into()),
                Value::Integer(9),
                Value::Text("r1".into()),
                Value::Text("held".into())
            ]
        );
        assert_eq!(batch[1].sql, PUT_BACK);
        assert_eq!(batch[1].expect_rows, None);
        for s in &batch {
            assert_eq!(s.sql.matches('?').count(), s.params.len(), "{}", s.sql);
        }
        // Released only from the state that was read.
        let batch = release_batch("r1", &[line("A", 2)], 9, CONFIRMED);
        assert_eq!(batch[0].params[3], Value::Text("confirmed".into()));
    }

    #[test]
    fn state_and_expiry_statements_use_placeholders_only() {
        assert_eq!(CONFIRM.matches('?').count(), 3);
        assert_eq!(SELECT_EXPIRED.matches('?').count(), 3);
        assert_eq!(INSERT.matches('?').count(), 5);
        for sql in [CONFIRM, MOVE_STATE, SELECT_EXPIRED] {
            assert!(!sql.contains('\''), "{sql}");
        }
    }
}

//! The `reservations` and `reservation_lines` tables and the stock-changing
//! statements: SQL text and row mapping.
//!
//! A reservation row is written in the same transaction as the stock it
//! takes, so "reserved" and "stock taken" can never disagree. Its `state`
//! moves once, from [`HELD`] to [`RELEASED`], under a conditional update;
//! that is what makes `release` give stock back at most once.

use crate::ports::{Sql, Statement, Value};
use crate::store::{self, StoreError};

/// State of a reservation whose units are taken from stock.
pub const HELD: &str = "held";
/// State of a reservation whose units went back (or that was released
/// before it was ever made: a tombstone with no lines).
pub const RELEASED: &str = "released";

/// A new reservation: id, state, created_at, released_at.
pub const INSERT: &str =
    "INSERT INTO reservations (id, state, created_at, released_at) VALUES (?, ?, ?, ?)";
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
/// Moves a reservation from one state to another, only from that state.
pub const MOVE_STATE: &str =
    "UPDATE reservations SET state = ?, released_at = ? WHERE id = ? AND state = ?";
/// A reservation's state.
pub const SELECT_STATE: &str = "SELECT state FROM reservations WHERE id = ?";
/// A reservation's lines, in sku order.
pub const SELECT_LINES: &str =
    "SELECT sku, qty FROM reservation_lines WHERE reservation_id = ? ORDER BY sku";
/// Units in stock of one sku.
pub const SELECT_STOCK: &str = "SELECT stock FROM products WHERE sku = ?";

/// One line: units of a sku.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Line {
    pub sku: String,
    pub qty: i64,
}

/// The statements that reserve `lines` (sorted by sku, one per sku) under
/// `id` in one transaction. Statement 0 records the reservation (a taken id
/// fails it with a constraint violation); statement `1 + i` takes the units
/// of line `i` and must match exactly one row; the rest record the lines.
/// Taking rows in sku order means two multi-line reservations lock rows in
/// the same order and cannot deadlock each other.
pub fn reserve_batch(id: &str, lines: &[Line], now_ms: i64) -> Vec<Statement> {
    let mut batch = vec![Statement::expecting(
        INSERT,
        vec![
            Value::Text(id.to_string()),
            Value::Text(HELD.to_string()),
            Value::Integer(now_ms),
            Value::Null,
        ],
        1,
    )];
    batch.extend(lines.iter().map(|line| {
        Statement::expecting(
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
        Statement::expecting(
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

/// The statements that release the held reservation `id` with `lines`:
/// statement 0 flips it to released and must match one row (0 rows: someone
/// released it first, and nothing is given back twice); the rest give the
/// units back.
pub fn release_batch(id: &str, lines: &[Line], now_ms: i64) -> Vec<Statement> {
    let mut batch = vec![Statement::expecting(
        MOVE_STATE,
        vec![
            Value::Text(RELEASED.to_string()),
            Value::Integer(now_ms),
            Value::Text(id.to_string()),
            Value::Text(HELD.to_string()),
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

/// Records `id` as released without ever having been held, so that a
/// late `reserve` with this id is refused.
pub async fn insert_tombstone(
    db: &impl Sql,
    id: &str,
    now_ms: i64,
) -> Result<u64, crate::ports::SqlError> {
    db.execute(
        INSERT,
        vec![
            Value::Text(id.to_string()),
            Value::Text(RELEASED.to_string()),
            Value::Integer(now_ms),
            Value::Integer(now_ms),
        ],
    )
    .await
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
        let batch = reserve_batch("r1", &[line("A", 2), line("B", 1)], 7);
        let sqls: Vec<&str> = batch.iter().map(|s| s.sql.as_str()).collect();
        assert_eq!(sqls, [INSERT, TAKE, TAKE, INSERT_LINE, INSERT_LINE]);
        assert!(batch.iter().all(|s| s.expect_rows == Some(1)));
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
        let batch = release_batch("r1", &[line("A", 2)], 9);
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
    }
}

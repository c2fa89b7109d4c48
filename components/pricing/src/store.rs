//! The pricing tables: SQL text and row mapping, over the [`Sql`] port.
//! Statements use `?` placeholders (the host rewrites them for PostgreSQL).
//!
//! Base prices are not here: they are catalog's, read on every quote through
//! its `products` lookup (see [`crate::quote`]). The `prices` copy pricing
//! once kept is dropped by migration 3 (see [`crate::migrations`]).
//!
//! - `promotions`: flash sales, with `claimed_units`, the units orders have
//!   claimed and not released.
//! - `promotion_claims (claim_id, promotion_id, units, claimed_at,
//!   released_at)`: who claimed what, so that a retried claim and a repeated
//!   unclaim are harmless.

use crate::ports::{Rows, Sql, SqlError, Statement, Value};
use crate::promotion::{Discount, NewPromotion, Promotion};

/// One line of a stored claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRow {
    pub promotion_id: String,
    pub units: i64,
    pub released: bool,
}

pub use sluice_kit::sql::StoreError;

/// Every promotion, in window order.
pub const SELECT_PROMOTIONS: &str = "SELECT id, sku, percent_off, fixed_price, starts_at, ends_at, max_units, claimed_units FROM promotions ORDER BY starts_at, id";
/// The promotions of a sku whose window contains an instant.
pub const SELECT_ACTIVE: &str = "SELECT id, sku, percent_off, fixed_price, starts_at, ends_at, max_units, claimed_units FROM promotions WHERE sku = ? AND starts_at <= ? AND ends_at > ?";
/// One promotion by id.
pub const SELECT_PROMOTION: &str = "SELECT id, sku, percent_off, fixed_price, starts_at, ends_at, max_units, claimed_units FROM promotions WHERE id = ?";
/// Inserts a promotion with nothing claimed.
pub const INSERT_PROMOTION: &str = "INSERT INTO promotions (id, sku, percent_off, fixed_price, starts_at, ends_at, max_units, claimed_units, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)";
/// Deletes a promotion.
pub const DELETE_PROMOTION: &str = "DELETE FROM promotions WHERE id = ?";

/// Records one line of a claim.
pub const INSERT_CLAIM: &str =
    "INSERT INTO promotion_claims (claim_id, promotion_id, units, claimed_at) VALUES (?, ?, ?, ?)";
/// Takes units from a promotion, only while it is active and, if capped,
/// has enough left: the conditional update that makes a cap exact under
/// any concurrency (the row lock serialises writers and the condition is
/// re-checked on the latest row). Params: units, id, now, now, units.
pub const TAKE_UNITS: &str = "UPDATE promotions SET claimed_units = claimed_units + ? WHERE id = ? AND starts_at <= ? AND ends_at > ? AND (max_units IS NULL OR claimed_units + ? <= max_units)";
/// The lines of a claim.
pub const SELECT_CLAIM: &str = "SELECT promotion_id, units, released_at FROM promotion_claims WHERE claim_id = ? ORDER BY promotion_id";
/// Marks one line of a claim released, once.
pub const RELEASE_CLAIM: &str = "UPDATE promotion_claims SET released_at = ? WHERE claim_id = ? AND promotion_id = ? AND released_at IS NULL";
/// Gives units back to a promotion.
pub const RETURN_UNITS: &str =
    "UPDATE promotions SET claimed_units = claimed_units - ? WHERE id = ?";

/// The promotions of `sku` active at `now_ms`.
pub async fn active_promotions(
    db: &impl Sql,
    sku: &str,
    now_ms: i64,
) -> Result<Vec<Promotion>, StoreError> {
    let params = vec![
        Value::Text(sku.to_string()),
        Value::Integer(now_ms),
        Value::Integer(now_ms),
    ];
    promotions(&db.query(SELECT_ACTIVE, params).await?)
}

/// Every promotion, in window order.
pub async fn all_promotions(db: &impl Sql) -> Result<Vec<Promotion>, StoreError> {
    promotions(&db.query(SELECT_PROMOTIONS, vec![]).await?)
}

/// The promotion with `id`, if any.
pub async fn find_promotion(db: &impl Sql, id: &str) -> Result<Option<Promotion>, StoreError> {
    let rows = db
        .query(SELECT_PROMOTION, vec![Value::Text(id.to_string())])
        .await?;
    Ok(promotions(&rows)?.into_iter().next())
}

/// Inserts `promotion` under `id` with nothing claimed.
pub async fn insert_promotion(
    db: &impl Sql,
    id: &str,
    promotion: &NewPromotion,
    created_at_ms: i64,
) -> Result<(), SqlError> {
    let (percent, fixed) = match promotion.discount {
        Discount::PercentOff(p) => (Value::Integer(p.into()), Value::Null),
        Discount::FixedPrice(f) => (Value::Null, Value::Integer(f)),
    };
    let params = vec![
        Value::Text(id.to_string()),
        Value::Text(promotion.sku.clone()),
        percent,
        fixed,
        Value::Integer(promotion.starts_at_ms),
        Value::Integer(promotion.ends_at_ms),
        promotion.max_units.map_or(Value::Null, Value::Integer),
        Value::Integer(created_at_ms),
    ];
    db.execute(INSERT_PROMOTION, params).await.map(|_| ())
}

/// Deletes the promotion with `id`; whether there was one.
pub async fn delete_promotion(db: &impl Sql, id: &str) -> Result<bool, SqlError> {
    Ok(db
        .execute(DELETE_PROMOTION, vec![Value::Text(id.to_string())])
        .await?
        > 0)
}

/// The statements that record claim line `(promotion_id, units)` and take
/// its units, for one all-or-nothing batch: the insert fails on a reused
/// claim id, the update (expected to change exactly one row) on a missing,
/// inactive or exhausted promotion.
pub fn claim_statements(
    claim_id: &str,
    promotion_id: &str,
    units: u32,
    now_ms: i64,
) -> [Statement; 2] {
    let units = Value::Integer(units.into());
    let id = Value::Text(promotion_id.to_string());
    [
        Statement::expect(
            INSERT_CLAIM,
            vec![
                Value::Text(claim_id.to_string()),
                id.clone(),
                units.clone(),
                Value::Integer(now_ms),
            ],
            1,
        ),
        Statement::expect(
            TAKE_UNITS,
            vec![
                units.clone(),
                id,
                Value::Integer(now_ms),
                Value::Integer(now_ms),
                units,
            ],
            1,
        ),
    ]
}

/// The statements that release one held claim line, for one batch: marking
/// the line released must change exactly one row (a concurrent unclaim
/// that got there first makes the batch fail and change nothing); giving
/// the units back changes no row if the promotion was deleted.
pub fn release_statements(claim_id: &str, line: &ClaimRow, now_ms: i64) -> [Statement; 2] {
    [
        Statement::expect(
            RELEASE_CLAIM,
            vec![
                Value::Integer(now_ms),
                Value::Text(claim_id.to_string()),
                Value::Text(line.promotion_id.clone()),
            ],
            1,
        ),
        Statement::any(
            RETURN_UNITS,
            vec![
                Value::Integer(line.units),
                Value::Text(line.promotion_id.clone()),
            ],
        ),
    ]
}

/// The lines of claim `claim_id` (empty if unknown).
pub async fn find_claim(db: &impl Sql, claim_id: &str) -> Result<Vec<ClaimRow>, StoreError> {
    let rows = db
        .query(SELECT_CLAIM, vec![Value::Text(claim_id.to_string())])
        .await?;
    rows.rows
        .iter()
        .map(|row| {
            let get = Getter::new(&rows.columns, row);
            Ok(ClaimRow {
                promotion_id: get.text("promotion_id")?,
                units: get.integer("units")?,
                released: !matches!(get.value("released_at")?, Value::Null),
            })
        })
        .collect()
}

fn promotions(rows: &Rows) -> Result<Vec<Promotion>, StoreError> {
    rows.rows
        .iter()
        .map(|row| promotion(&rows.columns, row))
        .collect()
}

/// Maps one row to a promotion by column name.
pub fn promotion(columns: &[String], row: &[Value]) -> Result<Promotion, StoreError> {
    let get = Getter::new(columns, row);
    let discount = match (get.optional("percent_off")?, get.optional("fixed_price")?) {
        (Some(p), None) => Discount::PercentOff(
            u8::try_from(p)
                .ok()
                .filter(|p| (1..=100).contains(p))
                .ok_or_else(|| StoreError::BadRow(format!("percent_off {p}")))?,
        ),
        (None, Some(f)) => Discount::FixedPrice(f),
        _ => {
            return Err(StoreError::BadRow(
                "exactly one of percent_off and fixed_price must be set".into(),
            ));
        }
    };
    Ok(Promotion {
        id: get.text("id")?,
        sku: get.text("sku")?,
        discount,
        starts_at_ms: get.integer("starts_at")?,
        ends_at_ms: get.integer("ends_at")?,
        max_units: get.optional("max_units")?,
        claimed_units: get.integer("claimed_units")?,
    })
}

/// Reads columns of one row by name (case-insensitive: engines differ in
/// how they report names).
struct Getter<'a> {
    columns: &'a [String],
    row: &'a [Value],
}

impl<'a> Getter<'a> {
    fn new(columns: &'a [String], row: &'a [Value]) -> Self {
        Getter { columns, row }
    }

    fn value(&self, name: &str) -> Result<&'a Value, StoreError> {
        self.columns
            .iter()
            .position(|c| c.eq_ignore_ascii_case(name))
            .and_then(|i| self.row.get(i))
            .ok_or_else(|| StoreError::BadRow(format!("no column {name}")))
    }

    fn text(&self, name: &str) -> Result<String, StoreError> {
        match self.value(name)? {
            Value::Text(s) => Ok(s.clone()),
            Value::Blob(b) => String::from_utf8(b.clone())
                .map_err(|_| StoreError::BadRow(format!("{name} is not UTF-8"))),
            other => Err(StoreError::BadRow(format!("{name} is {other:?}, not text"))),
        }
    }

    fn optional(&self, name: &str) -> Result<Option<i64>, StoreError> {
        match self.value(name)? {
            Value::Null => Ok(None),
            Value::Integer(n) => Ok(Some(*n)),
            // Some drivers hand back DECIMAL sums and the like as text.
            Value::Text(s) => s
                .parse()
                .map(Some)
                .map_err(|_| StoreError::BadRow(format!("{name} is not an integer"))),
            other => Err(StoreError::BadRow(format!(
                "{name} is {other:?}, not an integer"
            ))),
        }
    }

    fn integer(&self, name: &str) -> Result<i64, StoreError> {
        self.optional(name)?
            .ok_or_else(|| StoreError::BadRow(format!("{name} is NULL")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROMOTION_COLUMNS: &str =
        "id, sku, percent_off, fixed_price, starts_at, ends_at, max_units, claimed_units";

    fn cols(names: &str) -> Vec<String> {
        names.split(", ").map(str::to_string).collect()
    }

    #[test]
    fn maps_a_promotion_row_by_column_name() {
        let columns = cols(PROMOTION_COLUMNS);
        let row = [
            Value::Text("p1".into()),
            Value::Text("S".into()),
            Value::Null,
            Value::Integer(499),
            Value::Integer(10),
            Value::Integer(20),
            Value::Text("5".into()),
            Value::Integer(2),
        ];
        let p = promotion(&columns, &row).unwrap();
        assert_eq!(p.discount, Discount::FixedPrice(499));
        assert_eq!(p.max_units, Some(5));
        assert_eq!(p.claimed_units, 2);
        assert_eq!((p.starts_at_ms, p.ends_at_ms), (10, 20));
    }

    #[test]
    fn rejects_rows_with_both_or_no_discount() {
        let columns = cols(PROMOTION_COLUMNS);
        let mut row = vec![
            Value::Text("p1".into()),
            Value::Text("S".into()),
            Value::Integer(10),
            Value::Integer(499),
            Value::Integer(10),
            Value::Integer(20),
            Value::Null,
            Value::Integer(0),
        ];
        assert!(matches!(
            promotion(&columns, &row),
            Err(StoreError::BadRow(_))
        ));
        row[2] = Value::Null;
        row[3] = Value::Null;
        assert!(matches!(
            promotion(&columns, &row),
            Err(StoreError::BadRow(_))
        ));
        row[2] = Value::Integer(101);
        assert!(matches!(
            promotion(&columns, &row),
            Err(StoreError::BadRow(_))
        ));
    }

    #[test]
    fn select_statements_read_the_promotion_columns() {
        for sql in [SELECT_PROMOTIONS, SELECT_ACTIVE, SELECT_PROMOTION] {
            assert!(
                sql.starts_with(&format!("SELECT {PROMOTION_COLUMNS} FROM promotions")),
                "{sql}"
            );
        }
    }

    #[test]
    fn placeholders_match_the_parameters() {
        let [insert, take] = claim_statements("c", "p", 3, 7);
        assert_eq!(insert.sql.matches('?').count(), insert.params.len());
        assert_eq!(take.sql.matches('?').count(), take.params.len());
        assert_eq!((insert.expect_rows, take.expect_rows), (Some(1), Some(1)));
        let line = ClaimRow {
            promotion_id: "p".into(),
            units: 3,
            released: false,
        };
        let [release, back] = release_statements("c", &line, 9);
        assert_eq!(release.sql.matches('?').count(), release.params.len());
        assert_eq!(back.sql.matches('?').count(), back.params.len());
        assert_eq!((release.expect_rows, back.expect_rows), (Some(1), None));
        assert_eq!(INSERT_PROMOTION.matches('?').count(), 8);
        assert_eq!(SELECT_ACTIVE.matches('?').count(), 3);
    }
}

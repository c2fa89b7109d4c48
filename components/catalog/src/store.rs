//! The `products` table: SQL text and row mapping, over the [`Sql`] port.
//! Statements use `?` placeholders (the host rewrites them for PostgreSQL).

use crate::ports::{Rows, Sql, SqlError, Value};
use serde::{Deserialize, Serialize};

/// A product, as stored and as clients see it (field order is the wire
/// order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub sku: String,
    pub name: String,
    pub description: String,
    /// Minor units of `currency`.
    pub base_price: i64,
    /// ISO 4217.
    pub currency: String,
    /// Units available to reserve.
    pub stock: i64,
}

pub use sluice_kit::sql::StoreError;

/// The product columns, in wire order.
pub const COLUMNS: &str = "sku, name, description, base_price, currency, stock";

/// One product by sku.
pub const SELECT_ONE: &str =
    "SELECT sku, name, description, base_price, currency, stock FROM products WHERE sku = ?";
/// One page of products in sku order.
pub const SELECT_PAGE: &str = "SELECT sku, name, description, base_price, currency, stock FROM products ORDER BY sku LIMIT ? OFFSET ?";
/// How many products there are.
pub const COUNT: &str = "SELECT COUNT(*) AS total FROM products";
/// A new product.
pub const INSERT: &str = "INSERT INTO products (sku, name, description, base_price, currency, stock, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)";

/// A column an admin may change, with its SQL name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Name,
    Description,
    BasePrice,
    Currency,
    Stock,
}

impl Column {
    pub fn sql(self) -> &'static str {
        match self {
            Column::Name => "name",
            Column::Description => "description",
            Column::BasePrice => "base_price",
            Column::Currency => "currency",
            Column::Stock => "stock",
        }
    }
}

/// `UPDATE products SET <col> = ?, ..., updated_at = ? WHERE sku = ?` for
/// exactly the columns being changed, so an admin renaming a product never
/// writes back a stock level read earlier (reservations may have moved it).
pub fn update_sql(columns: &[Column]) -> String {
    let mut set: Vec<String> = columns.iter().map(|c| format!("{} = ?", c.sql())).collect();
    set.push("updated_at = ?".to_string());
    format!("UPDATE products SET {} WHERE sku = ?", set.join(", "))
}

/// The product with `sku`, if any.
pub async fn find(db: &impl Sql, sku: &str) -> Result<Option<Product>, StoreError> {
    let rows = db
        .query(SELECT_ONE, vec![Value::Text(sku.to_string())])
        .await?;
    products(&rows).map(|all| all.into_iter().next())
}

/// Up to `limit` products after skipping `offset`, in sku order.
pub async fn page(db: &impl Sql, limit: u32, offset: u64) -> Result<Vec<Product>, StoreError> {
    let offset = i64::try_from(offset).unwrap_or(i64::MAX);
    let rows = db
        .query(
            SELECT_PAGE,
            vec![Value::Integer(limit.into()), Value::Integer(offset)],
        )
        .await?;
    products(&rows)
}

/// How many products there are.
pub async fn count(db: &impl Sql) -> Result<u64, StoreError> {
    let rows = db.query(COUNT, vec![]).await?;
    let value = rows
        .rows
        .first()
        .and_then(|r| r.first())
        .ok_or_else(|| StoreError::BadRow("COUNT returned no row".into()))?;
    let n = integer(value, "total")?;
    u64::try_from(n).map_err(|_| StoreError::BadRow(format!("negative count {n}")))
}

/// Inserts `product`. A taken sku is `SqlError::ConstraintViolation`.
pub async fn insert(db: &impl Sql, product: &Product, now_ms: i64) -> Result<(), SqlError> {
    let params = vec![
        Value::Text(product.sku.clone()),
        Value::Text(product.name.clone()),
        Value::Text(product.description.clone()),
        Value::Integer(product.base_price),
        Value::Text(product.currency.clone()),
        Value::Integer(product.stock),
        Value::Integer(now_ms),
    ];
    db.execute(INSERT, params).await.map(|_| ())
}

/// Sets `changes` on the product with `sku`; returns the rows matched
/// (0: no such product).
pub async fn update(
    db: &impl Sql,
    sku: &str,
    changes: Vec<(Column, Value)>,
    now_ms: i64,
) -> Result<u64, SqlError> {
    let columns: Vec<Column> = changes.iter().map(|(c, _)| *c).collect();
    let mut params: Vec<Value> = changes.into_iter().map(|(_, v)| v).collect();
    params.push(Value::Integer(now_ms));
    params.push(Value::Text(sku.to_string()));
    db.execute(&update_sql(&columns), params).await
}

/// Maps rows of [`COLUMNS`] to products.
fn products(rows: &Rows) -> Result<Vec<Product>, StoreError> {
    rows.rows
        .iter()
        .map(|row| product(&rows.columns, row))
        .collect()
}

/// Maps one row to a product by column name (case-insensitive: engines
/// differ in how they report names).
pub fn product(columns: &[String], row: &[Value]) -> Result<Product, StoreError> {
    let get = |name: &str| column(columns, row, name);
    Ok(Product {
        sku: text(get("sku")?, "sku")?,
        name: text(get("name")?, "name")?,
        description: text(get("description")?, "description")?,
        base_price: integer(get("base_price")?, "base_price")?,
        currency: text(get("currency")?, "currency")?,
        stock: integer(get("stock")?, "stock")?,
    })
}

/// The value of column `name` in `row`.
pub fn column<'a>(
    columns: &[String],
    row: &'a [Value],
    name: &str,
) -> Result<&'a Value, StoreError> {
    columns
        .iter()
        .position(|c| c.eq_ignore_ascii_case(name))
        .and_then(|i| row.get(i))
        .ok_or_else(|| StoreError::BadRow(format!("no column {name}")))
}

/// A text value (or UTF-8 bytes, as some engines report VARCHARs).
pub fn text(value: &Value, name: &str) -> Result<String, StoreError> {
    match value {
        Value::Text(s) => Ok(s.clone()),
        Value::Blob(b) => String::from_utf8(b.clone())
            .map_err(|_| StoreError::BadRow(format!("{name} is not UTF-8"))),
        other => Err(StoreError::BadRow(format!("{name} is {other:?}, not text"))),
    }
}

/// An integer value (or its decimal text, as some engines report sums).
pub fn integer(value: &Value, name: &str) -> Result<i64, StoreError> {
    match value {
        Value::Integer(n) => Ok(*n),
        Value::Text(s) => s
            .parse()
            .map_err(|_| StoreError::BadRow(format!("{name} is not an integer"))),
        other => Err(StoreError::BadRow(format!(
            "{name} is {other:?}, not an integer"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn t(s: &str) -> Value {
        Value::Text(s.into())
    }

    #[test]
    fn maps_a_row_by_column_name() {
        let columns = cols(&[
            "STOCK",
            "sku",
            "name",
            "description",
            "base_price",
            "currency",
        ]);
        let row = [
            Value::Integer(3),
            t("A-1"),
            t("Kettle"),
            Value::Blob(b"Hot".to_vec()),
            Value::Text("1999".into()),
            t("USD"),
        ];
        let p = product(&columns, &row).unwrap();
        assert_eq!(
            p,
            Product {
                sku: "A-1".into(),
                name: "Kettle".into(),
                description: "Hot".into(),
                base_price: 1999,
                currency: "USD".into(),
                stock: 3,
            }
        );
    }

    #[test]
    fn rejects_missing_columns_and_wrong_types() {
        assert!(matches!(
            product(&cols(&["sku"]), &[t("A")]),
            Err(StoreError::BadRow(_))
        ));
        let columns = cols(&[
            "sku",
            "name",
            "description",
            "base_price",
            "currency",
            "stock",
        ]);
        let row = [
            t("A"),
            t("N"),
            t("D"),
            Value::Real(1.5),
            t("USD"),
            Value::Integer(1),
        ];
        assert!(matches!(
            product(&columns, &row),
            Err(StoreError::BadRow(_))
        ));
    }

    #[test]
    fn update_sets_only_the_changed_columns() {
        assert_eq!(
            update_sql(&[Column::Name, Column::Stock]),
            "UPDATE products SET name = ?, stock = ?, updated_at = ? WHERE sku = ?"
        );
        assert_eq!(
            update_sql(&[]),
            "UPDATE products SET updated_at = ? WHERE sku = ?"
        );
    }

    #[test]
    fn statements_use_placeholders_only() {
        assert_eq!(INSERT.matches('?').count(), 7);
        assert_eq!(SELECT_ONE.matches('?').count(), 1);
        assert_eq!(SELECT_PAGE.matches('?').count(), 2);
        assert!(SELECT_ONE.contains(COLUMNS));
        assert!(SELECT_PAGE.contains(COLUMNS));
    }
}

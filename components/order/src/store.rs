//! Orders on their shards: every SQL statement the service runs (the test
//! fake matches these constants), and decoding rows into [`Order`]s.

use crate::ports::{Shards, SqlError, Statement, Value};
use sluice_kit::sql::{self, BadColumn};

pub const PENDING: &str = "pending";
pub const CONFIRMED: &str = "confirmed";

/// Claims an idempotency key: a `pending` row (no currency, total 0).
pub const INSERT_PENDING: &str = "INSERT INTO orders (id, customer, tenant, idempotency_key, \
items_hash, status, currency, total, created_at) VALUES (?, ?, ?, ?, ?, 'pending', '', 0, ?)";

/// A confirmed order placed without an idempotency key.
pub const INSERT_CONFIRMED: &str = "INSERT INTO orders (id, customer, tenant, idempotency_key, \
items_hash, status, currency, total, created_at) VALUES (?, ?, ?, NULL, ?, 'confirmed', ?, ?, ?)";

/// Confirms the pending row of an idempotent order (must match one row).
pub const CONFIRM_PENDING: &str = "UPDATE orders SET status = 'confirmed', currency = ?, \
total = ?, created_at = ? WHERE id = ? AND status = 'pending'";

pub const INSERT_ITEM: &str = "INSERT INTO order_items (order_id, line_no, sku, qty, \
unit_price, total) VALUES (?, ?, ?, ?, ?, ?)";

/// Gives up an idempotency key whose order failed.
pub const DELETE_PENDING: &str = "DELETE FROM orders WHERE id = ? AND status = 'pending'";

/// Removes whatever a failed write may have left of an order.
pub const DELETE_ITEMS: &str = "DELETE FROM order_items WHERE order_id = ?";
pub const DELETE_ORDER: &str = "DELETE FROM orders WHERE id = ?";

/// The order holding a customer's idempotency key.
pub const SELECT_BY_KEY: &str = "SELECT id, status, items_hash, created_at FROM orders \
WHERE customer = ? AND idempotency_key = ?";

/// A confirmed order with its items.
pub const SELECT_ORDER: &str = "SELECT o.id, o.customer, o.currency, o.total, o.created_at, \
i.sku, i.qty, i.unit_price, i.total FROM orders o JOIN order_items i ON i.order_id = o.id \
WHERE o.id = ? AND o.status = 'confirmed' ORDER BY i.line_no";

/// A customer's newest `?` confirmed orders with their items.
pub const LIST_CUSTOMER: &str = "SELECT o.id, o.customer, o.currency, o.total, o.created_at, \
i.sku, i.qty, i.unit_price, i.total FROM (SELECT id, customer, currency, total, created_at \
FROM orders WHERE customer = ? AND status = 'confirmed' ORDER BY created_at DESC, id DESC \
LIMIT ?) o JOIN order_items i ON i.order_id = o.id \
ORDER BY o.created_at DESC, o.id DESC, i.line_no";

/// A shard's newest `?` confirmed orders with their items.
pub const LIST_ALL: &str = "SELECT o.id, o.customer, o.currency, o.total, o.created_at, \
i.sku, i.qty, i.unit_price, i.total FROM (SELECT id, customer, currency, total, created_at \
FROM orders WHERE status = 'confirmed' ORDER BY created_at DESC, id DESC \
LIMIT ?) o JOIN order_items i ON i.order_id = o.id \
ORDER BY o.created_at DESC, o.id DESC, i.line_no";

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub sku: String,
    pub qty: i64,
    pub unit_price: i64,
    pub total: i64,
}

/// A confirmed order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub id: String,
    pub customer: String,
    pub shard: u32,
    pub currency: String,
    pub total: i64,
    pub created_at: i64,
    pub items: Vec<Item>,
}

/// The row holding an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRow {
    pub id: String,
    pub status: String,
    pub items_hash: String,
    /// When the row was written (pending: when the key was taken).
    pub created_at: i64,
}

/// Why a read failed.
#[derive(Debug, Clone, PartialEq)]
pub enum StoreError {
    Sql(SqlError),
    BadRow(BadColumn),
}

impl From<SqlError> for StoreError {
    fn from(e: SqlError) -> StoreError {
        StoreError::Sql(e)
    }
}

impl From<BadColumn> for StoreError {
    fn from(e: BadColumn) -> StoreError {
        StoreError::BadRow(e)
    }
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Sql(e) => e.fmt(f),
            StoreError::BadRow(e) => e.fmt(f),
        }
    }
}

/// The row holding `customer`'s `key` on `shard`, if any.
pub async fn find_key(
    shards: &impl Shards,
    shard: u32,
    customer: &str,
    key: &str,
) -> Result<Option<KeyRow>, StoreError> {
    let rows = shards
        .query(shard, SELECT_BY_KEY, vec![customer.into(), key.into()])
        .await?;
    let Some(row) = rows.rows.first() else {
        return Ok(None);
    };
    Ok(Some(KeyRow {
        id: sql::text(row, 0)?,
        status: sql::text(row, 1)?,
        items_hash: sql::text(row, 2)?,
        created_at: sql::integer(row, 3)?,
    }))
}

/// The confirmed order `id` on `shard`, if any.
pub async fn find_order(
    shards: &impl Shards,
    shard: u32,
    id: &str,
) -> Result<Option<Order>, StoreError> {
    let rows = shards.query(shard, SELECT_ORDER, vec![id.into()]).await?;
    Ok(decode(shard, &rows.rows)?.into_iter().next())
}

/// The newest `limit` confirmed orders on `shard`: `customer`'s, or
/// everyone's when `customer` is `None`. Newest first.
pub async fn list(
    shards: &impl Shards,
    shard: u32,
    customer: Option<&str>,
    limit: u32,
) -> Result<Vec<Order>, StoreError> {
    let limit = Value::Integer(i64::from(limit));
    let rows = match customer {
        Some(customer) => {
            shards
                .query(shard, LIST_CUSTOMER, vec![customer.into(), limit])
                .await?
        }
        None => shards.query(shard, LIST_ALL, vec![limit]).await?,
    };
    Ok(decode(shard, &rows.rows)?)
}

/// Orders from the rows of the order reads (`id, customer, currency,
/// total, created_at` of the order, then `sku, qty, unit_price, total` of
/// one item per row), one order per run of equal ids.
fn decode(shard: u32, rows: &[Vec<Value>]) -> Result<Vec<Order>, BadColumn> {
    let mut orders: Vec<Order> = Vec::new();
    for row in rows {
        let id = sql::text(row, 0)?;
        if orders.last().is_none_or(|o| o.id != id) {
            orders.push(Order {
                id,
                customer: sql::text(row, 1)?,
                shard,
                currency: sql::text(row, 2)?,
                total: sql::integer(row, 3)?,
                created_at: sql::integer(row, 4)?,
                items: Vec::new(),
            });
        }
        if let Some(order) = orders.last_mut() {
            order.items.push(Item {
                sku: sql::text(row, 5)?,
                qty: sql::integer(row, 6)?,
                unit_price: sql::integer(row, 7)?,
                total: sql::integer(row, 8)?,
            });
        }
    }
    Ok(orders)
}

/// The statements that write a confirmed order: its row (a new one, or the
/// pending row of its idempotency key turned confirmed, which must still
/// exist) and one row per item.
pub fn write_order(order: &Order, tenant: &str, items_hash: &str, pending: bool) -> Vec<Statement> {
    let head = if pending {
        Statement::expect(
            CONFIRM_PENDING,
            vec![
                order.currency.as_str().into(),
                order.total.into(),
                order.created_at.into(),
                order.id.as_str().into(),
            ],
            1,
        )
    } else {
        Statement::expect(
            INSERT_CONFIRMED,
            vec![
                order.id.as_str().into(),
                order.customer.as_str().into(),
                tenant.into(),
                items_hash.into(),
                order.currency.as_str().into(),
                order.total.into(),
                order.created_at.into(),
            ],
            1,
        )
    };
    let items = order.items.iter().enumerate().map(|(line, item)| {
        Statement::expect(
            INSERT_ITEM,
            vec![
                order.id.as_str().into(),
                (line as i64).into(),
                item.sku.as_str().into(),
                item.qty.into(),
                item.unit_price.into(),
                item.total.into(),
            ],
            1,
        )
    });
    std::iter::once(head).chain(items).collect()
}

//! Orders on their shards: the statements that write and read orders (those
//! that move an order between statuses are in [`crate::lifecycle`]), and
//! decoding rows into [`Order`]s.

use crate::ports::{Shards, SqlError, Statement, Value};
use crate::status::Status;
use sluice_kit::sql::{self, BadColumn};

pub use sluice_kit::sql::StoreError;

/// The first write of every order, before anything is reserved: a
/// `pending` row (no currency, total 0) that names the order and, with an
/// `Idempotency-Key`, holds the key (`UNIQUE(customer, idempotency_key)`
/// lets one request win). Without a key the key is NULL, and NULLs never
/// collide in a unique constraint on SQLite, PostgreSQL or MySQL.
pub const INSERT_PENDING: &str = "INSERT INTO orders (id, customer, tenant, idempotency_key, \
items_hash, status, currency, total, created_at) VALUES (?, ?, ?, ?, ?, 'pending', '', 0, ?)";

/// Turns the pending row confirmed with the order's amounts; must match one
/// row, so a row a settler turned `failing` (or deleted) is never confirmed.
pub const CONFIRM_PENDING: &str = "UPDATE orders SET status = 'confirmed', currency = ?, \
total = ?, created_at = ? WHERE id = ? AND status = 'pending'";

pub const INSERT_ITEM: &str = "INSERT INTO order_items (order_id, line_no, sku, qty, \
unit_price, total) VALUES (?, ?, ?, ?, ?, ?)";

/// Gives up the pending row of an order whose units were all given back.
pub const DELETE_PENDING: &str = "DELETE FROM orders WHERE id = ? AND status = 'pending'";

/// Removes whatever a failed write may have left of an order.
pub const DELETE_ITEMS: &str = "DELETE FROM order_items WHERE order_id = ?";
pub const DELETE_ORDER: &str = "DELETE FROM orders WHERE id = ?";

/// The order holding a customer's idempotency key.
pub const SELECT_BY_KEY: &str = "SELECT id, status, items_hash, created_at FROM orders \
WHERE customer = ? AND idempotency_key = ?";

/// A placed order (confirmed, cancelling or cancelled) with its items.
pub const SELECT_ORDER: &str = "SELECT o.id, o.customer, o.status, o.currency, o.total, \
o.created_at, o.cancelled_at, i.sku, i.qty, i.unit_price, i.total FROM orders o \
JOIN order_items i ON i.order_id = o.id \
WHERE o.id = ? AND o.status IN ('confirmed', 'cancelling', 'cancelled') ORDER BY i.line_no";

/// A customer's newest `?` placed orders with their items.
pub const LIST_CUSTOMER: &str = "SELECT o.id, o.customer, o.status, o.currency, o.total, \
o.created_at, o.cancelled_at, i.sku, i.qty, i.unit_price, i.total FROM (SELECT id, customer, \
status, currency, total, created_at, cancelled_at FROM orders WHERE customer = ? \
AND status IN ('confirmed', 'cancelling', 'cancelled') ORDER BY created_at DESC, id DESC \
LIMIT ?) o JOIN order_items i ON i.order_id = o.id \
ORDER BY o.created_at DESC, o.id DESC, i.line_no";

/// A shard's newest `?` placed orders with their items.
pub const LIST_ALL: &str = "SELECT o.id, o.customer, o.status, o.currency, o.total, \
o.created_at, o.cancelled_at, i.sku, i.qty, i.unit_price, i.total FROM (SELECT id, customer, \
status, currency, total, created_at, cancelled_at FROM orders \
WHERE status IN ('confirmed', 'cancelling', 'cancelled') ORDER BY created_at DESC, id DESC \
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

/// A placed order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub id: String,
    pub customer: String,
    pub shard: u32,
    /// Confirmed, cancelling or cancelled.
    pub status: Status,
    pub currency: String,
    pub total: i64,
    pub created_at: i64,
    /// When a cancel was decided (ms since the Unix epoch).
    pub cancelled_at: Option<i64>,
    pub items: Vec<Item>,
}

/// The first row of a new order (see [`INSERT_PENDING`]).
#[derive(Debug, Clone, Copy)]
pub struct NewOrder<'a> {
    pub id: &'a str,
    pub customer: &'a str,
    pub tenant: &'a str,
    /// The `Idempotency-Key`, if the request had one.
    pub key: Option<&'a str>,
    pub items_hash: &'a str,
    pub created_at: i64,
}

/// The row holding an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRow {
    pub id: String,
    pub status: Status,
    pub items_hash: String,
    /// When the row was written (pending: when the key was taken).
    pub created_at: i64,
}

/// Writes the pending row of `new` on `shard`.
pub async fn insert_pending(
    shards: &impl Shards,
    shard: u32,
    new: &NewOrder<'_>,
) -> Result<u64, SqlError> {
    let params = vec![
        new.id.into(),
        new.customer.into(),
        new.tenant.into(),
        new.key.into(),
        new.items_hash.into(),
        new.created_at.into(),
    ];
    shards.execute(shard, INSERT_PENDING, params).await
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
        status: status(row, 1)?,
        items_hash: sql::text(row, 2)?,
        created_at: sql::integer(row, 3)?,
    }))
}

/// The placed order `id` on `shard`, if any.
pub async fn find_order(
    shards: &impl Shards,
    shard: u32,
    id: &str,
) -> Result<Option<Order>, StoreError> {
    let rows = shards.query(shard, SELECT_ORDER, vec![id.into()]).await?;
    Ok(decode(shard, &rows.rows)?.into_iter().next())
}

/// The newest `limit` placed orders on `shard`: `customer`'s, or
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

/// Orders from the rows of the order reads (`id, customer, status,
/// currency, total, created_at, cancelled_at` of the order, then `sku, qty,
/// unit_price, total` of one item per row), one order per run of equal ids.
fn decode(shard: u32, rows: &[Vec<Value>]) -> Result<Vec<Order>, BadColumn> {
    let mut orders: Vec<Order> = Vec::new();
    for row in rows {
        let id = sql::text(row, 0)?;
        if orders.last().is_none_or(|o| o.id != id) {
            orders.push(Order {
                id,
                customer: sql::text(row, 1)?,
                shard,
                status: status(row, 2)?,
                currency: sql::text(row, 3)?,
                total: sql::integer(row, 4)?,
                created_at: sql::integer(row, 5)?,
                cancelled_at: optional_integer(row, 6)?,
                items: Vec::new(),
            });
        }
        if let Some(order) = orders.last_mut() {
            order.items.push(Item {
                sku: sql::text(row, 7)?,
                qty: sql::integer(row, 8)?,
                unit_price: sql::integer(row, 9)?,
                total: sql::integer(row, 10)?,
            });
        }
    }
    Ok(orders)
}

/// Column `i` of `row` as a [`Status`]; an unknown one is a bad column.
pub fn status(row: &[Value], i: usize) -> Result<Status, BadColumn> {
    let text = sql::text(row, i)?;
    Status::parse(&text).ok_or(BadColumn(i, Value::Text(text)))
}

/// Column `i` of `row` as an integer, or `None` when it is NULL.
pub fn optional_integer(row: &[Value], i: usize) -> Result<Option<i64>, BadColumn> {
    match row.get(i) {
        Some(Value::Null) => Ok(None),
        _ => sql::integer(row, i).map(Some),
    }
}

/// The statements that write a placed order: its pending row turned
/// confirmed (which must still be pending: see [`CONFIRM_PENDING`]) and one
/// row per item, in one batch.
pub fn write_order(order: &Order) -> Vec<Statement> {
    let head = Statement::expect(
        CONFIRM_PENDING,
        vec![
            order.currency.as_str().into(),
            order.total.into(),
            order.created_at.into(),
            order.id.as_str().into(),
        ],
        1,
    );
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

//! The tables of one shard of the fake host (`testing`): tiny `orders` and
//! `order_items` that understand exactly the statements of `store` and
//! `lifecycle`, and nothing else (any other SQL panics). Conditional updates
//! and deletes match only rows in the status they name, as the real
//! statements do, so races between placers, settlers and cancels play out
//! as they would on a database.

use crate::lifecycle;
use crate::ports::{Rows, SqlError, Value};
use crate::status::Status;
use crate::store;

/// A row of `orders`.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderRow {
    pub id: String,
    pub customer: String,
    pub tenant: String,
    pub key: Option<String>,
    pub items_hash: String,
    pub status: String,
    pub currency: String,
    pub total: i64,
    pub created_at: i64,
    pub cancelled_at: Option<i64>,
}

/// A row of `order_items`.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemRow {
    pub order_id: String,
    pub line_no: i64,
    pub sku: String,
    pub qty: i64,
    pub unit_price: i64,
    pub total: i64,
}

/// One shard's tables.
#[derive(Debug, Clone, Default)]
pub struct Tables {
    pub orders: Vec<OrderRow>,
    pub items: Vec<ItemRow>,
}

fn text(v: &Value) -> String {
    match v {
        Value::Text(s) => s.clone(),
        other => panic!("expected text, got {other:?}"),
    }
}

fn int(v: &Value) -> i64 {
    match v {
        Value::Integer(n) => *n,
        other => panic!("expected an integer, got {other:?}"),
    }
}

/// The joined order rows of `orders` (in the given order), items by line.
fn joined(t: &Tables, orders: &[&OrderRow]) -> Rows {
    let mut rows = Vec::new();
    for o in orders {
        let mut items: Vec<&ItemRow> = t.items.iter().filter(|i| i.order_id == o.id).collect();
        items.sort_by_key(|i| i.line_no);
        for i in items {
            rows.push(vec![
                Value::Text(o.id.clone()),
                Value::Text(o.customer.clone()),
                Value::Text(o.status.clone()),
                Value::Text(o.currency.clone()),
                Value::Integer(o.total),
                Value::Integer(o.created_at),
                o.cancelled_at.map_or(Value::Null, Value::Integer),
                Value::Text(i.sku.clone()),
                Value::Integer(i.qty),
                Value::Integer(i.unit_price),
                Value::Integer(i.total),
            ]);
        }
    }
    Rows {
        columns: Vec::new(),
        rows,
    }
}

/// Whether a row is placed (confirmed, cancelling, cancelled).
fn visible(o: &OrderRow) -> bool {
    Status::parse(&o.status).is_some_and(Status::is_visible)
}

/// Newest placed orders first, `limit` of them, matching `keep`.
fn newest(t: &Tables, keep: impl Fn(&OrderRow) -> bool, limit: i64) -> Vec<&OrderRow> {
    let mut all: Vec<&OrderRow> = t.orders.iter().filter(|o| visible(o) && keep(o)).collect();
    all.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
    all.truncate(limit as usize);
    all
}

/// The ids of the rows `key` gives a sort time for, oldest first (then by
/// id), `limit` of them.
fn due(t: &Tables, key: impl Fn(&OrderRow) -> Option<i64>, limit: i64) -> Rows {
    let mut found: Vec<(i64, &str)> = t
        .orders
        .iter()
        .filter_map(|o| Some((key(o)?, o.id.as_str())))
        .collect();
    found.sort();
    found.truncate(limit as usize);
    Rows {
        columns: Vec::new(),
        rows: found
            .into_iter()
            .map(|(_, id)| vec![Value::Text(id.into())])
            .collect(),
    }
}

pub fn query(t: &Tables, sql: &str, p: &[Value]) -> Rows {
    match sql {
        store::SELECT_BY_KEY => Rows {
            columns: Vec::new(),
            rows: t
                .orders
                .iter()
                .filter(|o| o.customer == text(&p[0]) && o.key.as_deref() == Some(&text(&p[1])))
                .map(|o| {
                    vec![
                        Value::Text(o.id.clone()),
                        Value::Text(o.status.clone()),
                        Value::Text(o.items_hash.clone()),
                        Value::Integer(o.created_at),
                    ]
                })
                .collect(),
        },
        store::SELECT_ORDER => {
            let found: Vec<&OrderRow> = t
                .orders
                .iter()
                .filter(|o| o.id == text(&p[0]) && visible(o))
                .collect();
            joined(t, &found)
        }
        lifecycle::SELECT_STATE => Rows {
            columns: Vec::new(),
            rows: t
                .orders
                .iter()
                .filter(|o| o.id == text(&p[0]))
                .map(|o| {
                    vec![
                        Value::Text(o.customer.clone()),
                        Value::Text(o.status.clone()),
                        Value::Integer(o.created_at),
                        o.cancelled_at.map_or(Value::Null, Value::Integer),
                    ]
                })
                .collect(),
        },
        lifecycle::DUE_PENDING => due(
            t,
            |o| (o.status == "pending" && o.created_at < int(&p[0])).then_some(o.created_at),
            int(&p[1]),
        ),
        lifecycle::DUE_FAILING => due(
            t,
            |o| (o.status == "failing").then_some(o.created_at),
            int(&p[0]),
        ),
        lifecycle::DUE_CANCELLING => due(
            t,
            |o| {
                o.cancelled_at
                    .filter(|at| o.status == "cancelling" && *at < int(&p[0]))
            },
            int(&p[1]),
        ),
        store::LIST_CUSTOMER => joined(t, &newest(t, |o| o.customer == text(&p[0]), int(&p[1]))),
        store::LIST_ALL => joined(t, &newest(t, |_| true, int(&p[0]))),
        other => panic!("unexpected query {other}"),
    }
}

/// Sets the status of the rows with id `id` that are in `from` (and
/// applies `also` to them); how many there were.
fn transition(t: &mut Tables, id: &str, from: &str, to: &str, also: impl Fn(&mut OrderRow)) -> u64 {
    let mut n = 0;
    for o in t
        .orders
        .iter_mut()
        .filter(|o| o.id == id && o.status == from)
    {
        o.status = to.into();
        also(o);
        n += 1;
    }
    n
}

pub fn execute(t: &mut Tables, sql: &str, p: &[Value]) -> Result<u64, SqlError> {
    let changed = match sql {
        store::INSERT_PENDING => {
            let key = match &p[3] {
                Value::Null => None,
                v => Some(text(v)),
            };
            let row = OrderRow {
                id: text(&p[0]),
                customer: text(&p[1]),
                tenant: text(&p[2]),
                key,
                items_hash: text(&p[4]),
                status: "pending".into(),
                currency: String::new(),
                total: 0,
                created_at: int(&p[5]),
                cancelled_at: None,
            };
            // UNIQUE(customer, idempotency_key): NULL keys never collide.
            let clash = t.orders.iter().any(|o| {
                o.id == row.id
                    || (row.key.is_some() && o.customer == row.customer && o.key == row.key)
            });
            if clash {
                return Err(SqlError::ConstraintViolation("orders unique".into()));
            }
            t.orders.push(row);
            1
        }
        store::CONFIRM_PENDING => transition(t, &text(&p[3]), "pending", "confirmed", |o| {
            (o.currency, o.total, o.created_at) = (text(&p[0]), int(&p[1]), int(&p[2]));
        }),
        lifecycle::MARK_FAILING => transition(t, &text(&p[0]), "pending", "failing", |_| {}),
        lifecycle::START_CANCEL => transition(t, &text(&p[1]), "confirmed", "cancelling", |o| {
            o.cancelled_at = Some(int(&p[0]));
        }),
        lifecycle::FINISH_CANCEL => transition(t, &text(&p[0]), "cancelling", "cancelled", |_| {}),
        store::INSERT_ITEM => {
            let item = ItemRow {
                order_id: text(&p[0]),
                line_no: int(&p[1]),
                sku: text(&p[2]),
                qty: int(&p[3]),
                unit_price: int(&p[4]),
                total: int(&p[5]),
            };
            if t.items
                .iter()
                .any(|i| i.order_id == item.order_id && i.sku == item.sku)
            {
                return Err(SqlError::ConstraintViolation(
                    "order_items primary key".into(),
                ));
            }
            t.items.push(item);
            1
        }
        store::DELETE_PENDING | lifecycle::DELETE_FAILING | store::DELETE_ORDER => {
            let only = match sql {
                store::DELETE_PENDING => Some("pending"),
                lifecycle::DELETE_FAILING => Some("failing"),
                _ => None,
            };
            let before = t.orders.len();
            t.orders
                .retain(|o| !(o.id == text(&p[0]) && only.is_none_or(|s| o.status == s)));
            (before - t.orders.len()) as u64
        }
        store::DELETE_ITEMS => {
            let before = t.items.len();
            t.items.retain(|i| i.order_id != text(&p[0]));
            (before - t.items.len()) as u64
        }
        other => panic!("unexpected statement {other}"),
    };
    Ok(changed)
}

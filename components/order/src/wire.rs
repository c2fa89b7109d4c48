//! Orders as JSON: `{"id","status","items":[{"sku","qty","unit_price",
//! "total"}],"total","currency","created_at","cancelled_at","shard"}`,
//! times in RFC 3339 UTC (`cancelled_at` null unless a cancel was decided).

use crate::store::Order;
use serde::Serialize;
use sluice_kit::times::rfc3339_millis;

#[derive(Debug, Serialize)]
pub struct OrderJson<'a> {
    id: &'a str,
    status: &'static str,
    items: Vec<ItemJson<'a>>,
    total: i64,
    currency: &'a str,
    created_at: String,
    cancelled_at: Option<String>,
    shard: u32,
}

#[derive(Debug, Serialize)]
struct ItemJson<'a> {
    sku: &'a str,
    qty: i64,
    unit_price: i64,
    total: i64,
}

impl<'a> From<&'a Order> for OrderJson<'a> {
    fn from(order: &'a Order) -> OrderJson<'a> {
        OrderJson {
            id: &order.id,
            status: order.status.as_str(),
            items: order
                .items
                .iter()
                .map(|i| ItemJson {
                    sku: &i.sku,
                    qty: i.qty,
                    unit_price: i.unit_price,
                    total: i.total,
                })
                .collect(),
            total: order.total,
            currency: &order.currency,
            created_at: rfc3339_millis(order.created_at),
            cancelled_at: order.cancelled_at.map(rfc3339_millis),
            shard: order.shard,
        }
    }
}

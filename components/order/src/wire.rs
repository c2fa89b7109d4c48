//! Orders as JSON: `{"id","status","items":[{"sku","qty","unit_price",
//! "total"}],"total","currency","created_at","cancelled_at","shard"}`,
//! times in RFC 3339 UTC (`cancelled_at` null unless a cancel was decided).

use crate::store::Order;
use serde::Serialize;
use time::OffsetDateTime;

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
            created_at: rfc3339(order.created_at),
            cancelled_at: order.cancelled_at.map(rfc3339),
            shard: order.shard,
        }
    }
}

/// `ms` since the Unix epoch in RFC 3339 UTC, always to the millisecond,
/// e.g. `2023-11-14T22:13:20.250Z`: fixed width, so newer times also sort
/// later as strings.
pub fn rfc3339(ms: i64) -> String {
    match OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000) {
        Ok(at) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            at.year(),
            u8::from(at.month()),
            at.day(),
            at.hour(),
            at.minute(),
            at.second(),
            at.millisecond()
        ),
        Err(_) => ms.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(1_700_000_000_000), "2023-11-14T22:13:20.000Z");
        assert_eq!(rfc3339(1_700_000_000_250), "2023-11-14T22:13:20.250Z");
        assert_eq!(rfc3339(1_700_000_000_007), "2023-11-14T22:13:20.007Z");
    }
}

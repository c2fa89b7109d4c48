//! Reading orders: one by id (its shard is in the id), the caller's own,
//! and every shard's at once for admins (`?scope=all`, scatter-gather).
//! Reads show placed orders with their status (confirmed, cancelling,
//! cancelled), never pending or failing ones, which were never placed.

use crate::auth;
use crate::errors::{ApiError, OrderError};
use crate::failure;
use crate::ports::{Claims, Host};
use crate::shard;
use crate::store::{self, Order};
use crate::wire::OrderJson;
use futures::future::join_all;
use sluice_kit::http::query_param;
use sluice_kit::reply::Reply;

/// Orders listed when `?limit=` is absent.
pub const DEFAULT_LIMIT: u32 = 50;
/// The most orders one list returns.
pub const MAX_LIMIT: u32 = 200;

/// `GET /api/orders/{id}`: the order if the caller owns it or is an admin.
/// Anything else is 404, never 403, so ids cannot be probed; an id naming
/// no shard touches none.
pub async fn get(host: &impl Host, caller: &Claims, id: &str) -> Result<Reply, ApiError> {
    let shard = shard::shard_of_order(id, host.shard_count()).ok_or(ApiError::NotFound)?;
    let order = store::find_order(host, shard, id)
        .await
        .map_err(|e| failure::store(host, "reading an order", &e))?
        .ok_or(ApiError::NotFound)?;
    if order.customer != caller.subject && !auth::is_admin(caller) {
        return Err(ApiError::NotFound);
    }
    Ok(Reply::json(200, &OrderJson::from(&order)))
}

/// `GET /api/orders[?limit=][&scope=all]`: the caller's placed orders
/// (confirmed, cancelling or cancelled), or (admins, `scope=all`)
/// everyone's from every shard queried in parallel; newest first
/// (`created_at`, then id, descending).
pub async fn list(host: &impl Host, caller: &Claims, query: &str) -> Result<Reply, ApiError> {
    let limit = limit(query_param(query, "limit").as_deref())?;
    let all = match query_param(query, "scope").as_deref() {
        None => false,
        Some("all") => true,
        Some(_) => return Err(ApiError::Service(OrderError::InvalidScope)),
    };
    let what = "listing orders";
    let orders = if all {
        if !auth::is_admin(caller) {
            return Err(ApiError::Forbidden);
        }
        let shards = 0..host.shard_count();
        let each = join_all(shards.map(|s| store::list(host, s, None, limit))).await;
        let mut merged = Vec::new();
        for result in each {
            merged.extend(result.map_err(|e| failure::store(host, what, &e))?);
        }
        newest_first(merged, limit)
    } else {
        let shard = shard::shard_of(&caller.subject, host.shard_count());
        store::list(host, shard, Some(&caller.subject), limit)
            .await
            .map_err(|e| failure::store(host, what, &e))?
    };
    let body: Vec<OrderJson> = orders.iter().map(OrderJson::from).collect();
    Ok(Reply::json(200, &body))
}

/// `?limit=`: absent is 50; else only digits, 1..=200.
fn limit(raw: Option<&str>) -> Result<u32, ApiError> {
    let Some(raw) = raw else {
        return Ok(DEFAULT_LIMIT);
    };
    if raw.is_empty() || raw.len() > 3 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::Service(OrderError::InvalidLimit));
    }
    match raw.parse::<u32>() {
        Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        _ => Err(ApiError::Service(OrderError::InvalidLimit)),
    }
}

/// Orders of several shards merged newest first, cut to `limit`.
fn newest_first(mut orders: Vec<Order>, limit: u32) -> Vec<Order> {
    orders.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
    orders.truncate(limit as usize);
    orders
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        assert_eq!(limit(None), Ok(50));
        assert_eq!(limit(Some("1")), Ok(1));
        assert_eq!(limit(Some("200")), Ok(200));
        assert_eq!(limit(Some("007")), Ok(7));
        for bad in [
            "", "0", "201", "-1", "+5", "1.5", "abc", "1000", " 5", "\u{FFFD}",
        ] {
            assert_eq!(
                limit(Some(bad)),
                Err(ApiError::Service(OrderError::InvalidLimit)),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn merging_shards_is_newest_first_then_by_id_and_cut() {
        let order = |id: &str, shard: u32, at: i64| Order {
            id: id.into(),
            customer: "c".into(),
            shard,
            status: crate::status::Status::Confirmed,
            currency: "USD".into(),
            total: 1,
            created_at: at,
            cancelled_at: None,
            items: Vec::new(),
        };
        let merged = newest_first(
            vec![
                order("0-a", 0, 10),
                order("1-b", 1, 30),
                order("0-c", 0, 20),
                order("1-d", 1, 20),
            ],
            3,
        );
        let ids: Vec<&str> = merged.iter().map(|o| o.id.as_str()).collect();
        assert_eq!(ids, ["1-b", "1-d", "0-c"]);
    }
}

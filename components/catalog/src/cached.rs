//! Cache-aside reads of products and product pages through the host's
//! `cache` capability, and invalidation after every change.
//!
//! Keys (the host puts its deployment prefix and `catalog:` in front):
//! - `product:{sku}`: one product's JSON (its stock included), for
//!   `GET /api/products/{sku}` and `stock.check`. Deleted after every change
//!   of that product (admin update, reserve, release, expiry of a hold).
//! - `products:generation`: an integer bumped after every change of any
//!   product (and every create).
//! - `products:{generation}:{limit}:{offset}`: one page of the list. A page
//!   is stored under the generation read *before* the database was read, so
//!   a page computed from data older than the latest change can only land
//!   under a generation nobody reads any more.
//!
//! Every entry lives for the TTL at most (setting `cache_ttl_ms`, default
//! [`DEFAULT_TTL_MS`]), which bounds how stale a read can be when an
//! invalidation is lost: a change made while the cache was unreachable, or
//! a reader that stored a product it read just before a change.
//! `cache = "off"` skips the cache for reads (invalidation still runs).
//!
//! The cache is never the truth: when it is unavailable, reads go to the
//! database and nothing is written back; stock is reserved and released in
//! the database only.

use crate::ports::{Host, Level};
use crate::store::{self, Product, StoreError};
use crate::validate::Page;
use crate::wire::ProductPage;

/// How long an entry lives unless the `cache_ttl_ms` setting says otherwise.
pub const DEFAULT_TTL_MS: u64 = 30_000;
/// How long the generation counter lives without changes; far longer than
/// any page, so a counter that expires has no pages left to confuse.
pub const GENERATION_TTL_MS: u64 = 24 * 60 * 60 * 1000;
/// The list generation's key.
pub const GENERATION_KEY: &str = "products:generation";

/// The key of one product.
pub fn product_key(sku: &str) -> String {
    format!("product:{sku}")
}

/// The key of one list page under `generation`.
pub fn page_key(generation: i64, page: Page) -> String {
    format!("products:{generation}:{}:{}", page.limit, page.offset)
}

/// The cache settings of this service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// False with `cache = "off"`.
    pub enabled: bool,
    pub ttl_ms: u64,
}

impl Settings {
    /// Reads `cache` and `cache_ttl_ms`; anything unusable means the default.
    pub fn read(host: &impl Host) -> Settings {
        Settings {
            enabled: host.setting("cache").as_deref() != Some("off"),
            ttl_ms: host
                .setting("cache_ttl_ms")
                .and_then(|v| v.trim().parse().ok())
                .filter(|ms| *ms > 0)
                .unwrap_or(DEFAULT_TTL_MS),
        }
    }
}

/// What the cache said about a key.
enum Lookup {
    Hit(Vec<u8>),
    Miss,
    /// Unreachable or failing: read the database, write nothing back.
    Down,
}

async fn lookup(host: &impl Host, key: &str) -> Lookup {
    match host.cache_get(key).await {
        Ok(Some(bytes)) => Lookup::Hit(bytes),
        Ok(None) => Lookup::Miss,
        Err(e) => {
            let error = e.to_string();
            host.log(
                Level::Debug,
                "cache read failed; using the database",
                &[("key", key), ("error", &error)],
            );
            Lookup::Down
        }
    }
}

async fn store_entry(host: &impl Host, key: &str, value: Vec<u8>, ttl_ms: u64) {
    if let Err(e) = host.cache_set(key, value, ttl_ms).await {
        let error = e.to_string();
        host.log(
            Level::Debug,
            "cache write failed",
            &[("key", key), ("error", &error)],
        );
    }
}

/// Decodes a cached entry; a garbled one counts as a miss (and is
/// overwritten by the fresh value).
fn decode<T: serde::de::DeserializeOwned>(host: &impl Host, key: &str, bytes: &[u8]) -> Option<T> {
    let decoded = serde_json::from_slice(bytes).ok();
    if decoded.is_none() {
        host.log(
            Level::Warn,
            "ignoring a garbled cache entry",
            &[("key", key)],
        );
    }
    decoded
}

/// The product with `sku`, from the cache or else the database.
pub async fn product(host: &impl Host, sku: &str) -> Result<Option<Product>, StoreError> {
    let settings = Settings::read(host);
    if !settings.enabled {
        return store::find(host, sku).await;
    }
    let key = product_key(sku);
    let write_back = match lookup(host, &key).await {
        Lookup::Hit(bytes) => match decode(host, &key, &bytes) {
            Some(product) => return Ok(Some(product)),
            None => true,
        },
        Lookup::Miss => true,
        Lookup::Down => false,
    };
    let found = store::find(host, sku).await?;
    if write_back && let Some(product) = &found {
        let json = serde_json::to_vec(product).unwrap_or_default();
        store_entry(host, &key, json, settings.ttl_ms).await;
    }
    Ok(found)
}

/// One page of the product list, from the cache or else the database.
pub async fn page(host: &impl Host, page: Page) -> Result<ProductPage, StoreError> {
    let settings = Settings::read(host);
    if !settings.enabled {
        return page_from_db(host, page).await;
    }
    let generation = match lookup(host, GENERATION_KEY).await {
        Lookup::Hit(bytes) => std::str::from_utf8(&bytes)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0),
        Lookup::Miss => 0,
        Lookup::Down => return page_from_db(host, page).await,
    };
    let key = page_key(generation, page);
    let write_back = match lookup(host, &key).await {
        Lookup::Hit(bytes) => match decode(host, &key, &bytes) {
            Some(cached) => return Ok(cached),
            None => true,
        },
        Lookup::Miss => true,
        Lookup::Down => false,
    };
    let fresh = page_from_db(host, page).await?;
    if write_back {
        let json = serde_json::to_vec(&fresh).unwrap_or_default();
        store_entry(host, &key, json, settings.ttl_ms).await;
    }
    Ok(fresh)
}

async fn page_from_db(host: &impl Host, page: Page) -> Result<ProductPage, StoreError> {
    let items = store::page(host, page.limit, page.offset).await?;
    let total = store::count(host).await?;
    Ok(ProductPage { items, total })
}

/// Forgets what the cache knows about `skus` and every list page. Call
/// after the database change has committed. Failures are logged, not
/// returned: the change is made, and the TTL bounds the staleness.
pub async fn invalidate(host: &impl Host, skus: &[&str]) {
    for sku in skus {
        let key = product_key(sku);
        if let Err(e) = host.cache_delete(&key).await {
            let error = e.to_string();
            host.log(
                Level::Warn,
                "cache invalidation failed; entry may be stale until its TTL",
                &[("key", &key), ("error", &error)],
            );
        }
    }
    if let Err(e) = host
        .cache_increment(GENERATION_KEY, 1, GENERATION_TTL_MS)
        .await
    {
        let error = e.to_string();
        host.log(
            Level::Warn,
            "cache invalidation failed; list pages may be stale until their TTL",
            &[("key", GENERATION_KEY), ("error", &error)],
        );
    }
}

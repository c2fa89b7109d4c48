//! Cache-aside reads of products and product pages through the host's
//! `cache` capability, and invalidation after every change.
//!
//! Keys (the host puts its deployment prefix and `catalog:` in front):
//! - `product:{sku}:generation`: an integer bumped after every change of
//!   that product (admin create and update, reserve, release, expiry of a
//!   hold).
//! - `product:{sku}@{generation}`: one product's JSON (its stock included),
//!   for `GET /api/products/{sku}`, `stock.check` and `products.lookup`.
//! - `products:generation`: an integer bumped after every change of any
//!   product (and every create).
//! - `products:{generation}:{limit}:{offset}`: one page of the list.
//!
//! Changes never delete an entry; they bump its generation. A reader reads
//! the generation (a missing counter is 0) *before* it reads the database,
//! and stores what it read under that generation. So a value computed from
//! data older than the latest change (a reader that read the database just
//! before a change and writes back just after its invalidation) can only
//! land under a generation nobody reads any more: the next read looks under
//! the new generation, misses, and reads the database.
//!
//! Every entry lives for the TTL at most (setting `cache_ttl_ms`, default
//! [`DEFAULT_TTL_MS`]), which bounds how stale a read can be when an
//! invalidation is lost (a change made while the cache was unreachable).
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
/// How long a generation counter lives (from the change that created it);
/// far longer than any entry, so a counter that expires has no entries left
/// to confuse.
pub const GENERATION_TTL_MS: u64 = 24 * 60 * 60 * 1000;
/// The list generation's key.
pub const GENERATION_KEY: &str = "products:generation";

/// The key of one product's generation counter.
pub fn product_generation_key(sku: &str) -> String {
    format!("product:{sku}:generation")
}

/// The key of one product under `generation`.
pub fn product_key(sku: &str, generation: i64) -> String {
    format!("product:{sku}@{generation}")
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

/// The generation counter under `key`, read before the database: a missing
/// counter is 0 (nothing changed since it expired, or ever). `None` means
/// the cache cannot be used for this read: it is unreachable, or the
/// counter is not a number (which no invalidation can bump, so an entry
/// stored under it could go stale); read the database, write nothing back.
async fn generation(host: &impl Host, key: &str) -> Option<i64> {
    match lookup(host, key).await {
        Lookup::Hit(bytes) => {
            let parsed = std::str::from_utf8(&bytes)
                .ok()
                .and_then(|s| s.trim().parse().ok());
            if parsed.is_none() {
                host.log(
                    Level::Warn,
                    "ignoring a garbled generation counter; using the database",
                    &[("key", key)],
                );
            }
            parsed
        }
        Lookup::Miss => Some(0),
        Lookup::Down => None,
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
    // The generation first: see the module documentation.
    let Some(generation) = generation(host, &product_generation_key(sku)).await else {
        return store::find(host, sku).await;
    };
    let key = product_key(sku, generation);
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
    let Some(generation) = generation(host, GENERATION_KEY).await else {
        return page_from_db(host, page).await;
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

/// Forgets what the cache knows about `skus` and every list page, by
/// bumping their generations. Call after the database change has
/// committed. Failures are logged, not returned: the change is made, and
/// the TTL bounds the staleness.
pub async fn invalidate(host: &impl Host, skus: &[&str]) {
    for sku in skus {
        bump(
            host,
            &product_generation_key(sku),
            "cache invalidation failed; the product may be stale until its TTL",
        )
        .await;
    }
    bump(
        host,
        GENERATION_KEY,
        "cache invalidation failed; list pages may be stale until their TTL",
    )
    .await;
}

/// Increments the generation counter `key`, logging `failed` on failure.
async fn bump(host: &impl Host, key: &str, failed: &str) {
    if let Err(e) = host.cache_increment(key, 1, GENERATION_TTL_MS).await {
        let error = e.to_string();
        host.log(Level::Warn, failed, &[("key", key), ("error", &error)]);
    }
}

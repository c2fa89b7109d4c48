//! [`InProcessCache`]: a bounded in-memory cache with per-entry TTLs and
//! least-recently-used eviction, for a single node.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures::future::{self, BoxFuture};

use super::{CacheBackend, CacheError};

/// At most `max_entries` entries. When full, expired entries go first, then
/// the least recently used ones. Expired entries are never returned.
pub struct InProcessCache {
    max_entries: usize,
    default_ttl: Duration,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    entries: HashMap<String, Entry>,
    /// Last use -> key; the first is the least recently used.
    by_use: BTreeMap<u64, String>,
    /// (expiry, last use) of every entry, soonest first.
    by_expiry: BTreeSet<(Instant, u64)>,
    clock: u64,
}

struct Entry {
    value: Vec<u8>,
    expires_at: Instant,
    used: u64,
}

impl InProcessCache {
    /// A cache of at most `max_entries` (at least 1) entries whose TTL, when
    /// a caller passes zero, is `default_ttl`.
    pub fn new(max_entries: usize, default_ttl: Duration) -> Self {
        Self {
            max_entries: max_entries.max(1),
            default_ttl,
            state: Mutex::new(State::default()),
        }
    }

    /// The number of entries held, expired ones not yet removed included.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether the cache holds no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the maps half-updated
        // in a way that breaks later calls, so a poisoned lock is reused.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn expiry(&self, ttl: Duration) -> Instant {
        let ttl = if ttl.is_zero() { self.default_ttl } else { ttl };
        Instant::now() + ttl
    }

    fn get_now(&self, key: &str) -> Option<Vec<u8>> {
        let mut state = self.lock();
        let now = Instant::now();
        state.live_mut(key, now).map(|e| e.value.clone())
    }

    fn set_now(&self, key: String, value: Vec<u8>, ttl: Duration) {
        let expires_at = self.expiry(ttl);
        let mut state = self.lock();
        state.remove(&key);
        state.insert(key, value, expires_at);
        state.shrink_to(self.max_entries, Instant::now());
    }

    fn increment_now(&self, key: String, delta: i64, ttl: Duration) -> Result<i64, CacheError> {
        let new_expiry = self.expiry(ttl);
        let mut state = self.lock();
        let now = Instant::now();
        let (current, expires_at) = match state.live_mut(&key, now) {
            Some(entry) => (parse_integer(&entry.value)?, entry.expires_at),
            None => (0, new_expiry),
        };
        let next = current.checked_add(delta).ok_or(CacheError::NotANumber)?;
        state.remove(&key);
        state.insert(key, next.to_string().into_bytes(), expires_at);
        state.shrink_to(self.max_entries, now);
        Ok(next)
    }
}

impl State {
    /// The entry at `key` if it has not expired, marked as just used; an
    /// expired entry is removed.
    fn live_mut(&mut self, key: &str, now: Instant) -> Option<&mut Entry> {
        let (expires_at, used) = {
            let entry = self.entries.get(key)?;
            (entry.expires_at, entry.used)
        };
        if expires_at <= now {
            self.remove(key);
            return None;
        }
        self.clock += 1;
        let fresh = self.clock;
        self.by_use.remove(&used);
        self.by_use.insert(fresh, key.to_string());
        self.by_expiry.remove(&(expires_at, used));
        self.by_expiry.insert((expires_at, fresh));
        let entry = self.entries.get_mut(key)?;
        entry.used = fresh;
        Some(entry)
    }

    fn insert(&mut self, key: String, value: Vec<u8>, expires_at: Instant) {
        self.clock += 1;
        let used = self.clock;
        self.by_use.insert(used, key.clone());
        self.by_expiry.insert((expires_at, used));
        self.entries.insert(
            key,
            Entry {
                value,
                expires_at,
                used,
            },
        );
    }

    fn remove(&mut self, key: &str) {
        if let Some(entry) = self.entries.remove(key) {
            self.by_use.remove(&entry.used);
            self.by_expiry.remove(&(entry.expires_at, entry.used));
        }
    }

    /// Drops expired entries, then least recently used ones, until at most
    /// `max` remain.
    fn shrink_to(&mut self, max: usize, now: Instant) {
        while self.entries.len() > max {
            let victim = match self.by_expiry.first() {
                Some(&(expires_at, used)) if expires_at <= now => used,
                _ => match self.by_use.first_key_value() {
                    Some((&used, _)) => used,
                    None => return,
                },
            };
            if let Some(key) = self.by_use.get(&victim).cloned() {
                self.remove(&key);
            }
        }
    }
}

/// Reads a stored integer: decimal text, as Redis keeps them.
pub(super) fn parse_integer(bytes: &[u8]) -> Result<i64, CacheError> {
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or(CacheError::NotANumber)
}

impl CacheBackend for InProcessCache {
    fn get(&self, key: String) -> BoxFuture<'_, Result<Option<Vec<u8>>, CacheError>> {
        Box::pin(future::ready(Ok(self.get_now(&key))))
    }

    fn set(
        &self,
        key: String,
        value: Vec<u8>,
        ttl: Duration,
    ) -> BoxFuture<'_, Result<(), CacheError>> {
        self.set_now(key, value, ttl);
        Box::pin(future::ready(Ok(())))
    }

    fn delete(&self, key: String) -> BoxFuture<'_, Result<(), CacheError>> {
        self.lock().remove(&key);
        Box::pin(future::ready(Ok(())))
    }

    fn increment(
        &self,
        key: String,
        delta: i64,
        ttl: Duration,
    ) -> BoxFuture<'_, Result<i64, CacheError>> {
        Box::pin(future::ready(self.increment_now(key, delta, ttl)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LONG: Duration = Duration::from_secs(60);

    #[tokio::test]
    async fn set_get_delete() {
        let cache = InProcessCache::new(10, LONG);
        assert_eq!(cache.get("a".into()).await, Ok(None));
        cache.set("a".into(), b"1".to_vec(), LONG).await.unwrap();
        assert_eq!(cache.get("a".into()).await, Ok(Some(b"1".to_vec())));
        cache.set("a".into(), b"2".to_vec(), LONG).await.unwrap();
        assert_eq!(cache.get("a".into()).await, Ok(Some(b"2".to_vec())));
        assert_eq!(cache.len(), 1);
        cache.delete("a".into()).await.unwrap();
        cache.delete("a".into()).await.unwrap();
        assert_eq!(cache.get("a".into()).await, Ok(None));
        assert!(cache.is_empty());
    }

    #[tokio::test]
    async fn entries_expire_after_their_ttl() {
        let ms = Duration::from_millis;
        let cache = InProcessCache::new(10, ms(300));
        cache
            .set("short".into(), b"x".to_vec(), ms(150))
            .await
            .unwrap();
        cache
            .set("default".into(), b"y".to_vec(), Duration::ZERO)
            .await
            .unwrap();
        cache.set("long".into(), b"z".to_vec(), LONG).await.unwrap();
        assert!(cache.get("short".into()).await.unwrap().is_some());
        tokio::time::sleep(ms(200)).await;
        assert_eq!(cache.get("short".into()).await, Ok(None));
        assert!(cache.get("default".into()).await.unwrap().is_some());
        tokio::time::sleep(ms(150)).await;
        assert_eq!(cache.get("default".into()).await, Ok(None));
        assert_eq!(cache.get("long".into()).await, Ok(Some(b"z".to_vec())));
    }

    #[tokio::test]
    async fn stays_within_its_bound_evicting_the_least_recently_used() {
        let cache = InProcessCache::new(100, LONG);
        for i in 0..100 {
            cache
                .set(format!("k{i}"), vec![i as u8], LONG)
                .await
                .unwrap();
        }
        // Touch k0 so that k1 becomes the least recently used.
        assert!(cache.get("k0".into()).await.unwrap().is_some());
        cache.set("new".into(), vec![], LONG).await.unwrap();
        assert_eq!(cache.len(), 100);
        assert!(cache.get("k0".into()).await.unwrap().is_some());
        assert_eq!(cache.get("k1".into()).await, Ok(None));

        for i in 0..10_000 {
            cache
                .set(format!("flood{i}"), vec![0; 16], LONG)
                .await
                .unwrap();
            assert!(cache.len() <= 100);
        }
        let state = cache.lock();
        assert_eq!((state.by_use.len(), state.by_expiry.len()), (100, 100));
    }

    #[tokio::test]
    async fn expired_entries_are_evicted_before_live_ones() {
        let cache = InProcessCache::new(3, LONG);
        cache.set("old".into(), vec![], LONG).await.unwrap();
        cache
            .set("brief".into(), vec![], Duration::from_millis(10))
            .await
            .unwrap();
        cache.set("mid".into(), vec![], LONG).await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        cache.set("new".into(), vec![], LONG).await.unwrap();
        // "old" is the least recently used, but "brief" had expired.
        assert!(cache.get("old".into()).await.unwrap().is_some());
        assert_eq!(cache.len(), 3);
    }

    #[tokio::test]
    async fn increment_counts_and_keeps_the_first_ttl() {
        let cache = InProcessCache::new(10, LONG);
        assert_eq!(
            cache
                .increment("n".into(), 5, Duration::from_millis(200))
                .await,
            Ok(5)
        );
        assert_eq!(cache.increment("n".into(), -2, LONG).await, Ok(3));
        assert_eq!(cache.get("n".into()).await, Ok(Some(b"3".to_vec())));
        tokio::time::sleep(Duration::from_millis(250)).await;
        // The TTL set at creation still applies; expired counts as absent.
        assert_eq!(cache.increment("n".into(), 1, LONG).await, Ok(1));

        cache.set("s".into(), b"abc".to_vec(), LONG).await.unwrap();
        assert_eq!(
            cache.increment("s".into(), 1, LONG).await,
            Err(CacheError::NotANumber)
        );
        cache
            .set("max".into(), i64::MAX.to_string().into_bytes(), LONG)
            .await
            .unwrap();
        assert_eq!(
            cache.increment("max".into(), 1, LONG).await,
            Err(CacheError::NotANumber)
        );
    }
}

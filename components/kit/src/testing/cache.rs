//! The [`TestHost`]'s cache: a map whose entries expire on the fake clock
//! as the host's in-process cache expires them
//! (`host/src/capabilities/cache/in_process.rs`), that a test can switch
//! off, look into, and slip another instance's work into just before a
//! write.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};

use super::TestHost;
use crate::ports::{Cache, CacheError, Clock};

/// The TTL a `ttl_ms` of 0 asks for: the host's default
/// (`default_ttl_ms`), 5 minutes.
pub const DEFAULT_CACHE_TTL_MS: u64 = 300_000;

/// Something another instance does just before a cache write.
type BeforeSet = Box<dyn FnOnce(&TestHost)>;

struct Entry {
    value: Vec<u8>,
    /// Fake-clock milliseconds; the entry is gone from then on.
    expires_at: u64,
}

#[derive(Default)]
pub(super) struct CacheState {
    entries: RefCell<HashMap<String, Entry>>,
    ops: RefCell<Vec<String>>,
    off: Cell<bool>,
    before_set: RefCell<VecDeque<BeforeSet>>,
}

impl TestHost {
    /// While `off`, every cache call fails as `Unavailable` (and is still
    /// recorded in [`TestHost::cache_ops`]).
    pub fn cache_off(&self, off: bool) {
        self.cache.off.set(off);
    }

    /// Runs `f` once, just before the next cache write not yet given one:
    /// another instance acting between this request's database read and
    /// its write-back. `f` runs inside the write's future: it may drive a
    /// service's futures with `now_or_never` (nothing here waits), but not
    /// `block_on`.
    pub fn before_next_cache_set(&self, f: impl FnOnce(&TestHost) + 'static) {
        self.cache.before_set.borrow_mut().push_back(Box::new(f));
    }

    /// The live value at `key`, read past [`TestHost::cache_off`] and
    /// unrecorded.
    pub fn cached(&self, key: &str) -> Option<Vec<u8>> {
        self.live(key)
    }

    /// Every cache call, in order: `get KEY`, `set KEY`, `delete KEY`,
    /// `increment KEY`.
    pub fn cache_ops(&self) -> Vec<String> {
        self.cache.ops.borrow().clone()
    }

    /// Records a call, then fails it if the cache is off.
    fn cache_op(&self, op: &str, key: &str) -> Result<(), CacheError> {
        self.cache.ops.borrow_mut().push(format!("{op} {key}"));
        if self.cache.off.get() {
            Err(CacheError::Unavailable("cache is off".into()))
        } else {
            Ok(())
        }
    }

    /// The value at `key` if it has not expired; an expired one is removed.
    fn live(&self, key: &str) -> Option<Vec<u8>> {
        let mut entries = self.cache.entries.borrow_mut();
        if entries.get(key)?.expires_at <= self.now_ms() {
            entries.remove(key);
            return None;
        }
        entries.get(key).map(|e| e.value.clone())
    }

    fn expiry(&self, ttl_ms: u64) -> u64 {
        let ttl = if ttl_ms == 0 {
            DEFAULT_CACHE_TTL_MS
        } else {
            ttl_ms
        };
        self.now_ms().saturating_add(ttl)
    }

    fn store(&self, key: &str, value: Vec<u8>, expires_at: u64) {
        let entry = Entry { value, expires_at };
        self.cache
            .entries
            .borrow_mut()
            .insert(key.to_string(), entry);
    }
}

impl Cache for TestHost {
    async fn cache_get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        self.cache_op("get", key)?;
        Ok(self.live(key))
    }

    /// Runs the work of [`TestHost::before_next_cache_set`] first, if some
    /// waits.
    async fn cache_set(&self, key: &str, value: Vec<u8>, ttl_ms: u64) -> Result<(), CacheError> {
        let before = self.cache.before_set.borrow_mut().pop_front();
        if let Some(f) = before {
            f(self);
        }
        self.cache_op("set", key)?;
        self.store(key, value, self.expiry(ttl_ms));
        Ok(())
    }

    async fn cache_delete(&self, key: &str) -> Result<(), CacheError> {
        self.cache_op("delete", key)?;
        self.cache.entries.borrow_mut().remove(key);
        Ok(())
    }

    /// As the host: an absent key counts as 0 and gets `ttl_ms`; a present
    /// one keeps its expiry; a value that is not decimal text of an `i64`,
    /// or a sum that overflows one, is `NotANumber`.
    async fn cache_increment(&self, key: &str, delta: i64, ttl_ms: u64) -> Result<i64, CacheError> {
        self.cache_op("increment", key)?;
        let (current, expires_at) = match self.live(key) {
            Some(bytes) => {
                let expires_at = self.cache.entries.borrow()[key].expires_at;
                (parse_integer(&bytes)?, expires_at)
            }
            None => (0, self.expiry(ttl_ms)),
        };
        let next = current.checked_add(delta).ok_or(CacheError::NotANumber)?;
        self.store(key, next.to_string().into_bytes(), expires_at);
        Ok(next)
    }
}

/// A stored integer: decimal text, as the host (and Redis) keep them.
fn parse_integer(bytes: &[u8]) -> Result<i64, CacheError> {
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or(CacheError::NotANumber)
}

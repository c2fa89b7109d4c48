//! Redis tests against real servers: the local one on 6379 (each test under
//! a fresh key prefix), a closed port, and a `redis-server` of the test's
//! own that it stops, pauses and restarts.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{CacheBackend, CacheError, RedisCache};

const LOCAL_REDIS: &str = "redis://127.0.0.1:6379";
/// The production default, for the tests about a missing or stalled Redis.
const OP_TIMEOUT: Duration = Duration::from_millis(50);
/// For tests of behaviour, so a loaded machine does not fail them.
const PATIENT: Duration = Duration::from_secs(2);
const LONG: Duration = Duration::from_secs(60);

fn unique_prefix() -> String {
    format!("sluice-test:{}:", hex::encode(rand::random::<[u8; 6]>()))
}

/// A plain connection for looking at what the cache stored.
async fn raw() -> redis::aio::MultiplexedConnection {
    redis::Client::open(LOCAL_REDIS)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .expect("local redis on 6379")
}

async fn pttl(raw: &mut redis::aio::MultiplexedConnection, key: &str) -> i64 {
    redis::cmd("PTTL").arg(key).query_async(raw).await.unwrap()
}

async fn remove_prefix(raw: &mut redis::aio::MultiplexedConnection, prefix: &str) {
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(raw)
        .await
        .unwrap();
    if !keys.is_empty() {
        let _: () = redis::cmd("DEL").arg(keys).query_async(raw).await.unwrap();
    }
}

/// Retries `get` until it succeeds or `limit` passes.
async fn wait_until_available(cache: &RedisCache, limit: Duration) -> Result<(), CacheError> {
    let started = Instant::now();
    loop {
        match cache.get("probe".into()).await {
            Ok(_) => return Ok(()),
            Err(e) if started.elapsed() > limit => return Err(e),
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

#[tokio::test]
async fn redis_get_set_ttl_delete_increment() {
    let prefix = unique_prefix();
    let cache = RedisCache::new(
        LOCAL_REDIS,
        prefix.clone(),
        PATIENT,
        Duration::from_secs(30),
    )
    .unwrap();
    let mut raw = raw().await;
    wait_until_available(&cache, Duration::from_secs(2))
        .await
        .unwrap();

    assert_eq!(cache.get("a".into()).await, Ok(None));
    cache.set("a".into(), vec![0, 1, 255], LONG).await.unwrap();
    assert_eq!(cache.get("a".into()).await, Ok(Some(vec![0, 1, 255])));
    // Stored under the prefix, with the TTL asked for.
    let ttl = pttl(&mut raw, &format!("{prefix}a")).await;
    assert!((59_000..=60_000).contains(&ttl), "{ttl}");
    cache
        .set("d".into(), b"x".to_vec(), Duration::ZERO)
        .await
        .unwrap();
    let ttl = pttl(&mut raw, &format!("{prefix}d")).await;
    assert!((29_000..=30_000).contains(&ttl), "default TTL: {ttl}");

    cache
        .set("brief".into(), b"x".to_vec(), Duration::from_millis(300))
        .await
        .unwrap();
    assert!(cache.get("brief".into()).await.unwrap().is_some());
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(cache.get("brief".into()).await, Ok(None));

    cache.delete("a".into()).await.unwrap();
    cache.delete("a".into()).await.unwrap();
    assert_eq!(cache.get("a".into()).await, Ok(None));

    assert_eq!(
        cache
            .increment("n".into(), 5, Duration::from_secs(10))
            .await,
        Ok(5)
    );
    assert_eq!(cache.increment("n".into(), -7, LONG).await, Ok(-2));
    assert_eq!(cache.get("n".into()).await, Ok(Some(b"-2".to_vec())));
    // The TTL comes from the increment that created the key.
    let ttl = pttl(&mut raw, &format!("{prefix}n")).await;
    assert!((1..=10_000).contains(&ttl), "{ttl}");
    cache.set("s".into(), b"abc".to_vec(), LONG).await.unwrap();
    assert_eq!(
        cache.increment("s".into(), 1, LONG).await,
        Err(CacheError::NotANumber)
    );

    // Another prefix sees none of it.
    let other_prefix = unique_prefix();
    let other = cache.with_prefix(other_prefix.clone());
    assert_eq!(other.get("n".into()).await, Ok(None));
    assert_eq!(other.increment("n".into(), 1, LONG).await, Ok(1));
    assert_eq!(cache.get("n".into()).await, Ok(Some(b"-2".to_vec())));

    remove_prefix(&mut raw, &prefix).await;
    remove_prefix(&mut raw, &other_prefix).await;
}

#[tokio::test]
async fn concurrent_increments_are_atomic() {
    let prefix = unique_prefix();
    let cache = RedisCache::new(LOCAL_REDIS, prefix.clone(), PATIENT, LONG).unwrap();
    let all =
        futures::future::join_all((0..100).map(|_| cache.increment("c".into(), 1, LONG))).await;
    let mut seen: Vec<i64> = all.into_iter().map(Result::unwrap).collect();
    seen.sort();
    assert_eq!(seen, (1..=100).collect::<Vec<_>>());
    remove_prefix(&mut raw().await, &prefix).await;
}

#[tokio::test]
async fn unreachable_redis_is_unavailable_quickly() {
    // Nothing listens on port 1.
    let cache = RedisCache::new("redis://127.0.0.1:1", "p:", OP_TIMEOUT, LONG).unwrap();
    let ops: Vec<(&str, futures::future::BoxFuture<'_, Result<(), CacheError>>)> = vec![
        (
            "get",
            Box::pin(async { cache.get("k".into()).await.map(drop) }),
        ),
        ("set", cache.set("k".into(), vec![1], LONG)),
        ("delete", cache.delete("k".into())),
        (
            "increment",
            Box::pin(async { cache.increment("k".into(), 1, LONG).await.map(drop) }),
        ),
    ];
    for (name, op) in ops {
        let started = Instant::now();
        let result = op.await;
        assert!(
            matches!(result, Err(CacheError::Unavailable(_))),
            "{name}: {result:?}"
        );
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "{name} took {:?}",
            started.elapsed()
        );
    }
}

#[test]
fn construction_needs_no_runtime_and_no_server() {
    let cache = RedisCache::new("redis://127.0.0.1:1", "p:", OP_TIMEOUT, LONG).unwrap();
    assert!(RedisCache::new("not a url", "p:", OP_TIMEOUT, LONG).is_err());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let result = runtime.block_on(cache.get("k".into()));
    assert!(
        matches!(result, Err(CacheError::Unavailable(_))),
        "{result:?}"
    );
}

/// A `redis-server` of this test's own, killed when dropped.
struct OwnRedis {
    child: Child,
    port: u16,
}

impl OwnRedis {
    fn start(port: u16) -> Self {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be installed to run this test");
        Self { child, port }
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.signal("-CONT");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn recovers_when_redis_starts_late_restarts_or_stalls() {
    let port = free_port();
    let url = format!("redis://127.0.0.1:{port}");
    // A little above the default timeout, so only a stall trips it.
    let cache = RedisCache::new(&url, "p:", Duration::from_millis(200), LONG).unwrap();

    // Down at start: unavailable, quickly.
    let started = Instant::now();
    assert!(matches!(
        cache.get("k".into()).await,
        Err(CacheError::Unavailable(_))
    ));
    assert!(started.elapsed() < Duration::from_secs(1));

    // Comes up: the cache connects on its own.
    let server = OwnRedis::start(port);
    wait_until_available(&cache, Duration::from_secs(10))
        .await
        .unwrap();
    cache.set("k".into(), b"v".to_vec(), LONG).await.unwrap();
    assert_eq!(cache.get("k".into()).await, Ok(Some(b"v".to_vec())));

    // Stalls (SIGSTOP): every operation gives up at the timeout.
    server.signal("-STOP");
    let started = Instant::now();
    assert!(matches!(
        cache.get("k".into()).await,
        Err(CacheError::Unavailable(_))
    ));
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    server.signal("-CONT");
    wait_until_available(&cache, Duration::from_secs(10))
        .await
        .unwrap();

    // Dies: unavailable, quickly; restarted (empty): works again.
    drop(server);
    let started = Instant::now();
    assert!(matches!(
        cache.get("k".into()).await,
        Err(CacheError::Unavailable(_))
    ));
    assert!(started.elapsed() < Duration::from_secs(1));
    let server = OwnRedis::start(port);
    wait_until_available(&cache, Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(cache.get("k".into()).await, Ok(None));
    cache
        .set("k".into(), b"again".to_vec(), LONG)
        .await
        .unwrap();
    assert_eq!(cache.get("k".into()).await, Ok(Some(b"again".to_vec())));
    assert_eq!(server.port, port);
}

//! Behaviour of [`LocalRateLimiter`] in real time, with short periods.

use std::time::Duration;

use super::{
    Decision, LocalRateLimiter, PolicyConfig, PolicyError, RateLimitBackend, RateLimitError,
};

/// 5 units per 500 ms: one back every 100 ms, bursts of 5.
fn limiter() -> LocalRateLimiter {
    LocalRateLimiter::new([
        ("login", PolicyConfig::new(5, Duration::from_millis(500))),
        ("slow", PolicyConfig::new(2, Duration::from_secs(10))),
    ])
    .unwrap()
}

async fn check(
    l: &LocalRateLimiter,
    policy: &str,
    key: &str,
    cost: u32,
) -> Result<Decision, RateLimitError> {
    l.check(policy.into(), key.into(), cost).await
}

fn retry_after(decision: Decision) -> Duration {
    match decision {
        Decision::Limited { retry_after } => retry_after,
        Decision::Allowed => panic!("expected to be limited"),
    }
}

#[tokio::test]
async fn burst_then_limited_then_recovers() {
    let l = limiter();
    for i in 0..5 {
        assert_eq!(
            check(&l, "login", "alice", 1).await,
            Ok(Decision::Allowed),
            "request {i}"
        );
    }
    let wait = retry_after(check(&l, "login", "alice", 1).await.unwrap());
    // One unit comes back every 100 ms.
    assert!(
        wait > Duration::from_millis(50) && wait <= Duration::from_millis(100),
        "{wait:?}"
    );

    // Being limited charged nothing: after the wait, exactly one more passes.
    tokio::time::sleep(wait + Duration::from_millis(2)).await;
    assert_eq!(check(&l, "login", "alice", 1).await, Ok(Decision::Allowed));
    assert!(matches!(
        check(&l, "login", "alice", 1).await,
        Ok(Decision::Limited { .. })
    ));

    // After a whole period the full burst is back.
    tokio::time::sleep(Duration::from_millis(510)).await;
    for _ in 0..5 {
        assert_eq!(check(&l, "login", "alice", 1).await, Ok(Decision::Allowed));
    }
    assert!(matches!(
        check(&l, "login", "alice", 1).await,
        Ok(Decision::Limited { .. })
    ));
}

#[tokio::test]
async fn costs_are_charged_whole() {
    let l = limiter();
    assert_eq!(check(&l, "login", "bob", 3).await, Ok(Decision::Allowed));
    assert_eq!(check(&l, "login", "bob", 2).await, Ok(Decision::Allowed));
    // A cost of 3 needs 3 units back: about 300 ms.
    let wait = retry_after(check(&l, "login", "bob", 3).await.unwrap());
    assert!(
        wait > Duration::from_millis(200) && wait <= Duration::from_millis(300),
        "{wait:?}"
    );
    assert_eq!(
        check(&l, "login", "bob", 6).await,
        Err(RateLimitError::CostExceedsBurst(5))
    );
    assert_eq!(check(&l, "login", "bob", 0).await, Ok(Decision::Allowed));
}

#[tokio::test]
async fn keys_and_policies_are_independent() {
    let l = limiter();
    assert_eq!(check(&l, "slow", "a", 2).await, Ok(Decision::Allowed));
    let wait = retry_after(check(&l, "slow", "a", 1).await.unwrap());
    assert!(
        wait > Duration::from_secs(4) && wait <= Duration::from_secs(5),
        "{wait:?}"
    );
    assert_eq!(check(&l, "slow", "b", 2).await, Ok(Decision::Allowed));
    assert_eq!(check(&l, "login", "a", 5).await, Ok(Decision::Allowed));
}

#[tokio::test]
async fn unknown_policy_is_an_error() {
    let l = limiter();
    assert_eq!(
        check(&l, "signup", "a", 1).await,
        Err(RateLimitError::NoSuchPolicy("signup".into()))
    );
}

#[test]
fn bad_policies_are_rejected_at_construction() {
    let ok = PolicyConfig::new(1, Duration::from_secs(1));
    assert!(matches!(
        LocalRateLimiter::new([("", ok)]),
        Err(PolicyError::EmptyName)
    ));
    assert!(matches!(
        LocalRateLimiter::new([("login", PolicyConfig::new(0, Duration::from_secs(1)))]),
        Err(PolicyError::ZeroLimit(name)) if name == "login"
    ));
    assert!(matches!(
        LocalRateLimiter::new([("login", ok), ("login", ok)]),
        Err(PolicyError::Duplicate(name)) if name == "login"
    ));
    let l = LocalRateLimiter::new([("a", ok), ("b", ok)]).unwrap();
    let mut names: Vec<_> = l.policy_names().collect();
    names.sort();
    assert_eq!(names, ["a", "b"]);
}

#[tokio::test]
async fn idle_keys_are_evicted_so_memory_stays_bounded() {
    // Keys idle for a fraction of a millisecond are fresh again.
    let l = LocalRateLimiter::new([
        (
            "fast",
            PolicyConfig::new(10_000, Duration::from_millis(100)),
        ),
        ("slow", PolicyConfig::new(2, Duration::from_secs(10))),
    ])
    .unwrap()
    .with_housekeeping(100, Duration::from_millis(50));

    // A limited key must survive every sweep: evicting it would reset it.
    assert_eq!(check(&l, "slow", "victim", 2).await, Ok(Decision::Allowed));

    let mut largest = 0;
    for i in 0..20_000 {
        assert_eq!(
            check(&l, "fast", &format!("client-{i}"), 1).await,
            Ok(Decision::Allowed)
        );
        check(&l, "slow", &format!("client-{i}"), 1).await.unwrap();
        largest = largest.max(l.key_count("fast").unwrap());
    }
    assert!(
        largest <= 2_000,
        "fast policy held up to {largest} of 20000 keys"
    );
    assert!(matches!(
        check(&l, "slow", "victim", 1).await,
        Ok(Decision::Limited { .. })
    ));
    // The slow policy's keys are all live (10 s to refill), so they stay.
    assert_eq!(l.key_count("slow"), Some(20_001));

    // Once idle, everything goes at the next timed sweep, which a check
    // triggers (the new key itself is idle again within microseconds).
    tokio::time::sleep(Duration::from_millis(60)).await;
    check(&l, "fast", "one-more", 1).await.unwrap();
    assert!(
        l.key_count("fast").unwrap() <= 1,
        "{:?}",
        l.key_count("fast")
    );
    assert_eq!(l.key_count("nope"), None);
}

//! The rule sandbox without pricing around it: the limits tests through the
//! platform cannot reach (the deadline behind the fuel budget, the input
//! cap) and the outcome of each run.

use sluice::builtin as built;
use sluice::rules::limits::{Budget, MAX_INPUT_BYTES};
use sluice::rules::{Outcome, RuleInput, RuleRegistry};
use std::time::Duration;

fn input(tenant: &str) -> RuleInput {
    RuleInput {
        sku: "COF-FIL-002".into(),
        qty: 1,
        currency: "USD".into(),
        base_unit_price: 1650,
        unit_price: 1650,
        tenant: tenant.into(),
        customer: Vec::new(),
    }
}

fn kind(outcome: &Outcome) -> &'static str {
    outcome.label()
}

/// With fuel to spare, an endless loop is stopped by the wall-clock
/// deadline (epoch interruption), and the runs around it are unaffected.
#[tokio::test]
async fn the_deadline_stops_a_rule_fuel_would_not() {
    let budget = Budget {
        fuel: u64::MAX / 2,
        deadline: Duration::from_millis(30),
    };
    let registry = RuleRegistry::with_budget(None, budget).await.unwrap();
    registry
        .put("spin", built::RULE_LOOP.to_vec())
        .await
        .unwrap();
    registry
        .put("charm", built::RULE_ROUND99.to_vec())
        .await
        .unwrap();
    let (spin, charm) = (input("spin"), input("charm"));
    let (stuck, charmed) = tokio::join!(registry.run(&spin), registry.run(&charm));
    match &stuck {
        Outcome::Failed { kind, message } => {
            assert_eq!(*kind, "deadline");
            assert_eq!(message, "the rule ran past its 30 ms deadline");
        }
        other => panic!("expected the deadline, got {other:?}"),
    }
    match charmed {
        Outcome::Applied(out) => assert_eq!(out.unit_price, 1599),
        other => panic!("expected the charm price, got {other:?}"),
    }
    assert_eq!(registry.metrics.get("spin", "deadline"), 1);
    assert_eq!(registry.metrics.get("charm", "applied"), 1);
}

/// The default budget: the loop runs out of fuel; each misbehaving rule
/// ends the way its kind says; an absent rule is `none`.
#[tokio::test]
async fn each_misbehaviour_has_its_outcome() {
    let registry = RuleRegistry::open(None).await.unwrap();
    let cases: &[(&str, &[u8], &str)] = &[
        ("loop", built::RULE_LOOP, "fuel"),
        ("membomb", built::RULE_MEMBOMB, "memory"),
        ("trap", built::RULE_TRAP, "trap"),
        ("bigoutput", built::RULE_BIGOUTPUT, "output"),
        // A negative price is the rule's answer; pricing refuses it.
        ("badprice", built::RULE_BADPRICE, "applied"),
    ];
    for (tenant, bytes, expected) in cases {
        registry.put(tenant, bytes.to_vec()).await.unwrap();
        let outcome = registry.run(&input(tenant)).await;
        assert_eq!(kind(&outcome), *expected, "{tenant}: {outcome:?}");
    }
    assert_eq!(kind(&registry.run(&input("nobody")).await), "none");
}

/// An input over the cap is refused before the rule runs.
#[tokio::test]
async fn inputs_over_the_cap_are_not_run() {
    let registry = RuleRegistry::open(None).await.unwrap();
    registry
        .put("charm", built::RULE_ROUND99.to_vec())
        .await
        .unwrap();
    let mut big = input("charm");
    big.customer = vec![("note".into(), "x".repeat(MAX_INPUT_BYTES))];
    let outcome = registry.run(&big).await;
    assert_eq!(kind(&outcome), "input", "{outcome:?}");
    assert_eq!(registry.metrics.get("charm", "applied"), 0);
}

/// Rules are kept in their directory and loaded again by a new registry;
/// a removed rule stays removed.
#[tokio::test]
async fn rules_are_kept_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let registry = RuleRegistry::open(Some(dir.path())).await.unwrap();
    let digest = registry
        .put("charm", built::RULE_ROUND99.to_vec())
        .await
        .unwrap();
    registry
        .put("bulk", built::RULE_BULK.to_vec())
        .await
        .unwrap();
    assert!(registry.remove("bulk").await.unwrap());
    drop(registry);
    let reopened = RuleRegistry::open(Some(dir.path())).await.unwrap();
    assert_eq!(reopened.digest("charm"), Some(digest));
    assert_eq!(reopened.digest("bulk"), None);
    assert!(!reopened.remove("bulk").await.unwrap());
}

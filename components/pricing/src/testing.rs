//! Pricing's test host: the kit's [`TestHost`] (pricing's own migrations on
//! an in-memory SQLite, a clock that stands still until moved, fake tokens,
//! a captured log), reached through `Deref`, plus fakes of pricing's links
//! to other components: catalog's product lookup, answered from a map of
//! products (which can be made to fail), and a scripted tenant rule.

use crate::migrations::{Dialect, migrations};
use crate::ports::{LookupError, Product, Products, TenantRules};
use crate::rules::{RuleInput, RuleOutcome};
use sluice_kit::testing::TestHost;
use std::cell::RefCell;
use std::collections::BTreeMap;

/// A scripted tenant rule.
pub type Rule = Box<dyn Fn(&RuleInput) -> RuleOutcome>;

pub struct FakeHost {
    pub host: TestHost,
    /// Catalog's products by sku: what `lookup_product` answers.
    catalog: RefCell<BTreeMap<String, Product>>,
    /// When set, every product lookup fails with this error.
    lookup_failure: RefCell<Option<LookupError>>,
    /// The skus looked up, in order.
    pub lookups: RefCell<Vec<String>>,
    /// The tenant rule; none means no tenant has one.
    rule: RefCell<Option<Rule>>,
    /// Every rule call's input (its `tenant` says whose rule ran, its
    /// `customer` the attributes it was given).
    pub rule_calls: RefCell<Vec<RuleInput>>,
}

sluice_kit::delegate_ports!(FakeHost => host: Sql, Clock, Log, Tokens);

impl std::ops::Deref for FakeHost {
    type Target = TestHost;

    fn deref(&self) -> &TestHost {
        &self.host
    }
}

impl FakeHost {
    /// A host with pricing's tables and no promotions, whose catalog has
    /// `S-999` (999 USD), `S-1000` (1000 USD) and `S-5` (5 EUR), at
    /// [`START_MS`](sluice_kit::testing::START_MS).
    pub fn new() -> FakeHost {
        let host = FakeHost {
            host: TestHost::new(&migrations(Dialect::Sqlite)),
            catalog: RefCell::default(),
            lookup_failure: RefCell::default(),
            lookups: RefCell::default(),
            rule: RefCell::default(),
            rule_calls: RefCell::default(),
        };
        for (sku, price, currency) in [
            ("S-999", 999, "USD"),
            ("S-1000", 1000, "USD"),
            ("S-5", 5, "EUR"),
        ] {
            host.put_product(sku, price, currency);
        }
        host
    }

    /// Adds `sku` to catalog, or reprices it: what an admin does through
    /// catalog's API.
    pub fn put_product(&self, sku: &str, base_price: i64, currency: &str) {
        self.catalog.borrow_mut().insert(
            sku.to_string(),
            Product {
                sku: sku.to_string(),
                name: format!("Product {sku}"),
                base_price,
                currency: currency.to_string(),
            },
        );
    }

    /// Makes every product lookup fail with `err` (or succeed again).
    pub fn fail_lookup(&self, err: Option<LookupError>) {
        *self.lookup_failure.borrow_mut() = err;
    }

    pub fn set_rule(&self, rule: impl Fn(&RuleInput) -> RuleOutcome + 'static) {
        *self.rule.borrow_mut() = Some(Box::new(rule));
    }
}

impl Products for FakeHost {
    async fn lookup_product(&self, sku: &str) -> Result<Option<Product>, LookupError> {
        self.lookups.borrow_mut().push(sku.to_string());
        if let Some(err) = self.lookup_failure.borrow().clone() {
            return Err(err);
        }
        Ok(self.catalog.borrow().get(sku).cloned())
    }
}

impl TenantRules for FakeHost {
    async fn run_tenant_rule(&self, _tenant: &str, input: &RuleInput) -> RuleOutcome {
        self.rule_calls.borrow_mut().push(input.clone());
        match &*self.rule.borrow() {
            Some(rule) => rule(input),
            None => RuleOutcome::NoRule,
        }
    }
}

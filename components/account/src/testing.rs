//! The account service's test host: the kit's [`TestHost`] (an in-memory
//! SQLite built by the service's own migrations, a clock, fake tokens
//! `tok|subject|role|tenant`, recorded pauses and a captured log) plus
//! fakes of the service's links: a rate limiter (scripted per policy, or
//! counting per key) and a token issuer that records every issue. Writes
//! of "another instance" are slipped in with the kit's
//! [`Db::before_next_execute`](sluice_kit::testing::Db::before_next_execute).

use crate::migrations::{Dialect, migrations};
use crate::ports::*;
use crate::store::{self, Account};
use sluice_kit::testing::TestHost;
use std::cell::RefCell;
use std::collections::HashMap;

/// One token issued: subject, role, tenant and attributes as given.
pub type IssueRecord = (String, String, String, Vec<(String, String)>);

/// The columns of [`store::BY_EMAIL`] and [`store::BY_ID`], in order.
pub const ACCOUNT_COLUMNS: [&str; 7] = [
    "id",
    "email",
    "password_hash",
    "role",
    "tenant",
    "created_at",
    "attributes",
];

pub struct FakeHost {
    /// The shared ports; `kit.db` holds the service's tables.
    pub kit: TestHost,
    /// Every token issued, in order.
    pub issued: RefCell<Vec<IssueRecord>>,
    /// Scripted answers per policy, for every key; they win over `budgets`.
    limits: RefCell<HashMap<String, Result<Decision, RateLimitError>>>,
    /// Budgets per policy, counted per key: (burst, wait in ms). A key may
    /// pass `burst` units, then is `Limited(wait)` and charged nothing:
    /// what GCRA answers when nothing refills (this fake never refills).
    /// Policies neither scripted nor budgeted allow.
    budgets: RefCell<HashMap<String, (u32, u64)>>,
    /// Units charged so far per (policy, key) under `budgets`.
    used: RefCell<HashMap<(String, String), u32>>,
    /// Every rate-limit check made: (policy, key, cost).
    pub checks: RefCell<Vec<(String, String, u32)>>,
}

sluice_kit::delegate_ports!(FakeHost => kit: Sql, Clock, Log, Tokens, Pause);

impl FakeHost {
    /// A host whose database has the account migrations applied (so tenant
    /// `default` exists), every policy allowing.
    pub fn new() -> FakeHost {
        FakeHost {
            kit: TestHost::new(&migrations(Dialect::Sqlite)),
            issued: RefCell::default(),
            limits: RefCell::default(),
            budgets: RefCell::default(),
            used: RefCell::default(),
            checks: RefCell::default(),
        }
    }

    /// Answers every check under `policy` with `answer`.
    pub fn limit(&self, policy: &str, answer: Result<Decision, RateLimitError>) {
        self.limits.borrow_mut().insert(policy.to_string(), answer);
    }

    /// Counts `policy` per key: `burst` units, then `Limited(wait_ms)`.
    pub fn budget(&self, policy: &str, burst: u32, wait_ms: u64) {
        self.budgets
            .borrow_mut()
            .insert(policy.to_string(), (burst, wait_ms));
    }

    /// The stored account with normalised `email`, read past injected
    /// failures and unrecorded.
    pub fn account(&self, email: &str) -> Option<Account> {
        self.account_where(store::BY_EMAIL, email)
    }

    /// The stored account with `id`, read as [`FakeHost::account`].
    pub fn account_by_id(&self, id: &str) -> Option<Account> {
        self.account_where(store::BY_ID, id)
    }

    fn account_where(&self, sql: &str, key: &str) -> Option<Account> {
        let columns = ACCOUNT_COLUMNS.map(String::from);
        let rows = self.kit.db.rows(sql, &[Value::from(key)]);
        let row = rows.first()?;
        Some(store::account(&columns, row).expect("a stored account reads back"))
    }

    /// The number of rows of `table`.
    pub fn count(&self, table: &str) -> i64 {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        self.kit.db.int(&sql, &[]).unwrap_or(0)
    }

    /// The number of statements sent so far that change data.
    pub fn writes(&self) -> usize {
        let statements = self.kit.db.statements();
        statements
            .iter()
            .filter(|s| !s.starts_with("SELECT"))
            .count()
    }
}

impl RateLimiter for FakeHost {
    async fn rate_check(
        &self,
        policy: &str,
        key: &str,
        cost: u32,
    ) -> Result<Decision, RateLimitError> {
        self.checks
            .borrow_mut()
            .push((policy.to_string(), key.to_string(), cost));
        if let Some(answer) = self.limits.borrow().get(policy) {
            return answer.clone();
        }
        let Some(&(burst, wait_ms)) = self.budgets.borrow().get(policy) else {
            return Ok(Decision::Allowed);
        };
        if cost > burst {
            return Err(RateLimitError::CostExceedsBurst(burst));
        }
        let mut used = self.used.borrow_mut();
        let used = used
            .entry((policy.to_string(), key.to_string()))
            .or_default();
        if *used + cost > burst {
            return Ok(Decision::Limited(wait_ms));
        }
        *used += cost;
        Ok(Decision::Allowed)
    }
}

impl TokenIssuer for FakeHost {
    /// A token the kit's fake `verify_token` accepts; lives 900 s.
    fn issue_token(
        &self,
        subject: &str,
        role: &str,
        tenant: &str,
        attributes: &[(String, String)],
    ) -> Issued {
        self.issued.borrow_mut().push((
            subject.into(),
            role.into(),
            tenant.into(),
            attributes.to_vec(),
        ));
        Issued {
            token: format!("tok|{subject}|{role}|{tenant}"),
            expires_in: 900,
        }
    }
}

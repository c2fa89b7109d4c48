//! An in-memory fake of the host for native tests: a tiny `accounts` table
//! that understands exactly the statements of `store`, a rate limiter
//! (scripted per policy, or counting per key), fake tokens, a fixed clock,
//! recorded waits and a captured log.

use crate::ports::*;
use crate::store::{self, Account};
use std::cell::RefCell;
use std::collections::HashMap;

/// One captured log record: level, message, fields.
pub type LogRecord = (Level, String, Vec<(String, String)>);

#[derive(Default)]
pub struct FakeHost {
    pub accounts: RefCell<Vec<Account>>,
    /// When set, every SQL call fails with this error.
    pub sql_failure: RefCell<Option<SqlError>>,
    /// Scripted answers per policy, for every key; they win over `budgets`.
    pub limits: RefCell<HashMap<String, Result<Decision, RateLimitError>>>,
    /// Budgets per policy, counted per key: (burst, wait in ms). A key may
    /// pass `burst` units, then is `Limited(wait)` and charged nothing: what
    /// GCRA answers when, as under the fixed clock, nothing refills.
    /// Policies neither scripted nor budgeted allow.
    pub budgets: RefCell<HashMap<String, (u32, u64)>>,
    /// Units charged so far per (policy, key) under `budgets`.
    pub used: RefCell<HashMap<(String, String), u32>>,
    /// Every wait asked for, in milliseconds (none is really waited).
    pub sleeps: RefCell<Vec<u64>>,
    /// Every rate-limit check made: (policy, key, cost).
    pub checks: RefCell<Vec<(String, String, u32)>>,
    pub logs: RefCell<Vec<LogRecord>>,
    /// SQL statements run, in order.
    pub statements: RefCell<Vec<String>>,
}

impl FakeHost {
    pub fn new() -> FakeHost {
        FakeHost::default()
    }

    pub fn limit(&self, policy: &str, answer: Result<Decision, RateLimitError>) {
        self.limits.borrow_mut().insert(policy.to_string(), answer);
    }

    pub fn budget(&self, policy: &str, burst: u32, wait_ms: u64) {
        self.budgets
            .borrow_mut()
            .insert(policy.to_string(), (burst, wait_ms));
    }

    pub fn fail_sql(&self, err: SqlError) {
        *self.sql_failure.borrow_mut() = Some(err);
    }

    pub fn logged(&self, level: Level, needle: &str) -> bool {
        self.logs
            .borrow()
            .iter()
            .any(|(l, m, _)| *l == level && m.contains(needle))
    }

    pub fn account(&self, email: &str) -> Option<Account> {
        self.accounts
            .borrow()
            .iter()
            .find(|a| a.email == email)
            .cloned()
    }

    fn failure(&self, sql: &str) -> Result<(), SqlError> {
        self.statements.borrow_mut().push(sql.to_string());
        match self.sql_failure.borrow().clone() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::Text(s) => s.clone(),
        other => panic!("expected text, got {other:?}"),
    }
}

impl Sql for FakeHost {
    async fn query(&self, sql: &str, params: Vec<Value>) -> Result<Rows, SqlError> {
        self.failure(sql)?;
        let key = text(&params[0]);
        let matches = |a: &Account| {
            if sql.ends_with("WHERE email = ?") {
                a.email == key
            } else if sql.ends_with("WHERE id = ?") {
                a.id == key
            } else {
                panic!("unexpected query {sql}")
            }
        };
        let columns = [
            "id",
            "email",
            "password_hash",
            "role",
            "tenant",
            "created_at",
        ];
        Ok(Rows {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: self
                .accounts
                .borrow()
                .iter()
                .filter(|a| matches(a))
                .map(|a| {
                    vec![
                        Value::Text(a.id.clone()),
                        Value::Text(a.email.clone()),
                        Value::Text(a.password_hash.clone()),
                        Value::Text(a.role.clone()),
                        Value::Text(a.tenant.clone()),
                        Value::Integer(a.created_at),
                    ]
                })
                .collect(),
        })
    }

    async fn execute(&self, sql: &str, params: Vec<Value>) -> Result<u64, SqlError> {
        self.failure(sql)?;
        let mut accounts = self.accounts.borrow_mut();
        if sql == store::INSERT {
            let email = text(&params[1]);
            if accounts.iter().any(|a| a.email == email) {
                return Err(SqlError::ConstraintViolation(
                    "UNIQUE constraint failed: accounts.email".into(),
                ));
            }
            let Value::Integer(created_at) = params[5] else {
                panic!("created_at must be an integer")
            };
            accounts.push(Account {
                id: text(&params[0]),
                email,
                password_hash: text(&params[2]),
                role: text(&params[3]),
                tenant: text(&params[4]),
                created_at,
            });
            Ok(1)
        } else if sql == store::UPDATE_ROLE_AND_HASH {
            let email = text(&params[2]);
            let mut n = 0;
            for a in accounts.iter_mut().filter(|a| a.email == email) {
                a.role = text(&params[0]);
                a.password_hash = text(&params[1]);
                n += 1;
            }
            Ok(n)
        } else {
            panic!("unexpected statement {sql}")
        }
    }
}

impl Host for FakeHost {
    fn now_ms(&self) -> u64 {
        1_700_000_000_000
    }

    fn log(&self, level: Level, message: &str, fields: &[(&str, &str)]) {
        let fields = fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.logs
            .borrow_mut()
            .push((level, message.to_string(), fields));
    }

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

    async fn sleep_ms(&self, ms: u64) {
        self.sleeps.borrow_mut().push(ms);
    }

    fn issue_token(&self, subject: &str, role: &str, tenant: &str) -> Issued {
        Issued {
            token: format!("tok|{subject}|{role}|{tenant}"),
            expires_in: 900,
        }
    }

    fn verify_token(&self, token: &str) -> Result<Claims, TokenError> {
        if token == "expired" {
            return Err(TokenError::Expired);
        }
        let mut parts = token.split('|');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some("tok"), Some(subject), Some(role), Some(tenant)) => Ok(Claims {
                subject: subject.into(),
                role: role.into(),
                tenant: tenant.into(),
                expires_at: 1_700_000_900,
            }),
            _ => Err(TokenError::Invalid),
        }
    }
}

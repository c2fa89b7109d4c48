//! An in-memory fake of the host for native tests: tiny `accounts` and
//! `tenants` tables that understand exactly the statements of `store` and
//! `tenant_store`, a rate limiter (scripted per policy, or counting per
//! key), fake tokens (`tok|subject|role|tenant`, every issue recorded), a
//! fixed clock, recorded waits and a captured log.

use crate::ports::*;
use crate::store::{self, Account, Attributes};
use crate::tenant_store::{self, Tenant};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;

/// One captured log record: level, message, fields.
pub type LogRecord = (Level, String, Vec<(String, String)>);

/// One token issued: subject, role, tenant and attributes as given.
pub type IssueRecord = (String, String, String, Vec<(String, String)>);

#[derive(Default)]
pub struct FakeHost {
    pub accounts: RefCell<Vec<Account>>,
    /// Starts with `default`, as the migration leaves it.
    pub tenants: RefCell<Vec<Tenant>>,
    /// Every token issued, in order.
    pub issued: RefCell<Vec<IssueRecord>>,
    /// How many of the next conditional updates (membership, attributes)
    /// match no row, as if another request had changed it since it was read.
    pub missed_updates: Cell<usize>,
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
        let host = FakeHost::default();
        host.tenants.borrow_mut().push(Tenant {
            id: "default".into(),
            name: "Default".into(),
            created_at: 0,
        });
        host
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

    pub fn account_by_id(&self, id: &str) -> Option<Account> {
        self.accounts.borrow().iter().find(|a| a.id == id).cloned()
    }

    /// The number of statements run so far that change data.
    pub fn writes(&self) -> usize {
        self.statements
            .borrow()
            .iter()
            .filter(|s| !s.starts_with("SELECT"))
            .count()
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

fn integer(v: &Value) -> i64 {
    match v {
        Value::Integer(n) => *n,
        other => panic!("expected an integer, got {other:?}"),
    }
}

/// Attributes from their stored JSON text.
fn attributes(v: &Value) -> Attributes {
    serde_json::from_str(&text(v)).expect("attributes are stored as a JSON object")
}

fn rows(columns: &[&str], rows: Vec<Vec<Value>>) -> Rows {
    Rows {
        columns: columns.iter().map(|c| c.to_string()).collect(),
        rows,
    }
}

fn account_row(a: &Account) -> Vec<Value> {
    vec![
        Value::Text(a.id.clone()),
        Value::Text(a.email.clone()),
        Value::Text(a.password_hash.clone()),
        Value::Text(a.role.clone()),
        Value::Text(a.tenant.clone()),
        Value::Integer(a.created_at),
        Value::Text(store::encode_attributes(&a.attributes)),
    ]
}

const ACCOUNT_COLUMNS: [&str; 7] = [
    "id",
    "email",
    "password_hash",
    "role",
    "tenant",
    "created_at",
    "attributes",
];

impl FakeHost {
    /// `SELECT`s of `store`.
    fn query_accounts(&self, sql: &str, params: &[Value]) -> Rows {
        let key = text(&params[0]);
        let accounts = self.accounts.borrow();
        let mut found: Vec<&Account> = match sql {
            store::BY_EMAIL => accounts.iter().filter(|a| a.email == key).collect(),
            store::BY_ID => accounts.iter().filter(|a| a.id == key).collect(),
            store::MEMBERS => accounts.iter().filter(|a| a.tenant == key).collect(),
            _ => panic!("unexpected query {sql}"),
        };
        if sql == store::MEMBERS {
            found.sort_by(|a, b| a.email.cmp(&b.email));
            found.truncate(store::MAX_MEMBERS);
        }
        rows(
            &ACCOUNT_COLUMNS,
            found.into_iter().map(account_row).collect(),
        )
    }

    /// `SELECT`s of `tenant_store`.
    fn query_tenants(&self, sql: &str, params: &[Value]) -> Rows {
        let mut found = self.tenants.borrow().clone();
        match sql {
            tenant_store::BY_ID => found.retain(|t| t.id == text(&params[0])),
            tenant_store::ALL => found.sort_by(|a, b| a.id.cmp(&b.id)),
            _ => panic!("unexpected query {sql}"),
        }
        let values = found
            .into_iter()
            .map(|t| {
                vec![
                    Value::Text(t.id),
                    Value::Text(t.name),
                    Value::Integer(t.created_at),
                ]
            })
            .collect();
        rows(&["id", "name", "created_at"], values)
    }

    /// Applies `change` to the accounts `matches` selects; the count. A
    /// conditional update may miss (see `missed_updates`).
    fn update(&self, matches: impl Fn(&Account) -> bool, change: impl Fn(&mut Account)) -> u64 {
        if self.missed_updates.get() > 0 {
            self.missed_updates.set(self.missed_updates.get() - 1);
            return 0;
        }
        let mut n = 0;
        for a in self.accounts.borrow_mut().iter_mut().filter(|a| matches(a)) {
            change(a);
            n += 1;
        }
        n
    }
}

impl Sql for FakeHost {
    async fn query(&self, sql: &str, params: Vec<Value>) -> Result<Rows, SqlError> {
        self.failure(sql)?;
        if sql.contains(" FROM tenants") {
            Ok(self.query_tenants(sql, &params))
        } else {
            Ok(self.query_accounts(sql, &params))
        }
    }

    async fn execute(&self, sql: &str, p: Vec<Value>) -> Result<u64, SqlError> {
        self.failure(sql)?;
        match sql {
            store::INSERT => {
                let email = text(&p[1]);
                if self.account(&email).is_some() {
                    return Err(SqlError::ConstraintViolation(
                        "UNIQUE constraint failed: accounts.email".into(),
                    ));
                }
                self.accounts.borrow_mut().push(Account {
                    id: text(&p[0]),
                    email,
                    password_hash: text(&p[2]),
                    role: text(&p[3]),
                    tenant: text(&p[4]),
                    created_at: integer(&p[5]),
                    attributes: attributes(&p[6]),
                });
                Ok(1)
            }
            store::UPDATE_ROLE_AND_HASH => {
                let email = text(&p[2]);
                let mut accounts = self.accounts.borrow_mut();
                let found = accounts.iter_mut().find(|a| a.email == email);
                Ok(found.map_or(0, |a| {
                    (a.role, a.password_hash) = (text(&p[0]), text(&p[1]));
                    1
                }))
            }
            // SET tenant, role WHERE id, tenant, role
            store::SET_MEMBERSHIP => Ok(self.update(
                |a| a.id == text(&p[2]) && a.tenant == text(&p[3]) && a.role == text(&p[4]),
                |a| (a.tenant, a.role) = (text(&p[0]), text(&p[1])),
            )),
            // SET tenant, role, attributes WHERE id, tenant, role
            store::RESET_MEMBERSHIP => Ok(self.update(
                |a| a.id == text(&p[3]) && a.tenant == text(&p[4]) && a.role == text(&p[5]),
                |a| {
                    (a.tenant, a.role, a.attributes) = (text(&p[0]), text(&p[1]), attributes(&p[2]))
                },
            )),
            // SET attributes WHERE id, tenant
            store::SET_ATTRIBUTES => Ok(self.update(
                |a| a.id == text(&p[1]) && a.tenant == text(&p[2]),
                |a| a.attributes = attributes(&p[0]),
            )),
            tenant_store::INSERT => {
                let mut tenants = self.tenants.borrow_mut();
                let id = text(&p[0]);
                if tenants.iter().any(|t| t.id == id) {
                    return Err(SqlError::ConstraintViolation(
                        "UNIQUE constraint failed: tenants.id".into(),
                    ));
                }
                tenants.push(Tenant {
                    id,
                    name: text(&p[1]),
                    created_at: integer(&p[2]),
                });
                Ok(1)
            }
            _ => panic!("unexpected statement {sql}"),
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
                attributes: Vec::new(),
                expires_at: 1_700_000_900,
            }),
            _ => Err(TokenError::Invalid),
        }
    }
}

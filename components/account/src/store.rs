//! The `accounts` table: SQL text and row mapping, over the [`Sql`] port.
//! Statements use `?` placeholders (the host rewrites them for PostgreSQL).
//! Updates of membership and attributes are conditional on what the caller
//! read (tenant, role), so a concurrent change is never overwritten
//! unseen: they report whether the row still matched.

use crate::ports::{Rows, Sql, SqlError, Value};
use std::collections::BTreeMap;

/// An account's customer attributes, e.g. `tier` → `gold`; stored as a JSON
/// object and kept in key order.
pub type Attributes = BTreeMap<String, String>;

/// One row of `accounts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    /// Normalised (trimmed, lowercased).
    pub email: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// `customer`, `tenant-admin` or `admin`.
    pub role: String,
    pub tenant: String,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    /// Customer attributes set by an admin.
    pub attributes: Attributes,
}

pub use sluice_kit::sql::StoreError;

/// The selected columns of `accounts`, as a literal for `concat!`.
macro_rules! columns {
    () => {
        "id, email, password_hash, role, tenant, created_at, attributes"
    };
}

/// How many times a route reads an account and tries its conditional
/// update before it gives up (409 `conflict`) on a row that keeps changing.
pub const ATTEMPTS: usize = 3;

/// The most members a tenant listing returns.
pub const MAX_MEMBERS: usize = 1000;

/// Inserts a new account.
pub const INSERT: &str = "INSERT INTO accounts (id, email, password_hash, role, tenant, created_at, attributes) VALUES (?, ?, ?, ?, ?, ?, ?)";
/// Sets role and password hash of the account with an email.
pub const UPDATE_ROLE_AND_HASH: &str =
    "UPDATE accounts SET role = ?, password_hash = ? WHERE email = ?";
/// The account with an email.
pub const BY_EMAIL: &str = concat!("SELECT ", columns!(), " FROM accounts WHERE email = ?");
/// The account with an id.
pub const BY_ID: &str = concat!("SELECT ", columns!(), " FROM accounts WHERE id = ?");
/// The first [`MAX_MEMBERS`] accounts of a tenant, by email.
pub const MEMBERS: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM accounts WHERE tenant = ? ORDER BY email LIMIT 1000"
);
/// Sets tenant and role of an account still in the tenant and role read.
pub const SET_MEMBERSHIP: &str =
    "UPDATE accounts SET tenant = ?, role = ? WHERE id = ? AND tenant = ? AND role = ?";
/// Sets tenant, role and attributes of an account still in the tenant and
/// role read.
pub const RESET_MEMBERSHIP: &str = "UPDATE accounts SET tenant = ?, role = ?, attributes = ? WHERE id = ? AND tenant = ? AND role = ?";
/// Sets the attributes of an account still in the tenant read.
pub const SET_ATTRIBUTES: &str = "UPDATE accounts SET attributes = ? WHERE id = ? AND tenant = ?";

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

/// Inserts `account`. A duplicate email is `SqlError::ConstraintViolation`.
pub async fn insert(db: &impl Sql, account: &Account) -> Result<(), SqlError> {
    let params = vec![
        text(&account.id),
        text(&account.email),
        text(&account.password_hash),
        text(&account.role),
        text(&account.tenant),
        Value::Integer(account.created_at),
        Value::Text(encode_attributes(&account.attributes)),
    ];
    db.execute(INSERT, params).await.map(|_| ())
}

/// The account with normalised `email`, if any.
pub async fn find_by_email(db: &impl Sql, email: &str) -> Result<Option<Account>, StoreError> {
    let rows = db.query(BY_EMAIL, vec![text(email)]).await?;
    first(&rows)
}

/// The account with `id`, if any.
pub async fn find_by_id(db: &impl Sql, id: &str) -> Result<Option<Account>, StoreError> {
    let rows = db.query(BY_ID, vec![text(id)]).await?;
    first(&rows)
}

/// The accounts of `tenant` ordered by email, at most [`MAX_MEMBERS`].
pub async fn members(db: &impl Sql, tenant: &str) -> Result<Vec<Account>, StoreError> {
    let rows = db.query(MEMBERS, vec![text(tenant)]).await?;
    rows.rows
        .iter()
        .map(|row| account(&rows.columns, row))
        .collect()
}

/// Sets `role` and `password_hash` of the account with `email`; returns the
/// number of rows changed.
pub async fn update_role_and_hash(
    db: &impl Sql,
    email: &str,
    role: &str,
    password_hash: &str,
) -> Result<u64, SqlError> {
    let params = vec![text(role), text(password_hash), text(email)];
    db.execute(UPDATE_ROLE_AND_HASH, params).await
}

/// Puts `read` into `tenant` with `role`, if it still has the tenant and
/// role it was read with; whether it did. `Some(attributes)` replaces its
/// attributes too; `None` keeps them.
pub async fn set_membership(
    db: &impl Sql,
    read: &Account,
    tenant: &str,
    role: &str,
    attributes: Option<&Attributes>,
) -> Result<bool, SqlError> {
    let mut params = vec![text(tenant), text(role)];
    let sql = match attributes {
        None => SET_MEMBERSHIP,
        Some(attributes) => {
            params.push(Value::Text(encode_attributes(attributes)));
            RESET_MEMBERSHIP
        }
    };
    params.extend([text(&read.id), text(&read.tenant), text(&read.role)]);
    Ok(db.execute(sql, params).await? == 1)
}

/// Replaces the attributes of `read`, if it is still in the tenant it was
/// read in; whether it was.
pub async fn set_attributes(
    db: &impl Sql,
    read: &Account,
    attributes: &Attributes,
) -> Result<bool, SqlError> {
    let params = vec![
        Value::Text(encode_attributes(attributes)),
        text(&read.id),
        text(&read.tenant),
    ];
    Ok(db.execute(SET_ATTRIBUTES, params).await? == 1)
}

/// The stored form of attributes: a JSON object, keys in order.
pub fn encode_attributes(attributes: &Attributes) -> String {
    serde_json::to_string(attributes).unwrap_or_else(|_| "{}".to_string())
}

/// The first row of `rows` as an account.
fn first(rows: &Rows) -> Result<Option<Account>, StoreError> {
    rows.rows
        .first()
        .map(|row| account(&rows.columns, row))
        .transpose()
}

/// One result row, read by column name (case-insensitive: engines differ in
/// how they report names).
pub struct Row<'a> {
    pub columns: &'a [String],
    pub values: &'a [Value],
}

impl Row<'_> {
    fn get(&self, name: &str) -> Result<&Value, StoreError> {
        self.columns
            .iter()
            .position(|c| c.eq_ignore_ascii_case(name))
            .and_then(|i| self.values.get(i))
            .ok_or_else(|| StoreError::BadRow(format!("no column {name}")))
    }

    /// The text in column `name`.
    pub fn text(&self, name: &str) -> Result<String, StoreError> {
        match self.get(name)? {
            Value::Text(s) => Ok(s.clone()),
            Value::Blob(b) => String::from_utf8(b.clone())
                .map_err(|_| StoreError::BadRow(format!("{name} is not UTF-8"))),
            other => Err(StoreError::BadRow(format!("{name} is {other:?}, not text"))),
        }
    }

    /// The integer in column `name`.
    pub fn integer(&self, name: &str) -> Result<i64, StoreError> {
        match self.get(name)? {
            Value::Integer(n) => Ok(*n),
            Value::Text(s) => s
                .parse()
                .map_err(|_| StoreError::BadRow(format!("{name} is not an integer"))),
            other => Err(StoreError::BadRow(format!(
                "{name} is {other:?}, not an integer"
            ))),
        }
    }
}

/// Maps one row to an account by column name.
pub fn account(columns: &[String], values: &[Value]) -> Result<Account, StoreError> {
    let row = Row { columns, values };
    let attributes = serde_json::from_str(&row.text("attributes")?)
        .map_err(|e| StoreError::BadRow(format!("attributes are not a JSON object: {e}")))?;
    Ok(Account {
        id: row.text("id")?,
        email: row.text("email")?,
        password_hash: row.text("password_hash")?,
        role: row.text("role")?,
        tenant: row.text("tenant")?,
        created_at: row.integer("created_at")?,
        attributes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::ACCOUNT_COLUMNS;

    #[test]
    fn maps_a_row_by_column_name() {
        let columns = [
            "ID",
            "created_at",
            "email",
            "password_hash",
            "role",
            "tenant",
            "Attributes",
        ]
        .map(String::from);
        let row = [
            Value::from("abc"),
            Value::Integer(42),
            Value::from("a@b.co"),
            Value::from("$argon2id$x"),
            Value::from("customer"),
            Value::from("default"),
            Value::from(r#"{"zone":"eu","tier":"gold"}"#),
        ];
        let a = account(&columns, &row).unwrap();
        assert_eq!(a.id, "abc");
        assert_eq!(a.email, "a@b.co");
        assert_eq!(a.created_at, 42);
        assert_eq!(a.role, "customer");
        let attributes: Vec<_> = a.attributes.iter().collect();
        assert_eq!(
            attributes,
            [
                (&"tier".to_string(), &"gold".to_string()),
                (&"zone".into(), &"eu".into())
            ],
            "in key order"
        );
    }

    #[test]
    fn rejects_missing_columns_and_wrong_types() {
        let columns = ["id", "email"].map(String::from);
        assert!(matches!(
            account(&columns, &[Value::from("a"), Value::from("b")]),
            Err(StoreError::BadRow(_))
        ));
        let columns = ACCOUNT_COLUMNS.map(String::from);
        let row = |id: Value, attributes: &str| {
            [
                id,
                Value::from("a@b.co"),
                Value::from("h"),
                Value::from("customer"),
                Value::from("default"),
                Value::Integer(1),
                Value::from(attributes),
            ]
        };
        assert!(account(&columns, &row(Value::from("a"), "{}")).is_ok());
        for bad in [
            row(Value::Integer(1), "{}"),
            row(Value::from("a"), "[]"),
            row(Value::from("a"), r#"{"tier":1}"#),
            row(Value::from("a"), ""),
        ] {
            assert!(
                matches!(account(&columns, &bad), Err(StoreError::BadRow(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn statements_use_placeholders_only() {
        assert_eq!(INSERT.matches('?').count(), 7);
        assert_eq!(UPDATE_ROLE_AND_HASH.matches('?').count(), 3);
        assert_eq!(SET_MEMBERSHIP.matches('?').count(), 5);
        assert_eq!(RESET_MEMBERSHIP.matches('?').count(), 6);
        assert_eq!(SET_ATTRIBUTES.matches('?').count(), 3);
        assert_eq!(
            BY_EMAIL,
            "SELECT id, email, password_hash, role, tenant, created_at, attributes FROM accounts WHERE email = ?"
        );
        assert!(MEMBERS.ends_with(&format!("ORDER BY email LIMIT {MAX_MEMBERS}")));
    }

    #[test]
    fn attributes_are_stored_as_a_json_object_in_key_order() {
        let mut a = Attributes::new();
        assert_eq!(encode_attributes(&a), "{}");
        a.insert("zone".into(), "eu".into());
        a.insert("tier".into(), "g\"old".into());
        assert_eq!(encode_attributes(&a), r#"{"tier":"g\"old","zone":"eu"}"#);
    }
}

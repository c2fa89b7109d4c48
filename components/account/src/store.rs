//! The `accounts` table: SQL text and row mapping, over the [`Sql`] port.
//! Statements use `?` placeholders (the host rewrites them for PostgreSQL).

use crate::ports::{Rows, Sql, SqlError, Value};

/// One row of `accounts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    /// Normalised (trimmed, lowercased).
    pub email: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// `customer` or `admin`.
    pub role: String,
    pub tenant: String,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
}

/// Why a store operation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// The database reported an error.
    Sql(SqlError),
    /// A row did not have the expected shape.
    BadRow(String),
}

impl From<SqlError> for StoreError {
    fn from(e: SqlError) -> StoreError {
        StoreError::Sql(e)
    }
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Sql(e) => write!(f, "{e}"),
            StoreError::BadRow(m) => write!(f, "unexpected row: {m}"),
        }
    }
}

const COLUMNS: &str = "id, email, password_hash, role, tenant, created_at";

/// Inserts a new account.
pub const INSERT: &str = "INSERT INTO accounts (id, email, password_hash, role, tenant, created_at) VALUES (?, ?, ?, ?, ?, ?)";
/// Sets role and password hash of the account with an email.
pub const UPDATE_ROLE_AND_HASH: &str =
    "UPDATE accounts SET role = ?, password_hash = ? WHERE email = ?";

fn select_where(column: &str) -> String {
    format!("SELECT {COLUMNS} FROM accounts WHERE {column} = ?")
}

/// Inserts `account`. A duplicate email is `SqlError::ConstraintViolation`.
pub async fn insert(db: &impl Sql, account: &Account) -> Result<(), SqlError> {
    let params = vec![
        Value::Text(account.id.clone()),
        Value::Text(account.email.clone()),
        Value::Text(account.password_hash.clone()),
        Value::Text(account.role.clone()),
        Value::Text(account.tenant.clone()),
        Value::Integer(account.created_at),
    ];
    db.execute(INSERT, params).await.map(|_| ())
}

/// The account with normalised `email`, if any.
pub async fn find_by_email(db: &impl Sql, email: &str) -> Result<Option<Account>, StoreError> {
    let rows = db
        .query(&select_where("email"), vec![Value::Text(email.to_string())])
        .await?;
    first(&rows)
}

/// The account with `id`, if any.
pub async fn find_by_id(db: &impl Sql, id: &str) -> Result<Option<Account>, StoreError> {
    let rows = db
        .query(&select_where("id"), vec![Value::Text(id.to_string())])
        .await?;
    first(&rows)
}

/// Sets `role` and `password_hash` of the account with `email`; returns the
/// number of rows changed.
pub async fn update_role_and_hash(
    db: &impl Sql,
    email: &str,
    role: &str,
    password_hash: &str,
) -> Result<u64, SqlError> {
    let params = vec![
        Value::Text(role.to_string()),
        Value::Text(password_hash.to_string()),
        Value::Text(email.to_string()),
    ];
    db.execute(UPDATE_ROLE_AND_HASH, params).await
}

/// The first row of `rows` as an account.
fn first(rows: &Rows) -> Result<Option<Account>, StoreError> {
    rows.rows
        .first()
        .map(|row| account(&rows.columns, row))
        .transpose()
}

/// Maps one row to an account by column name (case-insensitive: engines
/// differ in how they report names).
pub fn account(columns: &[String], row: &[Value]) -> Result<Account, StoreError> {
    let get = |name: &str| -> Result<&Value, StoreError> {
        columns
            .iter()
            .position(|c| c.eq_ignore_ascii_case(name))
            .and_then(|i| row.get(i))
            .ok_or_else(|| StoreError::BadRow(format!("no column {name}")))
    };
    let text = |name: &str| -> Result<String, StoreError> {
        match get(name)? {
            Value::Text(s) => Ok(s.clone()),
            Value::Blob(b) => String::from_utf8(b.clone())
                .map_err(|_| StoreError::BadRow(format!("{name} is not UTF-8"))),
            other => Err(StoreError::BadRow(format!("{name} is {other:?}, not text"))),
        }
    };
    let created_at = match get("created_at")? {
        Value::Integer(n) => *n,
        Value::Text(s) => s
            .parse()
            .map_err(|_| StoreError::BadRow("created_at is not an integer".into()))?,
        other => {
            return Err(StoreError::BadRow(format!(
                "created_at is {other:?}, not an integer"
            )));
        }
    };
    Ok(Account {
        id: text("id")?,
        email: text("email")?,
        password_hash: text("password_hash")?,
        role: text("role")?,
        tenant: text("tenant")?,
        created_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn t(s: &str) -> Value {
        Value::Text(s.into())
    }

    #[test]
    fn maps_a_row_by_column_name() {
        let columns = cols(&[
            "ID",
            "created_at",
            "email",
            "password_hash",
            "role",
            "tenant",
        ]);
        let row = [
            t("abc"),
            Value::Integer(42),
            t("a@b.co"),
            t("$argon2id$x"),
            t("customer"),
            t("default"),
        ];
        let a = account(&columns, &row).unwrap();
        assert_eq!(a.id, "abc");
        assert_eq!(a.email, "a@b.co");
        assert_eq!(a.created_at, 42);
        assert_eq!(a.role, "customer");
    }

    #[test]
    fn rejects_missing_columns_and_wrong_types() {
        let columns = cols(&["id", "email"]);
        assert!(matches!(
            account(&columns, &[t("a"), t("b")]),
            Err(StoreError::BadRow(_))
        ));
        let columns = cols(&[
            "id",
            "email",
            "password_hash",
            "role",
            "tenant",
            "created_at",
        ]);
        let row = [
            Value::Integer(1),
            t("a@b.co"),
            t("h"),
            t("customer"),
            t("default"),
            Value::Integer(1),
        ];
        assert!(matches!(
            account(&columns, &row),
            Err(StoreError::BadRow(_))
        ));
    }

    #[test]
    fn statements_use_placeholders_only() {
        assert_eq!(INSERT.matches('?').count(), 6);
        assert_eq!(UPDATE_ROLE_AND_HASH.matches('?').count(), 3);
        assert_eq!(
            select_where("email"),
            "SELECT id, email, password_hash, role, tenant, created_at FROM accounts WHERE email = ?"
        );
    }
}

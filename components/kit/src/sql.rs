//! Plain mirrors of the WIT `sql` types (`value`, `rows`, `statement`,
//! `error`, `dialect`), plus typed column readers: the one definition the
//! components that talk to a database (directly or through `shards`) and
//! the host's `sql` capability share.

/// A SQL parameter or column value (`sql.value`).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// A 64-bit integer (all integer widths, booleans as 0/1).
    Integer(i64),
    /// A double-precision float.
    Real(f64),
    /// Text (TEXT, VARCHAR, CHAR).
    Text(String),
    /// Raw bytes (BLOB, BYTEA, VARBINARY).
    Blob(Vec<u8>),
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Text(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Text(s)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Integer(n)
    }
}

impl From<Option<&str>> for Value {
    fn from(s: Option<&str>) -> Value {
        s.map_or(Value::Null, Value::from)
    }
}

impl Value {
    /// The text in this value: TEXT, or bytes that are UTF-8 (MySQL/MariaDB
    /// report a column with a binary collation, such as `utf8mb4_bin`, as
    /// bytes).
    pub fn text(&self) -> Option<&str> {
        match self {
            Value::Text(text) => Some(text),
            Value::Blob(bytes) => std::str::from_utf8(bytes).ok(),
            _ => None,
        }
    }
}

/// Rows a query returned (`sql.rows`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rows {
    /// Column names, in select order.
    pub columns: Vec<String>,
    /// One entry per row; each row has one value per column.
    pub rows: Vec<Vec<Value>>,
}

/// One statement of a batch (`sql.statement`).
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub sql: String,
    pub params: Vec<Value>,
    /// The batch fails (and is rolled back) unless the statement affects
    /// exactly this many rows.
    pub expect_rows: Option<u64>,
}

impl Statement {
    /// A statement that must affect exactly `rows` rows.
    pub fn expect(sql: &str, params: Vec<Value>, rows: u64) -> Statement {
        Statement {
            sql: sql.to_string(),
            params,
            expect_rows: Some(rows),
        }
    }

    /// A statement that may affect any number of rows.
    pub fn any(sql: &str, params: Vec<Value>) -> Statement {
        Statement {
            sql: sql.to_string(),
            params,
            expect_rows: None,
        }
    }
}

/// Why a statement failed (`sql.error`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SqlError {
    /// A unique, primary-key, foreign-key, not-null or check constraint
    /// rejected the statement; the string is the database's message.
    ConstraintViolation(String),
    /// Statement `index` of a batch affected another number of rows than
    /// its `expect_rows`; nothing in the batch was applied.
    ExpectationFailed(u32),
    /// Not valid for this database: syntax, unknown table or column, wrong
    /// parameter count, unsupported column type.
    InvalidStatement(String),
    /// The database could not be reached or did not answer in time.
    Unavailable(String),
    /// Any other database error.
    Other(String),
}

impl std::fmt::Display for SqlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SqlError::ConstraintViolation(m) => write!(f, "constraint violation: {m}"),
            SqlError::ExpectationFailed(i) => write!(
                f,
                "statement {i} of the batch did not affect the expected number of rows"
            ),
            SqlError::InvalidStatement(m) => write!(f, "invalid statement: {m}"),
            SqlError::Unavailable(m) => write!(f, "database unavailable: {m}"),
            SqlError::Other(m) => write!(f, "database error: {m}"),
        }
    }
}

impl std::error::Error for SqlError {}

/// The SQL engines the host can give a component (`sql.dialect`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    Sqlite,
    Postgres,
    Mysql,
}

impl Dialect {
    /// The dialect a database URL names by its scheme, if any.
    pub fn from_url(url: &str) -> Option<Dialect> {
        let scheme = url.split_once(':')?.0.to_ascii_lowercase();
        match scheme.as_str() {
            "sqlite" => Some(Dialect::Sqlite),
            "postgres" | "postgresql" => Some(Dialect::Postgres),
            "mysql" | "mariadb" => Some(Dialect::Mysql),
            _ => None,
        }
    }

    /// What a `CREATE TABLE` ends with: MySQL/MariaDB tables are InnoDB in
    /// utf8mb4 with a binary collation (keys compare by bytes, as on the
    /// other engines); nothing elsewhere.
    pub fn table_options(self) -> &'static str {
        match self {
            Dialect::Mysql => " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
            Dialect::Sqlite | Dialect::Postgres => "",
        }
    }
}

impl std::fmt::Display for Dialect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
            Dialect::Mysql => "mysql",
        })
    }
}

/// One forward-only schema migration (`schema.migration`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    pub version: u32,
    pub name: String,
    pub statements: Vec<String>,
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

impl From<BadColumn> for StoreError {
    fn from(e: BadColumn) -> StoreError {
        StoreError::BadRow(e.to_string())
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

/// A column value of an unexpected type: the column index and what was
/// found.
#[derive(Debug, Clone, PartialEq)]
pub struct BadColumn(pub usize, pub Value);

impl std::fmt::Display for BadColumn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unexpected value in column {}: {:?}", self.0, self.1)
    }
}

/// Column `i` of `row` as text. UTF-8 bytes count as text: MySQL/MariaDB
/// report a `VARCHAR` with a binary collation (`utf8mb4_bin`, which the
/// migrations use so keys compare by bytes) as binary.
pub fn text(row: &[Value], i: usize) -> Result<String, BadColumn> {
    let value = row.get(i).unwrap_or(&Value::Null);
    value
        .text()
        .map(str::to_string)
        .ok_or_else(|| BadColumn(i, value.clone()))
}

/// Column `i` of `row` as an integer.
pub fn integer(row: &[Value], i: usize) -> Result<i64, BadColumn> {
    match row.get(i) {
        Some(Value::Integer(n)) => Ok(*n),
        other => Err(BadColumn(i, other.cloned().unwrap_or(Value::Null))),
    }
}

/// Column `i` of `row` as text, or `None` when it is NULL.
pub fn optional_text(row: &[Value], i: usize) -> Result<Option<String>, BadColumn> {
    match row.get(i) {
        Some(Value::Null) => Ok(None),
        _ => text(row, i).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_readers_check_types() {
        let row = vec![Value::Text("a".into()), Value::Integer(3), Value::Null];
        assert_eq!(text(&row, 0), Ok("a".to_string()));
        assert_eq!(integer(&row, 1), Ok(3));
        assert_eq!(optional_text(&row, 2), Ok(None));
        assert_eq!(optional_text(&row, 0), Ok(Some("a".to_string())));
        assert_eq!(integer(&row, 0), Err(BadColumn(0, Value::Text("a".into()))));
        assert_eq!(text(&row, 9), Err(BadColumn(9, Value::Null)));
        let mysql = vec![Value::Blob(b"1-ab".to_vec()), Value::Blob(vec![0xff])];
        assert_eq!(text(&mysql, 0), Ok("1-ab".to_string()));
        assert_eq!(text(&mysql, 1), Err(BadColumn(1, Value::Blob(vec![0xff]))));
    }

    #[test]
    fn values_from_rust() {
        assert_eq!(Value::from(Some("k")), Value::Text("k".into()));
        assert_eq!(Value::from(None::<&str>), Value::Null);
        assert_eq!(Value::from(7i64), Value::Integer(7));
    }
}

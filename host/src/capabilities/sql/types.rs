//! The values, rows and statements that cross the `sql` interface.

use serde::{Deserialize, Serialize};

/// A parameter bound to a `?` placeholder, or a column value read back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

/// The rows a query returned.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Rows {
    /// Column names, in select order.
    pub columns: Vec<String>,
    /// One entry per row; each row has one value per column.
    pub rows: Vec<Vec<Value>>,
}

/// One statement of a batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    /// The SQL text, with `?` placeholders.
    pub sql: String,
    /// One value per placeholder.
    pub params: Vec<Value>,
    /// When set, the batch is rolled back with
    /// [`SqlError::ExpectationFailed`](super::SqlError::ExpectationFailed)
    /// unless the statement affected exactly this many rows.
    pub expect_rows: Option<u64>,
}

impl Statement {
    /// A statement without a row-count expectation.
    pub fn new(sql: impl Into<String>, params: Vec<Value>) -> Self {
        Self {
            sql: sql.into(),
            params,
            expect_rows: None,
        }
    }

    /// The same statement, required to affect exactly `rows` rows.
    pub fn expect(mut self, rows: u64) -> Self {
        self.expect_rows = Some(rows);
        self
    }
}

/// The engine behind a database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    Sqlite,
    Postgres,
    Mysql,
}

impl Dialect {
    /// The dialect a database URL names by its scheme, if any.
    pub fn from_url(url: &str) -> Option<Self> {
        let scheme = url.split_once(':')?.0.to_ascii_lowercase();
        match scheme.as_str() {
            "sqlite" => Some(Self::Sqlite),
            "postgres" | "postgresql" => Some(Self::Postgres),
            "mysql" | "mariadb" => Some(Self::Mysql),
            _ => None,
        }
    }
}

impl std::fmt::Display for Dialect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
            Self::Mysql => "mysql",
        })
    }
}

impl From<&str> for Value {
    fn from(text: &str) -> Self {
        Value::Text(text.to_string())
    }
}

impl From<String> for Value {
    fn from(text: String) -> Self {
        Value::Text(text)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::Integer(n)
    }
}

impl Value {
    /// The text in this value: TEXT, or bytes that are UTF-8 (MySQL reports
    /// columns with a binary collation, such as `utf8mb4_bin`, as bytes).
    pub fn text(&self) -> Option<&str> {
        match self {
            Value::Text(text) => Some(text),
            Value::Blob(bytes) => std::str::from_utf8(bytes).ok(),
            _ => None,
        }
    }
}

//! [`SqlError`] and the mapping from sqlx's errors onto it.

use sqlx::error::{DatabaseError, ErrorKind};

/// Why a statement failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SqlError {
    /// A unique, primary-key, foreign-key, not-null or check constraint
    /// rejected the statement; the string is the database's message.
    #[error("constraint violation: {0}")]
    ConstraintViolation(String),
    /// Statement `index` of a batch affected a different number of rows than
    /// its `expect_rows`; nothing in the batch was applied.
    #[error("statement {0} of the batch did not affect the expected number of rows")]
    ExpectationFailed(u32),
    /// Not valid for this database: syntax, unknown table or column, wrong
    /// parameter count, unsupported column type.
    #[error("invalid statement: {0}")]
    InvalidStatement(String),
    /// The database could not be reached or did not answer in time.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Any other database error.
    #[error("database error: {0}")]
    Other(String),
}

impl From<sqlx::Error> for SqlError {
    fn from(error: sqlx::Error) -> Self {
        use sqlx::Error as E;
        match error {
            E::Database(db) => from_database_error(db.as_ref()),
            E::PoolTimedOut => Self::Unavailable("timed out waiting for a connection".into()),
            E::PoolClosed => Self::Unavailable("the connection pool is closed".into()),
            E::Io(e) => Self::Unavailable(e.to_string()),
            E::Tls(e) => Self::Unavailable(e.to_string()),
            E::WorkerCrashed => Self::Unavailable("the database worker crashed".into()),
            e @ (E::ColumnNotFound(_)
            | E::ColumnIndexOutOfBounds { .. }
            | E::TypeNotFound { .. }
            | E::Encode(_)) => Self::InvalidStatement(e.to_string()),
            other => Self::Other(other.to_string()),
        }
    }
}

/// Maps an error the database itself returned: by sqlx's kind first, then by
/// SQLSTATE class (PostgreSQL, MySQL; SQLite's codes are sorted by
/// `sluice_kit::sqlite::classify`).
fn from_database_error(error: &dyn DatabaseError) -> SqlError {
    let message = error.message().to_string();
    match error.kind() {
        ErrorKind::UniqueViolation
        | ErrorKind::ForeignKeyViolation
        | ErrorKind::NotNullViolation
        | ErrorKind::CheckViolation => return SqlError::ConstraintViolation(message),
        _ => {}
    }
    let code = error.code().map(|c| c.into_owned()).unwrap_or_default();
    match code.get(..2).unwrap_or("") {
        "23" => SqlError::ConstraintViolation(message),
        // 42: syntax error or access rule violation (also MySQL's unknown
        // table/column); 07: dynamic SQL error (parameter count);
        // 0A: feature not supported.
        "42" | "07" | "0A" => SqlError::InvalidStatement(message),
        // 08: connection exception; 53: insufficient resources;
        // 57: operator intervention (shutdown, statement timeout).
        "08" | "53" | "57" => SqlError::Unavailable(message),
        _ => SqlError::Other(message),
    }
}

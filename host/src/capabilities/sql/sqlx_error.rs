//! The mapping from sqlx's errors onto [`SqlError`].

use super::SqlError;
use sqlx::error::{DatabaseError, ErrorKind};

/// What went wrong, as a component sees it.
pub(super) fn from_sqlx(error: sqlx::Error) -> SqlError {
    use sqlx::Error as E;
    match error {
        E::Database(db) => from_database_error(db.as_ref()),
        E::PoolTimedOut => SqlError::Unavailable("timed out waiting for a connection".into()),
        E::PoolClosed => SqlError::Unavailable("the connection pool is closed".into()),
        E::Io(e) => SqlError::Unavailable(e.to_string()),
        E::Tls(e) => SqlError::Unavailable(e.to_string()),
        E::WorkerCrashed => SqlError::Unavailable("the database worker crashed".into()),
        e @ (E::ColumnNotFound(_)
        | E::ColumnIndexOutOfBounds { .. }
        | E::TypeNotFound { .. }
        | E::Encode(_)) => SqlError::InvalidStatement(e.to_string()),
        other => SqlError::Other(other.to_string()),
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

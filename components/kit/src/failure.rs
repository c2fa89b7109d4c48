//! Failures on our side and in what a request depends on: logged in full
//! through the host, reported to the client only as `unavailable` (503,
//! retry) or `internal` (500), never with SQL text.

use crate::errors::ApiError;
use crate::ports::{Level, Log, SqlError};
use crate::sql::StoreError;

/// A database error during `what`: 503 if the database is unreachable,
/// else 500.
pub fn sql<E>(host: &impl Log, what: &str, err: &SqlError) -> ApiError<E> {
    let detail = err.to_string();
    let fields = [("during", what), ("error", detail.as_str())];
    match err {
        SqlError::Unavailable(_) => {
            host.log(Level::Warn, "database unavailable", &fields);
            ApiError::Unavailable
        }
        _ => {
            host.log(Level::Error, "database error", &fields);
            ApiError::Internal
        }
    }
}

/// A store error during `what` (see [`sql`]).
pub fn store<E>(host: &impl Log, what: &str, err: &StoreError) -> ApiError<E> {
    match err {
        StoreError::Sql(e) => sql(host, what, e),
        StoreError::BadRow(_) => internal(host, what, &err.to_string()),
    }
}

/// Something else the request needs (another service) did not answer
/// during `what`: logged as a warning, 503.
pub fn unavailable<E>(host: &impl Log, what: &str, detail: &str) -> ApiError<E> {
    host.log(
        Level::Warn,
        "dependency unavailable",
        &[("during", what), ("error", detail)],
    );
    ApiError::Unavailable
}

/// Any other failure on our side during `what`: logged as an error, 500.
pub fn internal<E>(host: &impl Log, what: &str, detail: &str) -> ApiError<E> {
    host.log(
        Level::Error,
        "internal error",
        &[("during", what), ("error", detail)],
    );
    ApiError::Internal
}

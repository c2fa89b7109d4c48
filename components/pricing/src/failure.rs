//! Failures on our side: logged in full through the host, reported to the
//! client only as `unavailable` or `internal` (no SQL text).

use crate::errors::ApiError;
use crate::ports::{Host, Level, LookupError, SqlError};
use crate::store::StoreError;

/// A database error during `what`: 503 if the database is unreachable,
/// else 500.
pub fn sql(host: &impl Host, what: &str, err: &SqlError) -> ApiError {
    let detail = err.to_string();
    match err {
        SqlError::Unavailable(_) => {
            host.log(
                Level::Warn,
                "database unavailable",
                &[("during", what), ("error", &detail)],
            );
            ApiError::Unavailable
        }
        _ => {
            host.log(
                Level::Error,
                "database error",
                &[("during", what), ("error", &detail)],
            );
            ApiError::Internal
        }
    }
}

/// A store error during `what` (see [`sql`]).
pub fn store(host: &impl Host, what: &str, err: &StoreError) -> ApiError {
    match err {
        StoreError::Sql(e) => sql(host, what, e),
        StoreError::BadRow(_) => internal(host, what, &err.to_string()),
    }
}

/// Catalog's product lookup failed during `what`: logged, 503 (the same
/// answer as an unreachable database: the client may try again).
pub fn catalog(host: &impl Host, what: &str, err: &LookupError) -> ApiError {
    let detail = err.to_string();
    host.log(
        Level::Warn,
        "catalog unavailable",
        &[("during", what), ("error", &detail)],
    );
    ApiError::Unavailable
}

/// Any other internal failure during `what`: logged, 500.
pub fn internal(host: &impl Host, what: &str, detail: &str) -> ApiError {
    host.log(
        Level::Error,
        "internal error",
        &[("during", what), ("error", detail)],
    );
    ApiError::Internal
}

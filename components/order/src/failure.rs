//! Failures on our side and in the services an order calls: logged in full
//! through the host, reported to the client only as `unavailable` (503,
//! retry) or `internal` (500), never with SQL text.

use crate::errors::ApiError;
use crate::ports::{Host, Level, SqlError};
use crate::store::StoreError;

/// Something the order needs did not answer during `what`: logged as a
/// warning, 503.
pub fn unavailable(host: &impl Host, what: &str, detail: &str) -> ApiError {
    host.log(
        Level::Warn,
        "dependency unavailable",
        &[("during", what), ("error", detail)],
    );
    ApiError::Unavailable
}

/// Any other failure on our side during `what`: logged as an error, 500.
pub fn internal(host: &impl Host, what: &str, detail: &str) -> ApiError {
    host.log(
        Level::Error,
        "internal error",
        &[("during", what), ("error", detail)],
    );
    ApiError::Internal
}

/// A shard's SQL error during `what`: 503 if unreachable, else 500.
pub fn sql(host: &impl Host, what: &str, err: &SqlError) -> ApiError {
    match err {
        SqlError::Unavailable(_) => unavailable(host, what, &err.to_string()),
        _ => internal(host, what, &err.to_string()),
    }
}

/// A read's error during `what` (see [`sql`]).
pub fn store(host: &impl Host, what: &str, err: &StoreError) -> ApiError {
    match err {
        StoreError::Sql(e) => sql(host, what, e),
        StoreError::BadRow(_) => internal(host, what, &err.to_string()),
    }
}

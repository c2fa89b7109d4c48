//! The [`SqlBackend`] trait: what the `sql` host functions call.

use futures::future::BoxFuture;

use super::{Dialect, Rows, SqlError, Statement, Value};

/// One component's database. Object safe, so the host can hold any backend
/// as `Arc<dyn SqlBackend>`. Statements use `?` placeholders on every engine.
pub trait SqlBackend: Send + Sync {
    /// The engine behind this database.
    fn dialect(&self) -> Dialect;

    /// Runs a query and returns all of its rows.
    fn query(&self, sql: String, params: Vec<Value>) -> BoxFuture<'_, Result<Rows, SqlError>>;

    /// Runs one statement and returns the number of rows it affected.
    fn execute(&self, sql: String, params: Vec<Value>) -> BoxFuture<'_, Result<u64, SqlError>>;

    /// Runs `statements` in one transaction, all or none, and returns the rows
    /// each affected. If a statement affects a number of rows other than its
    /// `expect_rows`, the transaction is rolled back and the error is
    /// [`SqlError::ExpectationFailed`] with the statement's index.
    fn batch(&self, statements: Vec<Statement>) -> BoxFuture<'_, Result<Vec<u64>, SqlError>>;
}

//! TEMPORARY stub until the real backend lands.
mod host;
pub use host::*;
use futures::future::BoxFuture;
#[derive(Debug, Clone, PartialEq)]
pub enum Value { Null, Integer(i64), Real(f64), Text(String), Blob(Vec<u8>) }
pub struct Rows { pub columns: Vec<String>, pub rows: Vec<Vec<Value>> }
pub struct Statement { pub sql: String, pub params: Vec<Value>, pub expect_rows: Option<u64> }
#[derive(Clone, Copy)]
pub enum Dialect { Sqlite, Postgres, Mysql }
#[derive(Debug, thiserror::Error)]
pub enum SqlError { #[error("a")] ConstraintViolation(String), #[error("a")] ExpectationFailed(u32), #[error("a")] InvalidStatement(String), #[error("a")] Unavailable(String), #[error("a")] Other(String) }
pub trait SqlBackend: Send + Sync {
    fn dialect(&self) -> Dialect;
    fn query(&self, sql: String, params: Vec<Value>) -> BoxFuture<'_, Result<Rows, SqlError>>;
    fn execute(&self, sql: String, params: Vec<Value>) -> BoxFuture<'_, Result<u64, SqlError>>;
    fn batch(&self, statements: Vec<Statement>) -> BoxFuture<'_, Result<Vec<u64>, SqlError>>;
}
pub struct SqlConfig { pub url: String }
impl SqlConfig { pub fn new(url: String) -> Self { SqlConfig { url } } }
pub struct SqlxBackend;
impl SqlBackend for SqlxBackend {
    fn dialect(&self) -> Dialect { todo!() }
    fn query(&self, _: String, _: Vec<Value>) -> BoxFuture<'_, Result<Rows, SqlError>> { todo!() }
    fn execute(&self, _: String, _: Vec<Value>) -> BoxFuture<'_, Result<u64, SqlError>> { todo!() }
    fn batch(&self, _: Vec<Statement>) -> BoxFuture<'_, Result<Vec<u64>, SqlError>> { todo!() }
}
pub async fn connect(_: &SqlConfig) -> anyhow::Result<SqlxBackend> { todo!() }
pub struct Migration { pub version: u32, pub name: String, pub statements: Vec<String> }
pub async fn apply_migrations(_: &dyn SqlBackend, _: &[Migration]) -> Result<Vec<u32>, SqlError> { todo!() }

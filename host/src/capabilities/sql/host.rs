//! The `sql` WIT interface over a `SqlBackend`: the component's own
//! database, or none if its service has no database configured.

use super::{Dialect, SqlBackend, SqlError, Statement, Value};
use crate::bindings::sql as wit;
use crate::state::ComponentState;
use std::sync::Arc;
use wasmtime::component::{Accessor, HasData, Linker};

/// The database of one service, shared by all of its instances.
#[derive(Clone, Default)]
pub struct SqlState {
    pub db: Option<Arc<dyn SqlBackend>>,
}

impl SqlState {
    fn backend(&self) -> Result<Arc<dyn SqlBackend>, wit::Error> {
        self.db.clone().ok_or_else(|| {
            wit::Error::Unavailable("this service has no database configured".into())
        })
    }
}

/// Marker: the sql state lives in `ServiceCapabilities::sql`.
pub struct SqlCapability;

impl HasData for SqlCapability {
    type Data<'a> = &'a SqlState;
}

impl wit::Host for &SqlState {
    fn current_dialect(&mut self) -> wit::Dialect {
        self.db
            .as_ref()
            .map_or(wit::Dialect::Sqlite, |db| db.dialect().into())
    }
}

fn backend<T>(accessor: &Accessor<T, SqlCapability>) -> Result<Arc<dyn SqlBackend>, wit::Error> {
    accessor.with(|mut access| access.get().backend())
}

impl<T> wit::HostWithStore<T> for SqlCapability {
    #[tracing::instrument(level = "debug", name = "sql.query", skip_all)]
    async fn query(
        accessor: &Accessor<T, Self>,
        sql: String,
        params: Vec<wit::Value>,
    ) -> Result<wit::Rows, wit::Error> {
        query(backend(accessor)?, sql, params).await
    }

    #[tracing::instrument(level = "debug", name = "sql.execute", skip_all)]
    async fn execute(
        accessor: &Accessor<T, Self>,
        sql: String,
        params: Vec<wit::Value>,
    ) -> Result<u64, wit::Error> {
        execute(backend(accessor)?, sql, params).await
    }

    #[tracing::instrument(level = "debug", name = "sql.batch", skip_all)]
    async fn batch(
        accessor: &Accessor<T, Self>,
        statements: Vec<wit::Statement>,
    ) -> Result<Vec<u64>, wit::Error> {
        batch(backend(accessor)?, statements).await
    }
}

/// `query` of the WIT interfaces over one database (also used by `shards`).
pub(crate) async fn query(
    db: Arc<dyn SqlBackend>,
    sql: String,
    params: Vec<wit::Value>,
) -> Result<wit::Rows, wit::Error> {
    let params = params.into_iter().map(Value::from).collect();
    let rows = db.query(sql, params).await?;
    Ok(wit::Rows {
        columns: rows.columns,
        rows: rows
            .rows
            .into_iter()
            .map(|row| row.into_iter().map(wit::Value::from).collect())
            .collect(),
    })
}

/// `execute` of the WIT interfaces over one database.
pub(crate) async fn execute(
    db: Arc<dyn SqlBackend>,
    sql: String,
    params: Vec<wit::Value>,
) -> Result<u64, wit::Error> {
    let params = params.into_iter().map(Value::from).collect();
    Ok(db.execute(sql, params).await?)
}

/// `batch` of the WIT interfaces over one database.
pub(crate) async fn batch(
    db: Arc<dyn SqlBackend>,
    statements: Vec<wit::Statement>,
) -> Result<Vec<u64>, wit::Error> {
    let statements = statements
        .into_iter()
        .map(|s| Statement {
            sql: s.sql,
            params: s.params.into_iter().map(Value::from).collect(),
            expect_rows: s.expect_rows,
        })
        .collect();
    Ok(db.batch(statements).await?)
}

impl From<wit::Value> for Value {
    fn from(v: wit::Value) -> Self {
        match v {
            wit::Value::Null => Value::Null,
            wit::Value::Integer(i) => Value::Integer(i),
            wit::Value::Real(f) => Value::Real(f),
            wit::Value::Text(s) => Value::Text(s),
            wit::Value::Blob(b) => Value::Blob(b),
        }
    }
}

impl From<Value> for wit::Value {
    fn from(v: Value) -> Self {
        match v {
            Value::Null => wit::Value::Null,
            Value::Integer(i) => wit::Value::Integer(i),
            Value::Real(f) => wit::Value::Real(f),
            Value::Text(s) => wit::Value::Text(s),
            Value::Blob(b) => wit::Value::Blob(b),
        }
    }
}

impl From<Dialect> for wit::Dialect {
    fn from(d: Dialect) -> Self {
        match d {
            Dialect::Sqlite => wit::Dialect::Sqlite,
            Dialect::Postgres => wit::Dialect::Postgres,
            Dialect::Mysql => wit::Dialect::Mysql,
        }
    }
}

impl From<SqlError> for wit::Error {
    fn from(e: SqlError) -> Self {
        match e {
            SqlError::ConstraintViolation(m) => wit::Error::ConstraintViolation(m),
            SqlError::ExpectationFailed(i) => wit::Error::ExpectationFailed(i),
            SqlError::InvalidStatement(m) => wit::Error::InvalidStatement(m),
            SqlError::Unavailable(m) => wit::Error::Unavailable(m),
            SqlError::Other(m) => wit::Error::Other(m),
        }
    }
}

pub fn add_to_linker(linker: &mut Linker<ComponentState>) -> wasmtime::Result<()> {
    wit::add_to_linker::<_, SqlCapability>(linker, |s| &s.caps.sql)
}

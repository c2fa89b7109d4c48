//! The engine-generic core: binding parameters, reading rows, transactions.

use sqlx::{
    Column, ColumnIndex, Database, Encode, Executor, IntoArguments, Pool, Row, Type, ValueRef,
    query::Query,
};

use super::decode::{DecodeFailure, Engine};
use super::placeholders::rewrite;
use super::sqlx_error::from_sqlx;
use super::{Rows, SqlError, Statement, Value};

/// A pool of connections to one engine.
pub struct Runner<DB: Database> {
    pub pool: Pool<DB>,
}

impl<DB> Runner<DB>
where
    DB: Engine,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    usize: ColumnIndex<DB::Row>,
    i64: for<'q> Encode<'q, DB> + Type<DB>,
    f64: for<'q> Encode<'q, DB> + Type<DB>,
    Option<i64>: for<'q> Encode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> &'q [u8]: Encode<'q, DB> + Type<DB>,
{
    pub async fn query(&self, sql: &str, params: &[Value]) -> Result<Rows, SqlError> {
        let rewritten = rewrite(sql, params, DB::DIALECT)?;
        let mut conn = self.pool.acquire().await.map_err(from_sqlx)?;
        let found = bind(sqlx::query(&rewritten.sql), &rewritten.params)
            .fetch_all(&mut *conn)
            .await
            .map_err(from_sqlx)?;
        let columns = match found.first() {
            Some(row) => column_names(row.columns()),
            // No row to read the names from: the statement just ran on this
            // connection, so preparing it again is a cache hit.
            None => match (&mut *conn).prepare(&rewritten.sql).await {
                Ok(statement) => column_names(sqlx::Statement::columns(&statement)),
                Err(_) => Vec::new(),
            },
        };
        let rows = found
            .iter()
            .map(|row| decode_row::<DB>(row, &columns))
            .collect::<Result<_, _>>()?;
        Ok(Rows { columns, rows })
    }

    pub async fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, SqlError> {
        let rewritten = rewrite(sql, params, DB::DIALECT)?;
        let done = bind(sqlx::query(&rewritten.sql), &rewritten.params)
            .execute(&self.pool)
            .await
            .map_err(from_sqlx)?;
        Ok(DB::rows_affected(&done))
    }

    pub async fn batch(&self, statements: &[Statement]) -> Result<Vec<u64>, SqlError> {
        let rewritten = statements
            .iter()
            .map(|s| rewrite(&s.sql, &s.params, DB::DIALECT))
            .collect::<Result<Vec<_>, _>>()?;
        let mut tx = self.pool.begin().await.map_err(from_sqlx)?;
        let mut counts = Vec::with_capacity(statements.len());
        for (index, (statement, p)) in statements.iter().zip(&rewritten).enumerate() {
            let done = match bind(sqlx::query(&p.sql), &p.params).execute(&mut *tx).await {
                Ok(done) => done,
                Err(error) => {
                    let _ = tx.rollback().await;
                    return Err(from_sqlx(error));
                }
            };
            let affected = DB::rows_affected(&done);
            if statement
                .expect_rows
                .is_some_and(|expected| expected != affected)
            {
                tx.rollback().await.map_err(from_sqlx)?;
                return Err(SqlError::ExpectationFailed(index as u32));
            }
            counts.push(affected);
        }
        tx.commit().await.map_err(from_sqlx)?;
        Ok(counts)
    }
}

fn bind<'q, DB>(
    mut query: Query<'q, DB, DB::Arguments<'q>>,
    params: &[&'q Value],
) -> Query<'q, DB, DB::Arguments<'q>>
where
    DB: Database,
    i64: Encode<'q, DB> + Type<DB>,
    f64: Encode<'q, DB> + Type<DB>,
    Option<i64>: Encode<'q, DB> + Type<DB>,
    &'q str: Encode<'q, DB> + Type<DB>,
    &'q [u8]: Encode<'q, DB> + Type<DB>,
{
    for &param in params {
        query = match param {
            Value::Null => query.bind(None::<i64>),
            Value::Integer(i) => query.bind(*i),
            Value::Real(f) => query.bind(*f),
            Value::Text(s) => query.bind(s.as_str()),
            Value::Blob(b) => query.bind(b.as_slice()),
        };
    }
    query
}

fn column_names<C: Column>(columns: &[C]) -> Vec<String> {
    columns.iter().map(|c| c.name().to_string()).collect()
}

fn decode_row<DB>(row: &DB::Row, columns: &[String]) -> Result<Vec<Value>, SqlError>
where
    DB: Engine,
    usize: ColumnIndex<DB::Row>,
{
    (0..row.len())
        .map(|i| {
            let raw = row.try_get_raw(i).map_err(from_sqlx)?;
            if raw.is_null() {
                return Ok(Value::Null);
            }
            let column = columns.get(i).map_or("?", String::as_str);
            DB::decode(raw).map_err(|failure| match failure {
                DecodeFailure::Unsupported(ty) => SqlError::InvalidStatement(format!(
                    "column `{column}` has type {ty}, which has no sql value \
                     (use integer, real, text or blob types, or cast it)"
                )),
                DecodeFailure::Malformed(why) => {
                    SqlError::Other(format!("column `{column}` could not be read: {why}"))
                }
            })
        })
        .collect()
}

//! Running SQL on a SQLite connection: the one runner behind the host's
//! SQLite backend and the test host's [`crate::testing::Db`], so a service's
//! tests see what it sees in production. The `?` placeholders are counted
//! against the parameters before anything runs, the parameters bound in
//! order, every statement of the text run in turn, values read by storage
//! class, changed rows counted per statement, and SQLite's result codes
//! sorted into the [`SqlError`] cases every engine shares.
//!
//! A text of one statement (what services send) is prepared once per
//! connection and kept in its statement cache; a text of several (a
//! migration) is prepared statement by statement each time.

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Batch, Connection, Statement as Prepared, TransactionBehavior, ffi};

use crate::sql::{Rows, SqlError, Statement, Value};

/// What one SQL text did.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The names of the columns of the rows returned (of the statement that
    /// returned the first row, else of the first statement).
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
    /// Rows the statements changed themselves (`sqlite3_changes`: not rows
    /// changed by triggers or foreign-key actions).
    pub changed: u64,
}

impl From<Outcome> for Rows {
    fn from(outcome: Outcome) -> Rows {
        Rows {
            columns: outcome.columns,
            rows: outcome.rows,
        }
    }
}

/// Runs every statement of `sql` with `params` bound in order.
pub fn run(conn: &Connection, sql: &str, params: &[Value]) -> Result<Outcome, SqlError> {
    if !one_statement(sql) {
        return run_each(conn, sql, params);
    }
    let mut statement = conn.prepare_cached(sql).map_err(classify)?;
    let wanted = statement.parameter_count();
    if wanted != params.len() {
        return Err(count_mismatch(wanted, params.len()));
    }
    step(conn, &mut statement, params)
}

/// Whether `sql` surely holds one statement: no `;` but at its end. (A
/// `;` inside a literal or a comment takes the slower path, which runs one
/// statement just as well.)
fn one_statement(sql: &str) -> bool {
    !sql.trim_end().trim_end_matches(';').contains(';')
}

/// Whether `sql` may write: then it must run where writers take turns.
/// A text that does not prepare "writes" too, so that its error comes
/// from the writer's connection like any other statement's.
pub fn writes(conn: &Connection, sql: &str) -> bool {
    !one_statement(sql)
        || conn
            .prepare_cached(sql)
            .map_or(true, |statement| !statement.readonly())
}

/// Runs `statements` in one transaction, all or none: begun `IMMEDIATE`
/// (a batch that reads first then waits for other writers instead of
/// failing to upgrade its lock), rolled back at the first error or the
/// first count other than a statement's `expect_rows`. The rows each
/// changed; on failure, the index of the statement that failed
/// (`statements.len()` for the commit) and why.
pub fn transaction(
    conn: &mut Connection,
    statements: &[Statement],
) -> Result<Vec<u64>, (usize, SqlError)> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| (0, classify(e)))?;
    let mut counts = Vec::with_capacity(statements.len());
    for (index, statement) in statements.iter().enumerate() {
        let changed = run(&tx, &statement.sql, &statement.params)
            .map_err(|e| (index, e))?
            .changed;
        if statement.expect_rows.is_some_and(|n| n != changed) {
            // Dropping `tx` rolls it back.
            return Err((index, SqlError::ExpectationFailed(index as u32)));
        }
        counts.push(changed);
    }
    tx.commit().map_err(|e| (statements.len(), classify(e)))?;
    Ok(counts)
}

/// [`run`] for a text of several statements.
fn run_each(conn: &Connection, sql: &str, params: &[Value]) -> Result<Outcome, SqlError> {
    // Refused before anything runs. Counting prepares every statement,
    // which fails when one uses a table an earlier one creates; then the
    // mismatch is found while running.
    if let Some(placeholders) = placeholders(conn, sql)
        && placeholders != params.len()
    {
        return Err(count_mismatch(placeholders, params.len()));
    }
    let mut outcome = Outcome::default();
    let mut bound = 0;
    let mut first = true;
    let mut statements = Batch::new(conn, sql);
    while let Some(mut statement) = statements.next().map_err(classify)? {
        let wanted = statement.parameter_count();
        let mine = params
            .get(bound..bound + wanted)
            .ok_or_else(|| count_mismatch(bound + wanted, params.len()))?;
        bound += wanted;
        let done = step(conn, &mut statement, mine)?;
        if first || (outcome.rows.is_empty() && !done.rows.is_empty()) {
            outcome.columns = done.columns;
        }
        first = false;
        outcome.rows.extend(done.rows);
        outcome.changed += done.changed;
    }
    if bound != params.len() {
        return Err(count_mismatch(bound, params.len()));
    }
    Ok(outcome)
}

/// The number of `?` placeholders in `sql`, if every statement prepares.
fn placeholders(conn: &Connection, sql: &str) -> Option<usize> {
    let mut total = 0;
    for statement in Batch::new(conn, sql) {
        total += statement.ok()?.parameter_count();
    }
    Some(total)
}

/// The words for a parameter count that does not match.
fn count_mismatch(placeholders: usize, params: usize) -> SqlError {
    SqlError::InvalidStatement(format!(
        "the statement has {placeholders} `?` placeholders but {params} parameters were given"
    ))
}

/// Binds `params` to one prepared statement and runs it to the end.
fn step(
    conn: &Connection,
    statement: &mut Prepared<'_>,
    params: &[Value],
) -> Result<Outcome, SqlError> {
    for (index, value) in params.iter().enumerate() {
        statement
            .raw_bind_parameter(index + 1, ToSqlOutput::Borrowed(value_ref(value)))
            .map_err(classify)?;
    }
    let columns: Vec<String> = statement
        .column_names()
        .into_iter()
        .map(String::from)
        .collect();
    let before = conn.total_changes();
    let mut found = Vec::new();
    let mut rows = statement.raw_query();
    while let Some(row) = rows.next().map_err(classify)? {
        let values = (0..columns.len())
            .map(|i| read(row.get_ref(i).map_err(classify)?, &columns[i]))
            .collect::<Result<_, _>>()?;
        found.push(values);
    }
    // `sqlite3_changes` keeps the count of the last statement that wrote,
    // so one that wrote nothing (a query, DDL) counts 0 here, where the
    // host would repeat that older count.
    let changed = if conn.total_changes() == before {
        0
    } else {
        conn.changes()
    };
    Ok(Outcome {
        columns,
        rows: found,
        changed,
    })
}

fn value_ref(value: &Value) -> ValueRef<'_> {
    match value {
        Value::Null => ValueRef::Null,
        Value::Integer(n) => ValueRef::Integer(*n),
        Value::Real(x) => ValueRef::Real(*x),
        Value::Text(s) => ValueRef::Text(s.as_bytes()),
        Value::Blob(b) => ValueRef::Blob(b),
    }
}

/// A column value by its storage class, whatever the declared type.
fn read(value: ValueRef<'_>, column: &str) -> Result<Value, SqlError> {
    Ok(match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(n) => Value::Integer(n),
        ValueRef::Real(x) => Value::Real(x),
        ValueRef::Text(bytes) => {
            Value::Text(String::from_utf8(bytes.to_vec()).map_err(|e| {
                SqlError::Other(format!("column `{column}` could not be read: {e}"))
            })?)
        }
        ValueRef::Blob(bytes) => Value::Blob(bytes.to_vec()),
    })
}

/// Sorts a SQLite error by its primary result code (the low byte of the
/// extended one), as `error.rs` of the host sorts the other engines' by
/// SQLSTATE class.
pub fn classify(error: rusqlite::Error) -> SqlError {
    match error {
        rusqlite::Error::SqliteFailure(code, message) => {
            by_code(code, message.unwrap_or_else(|| code.to_string()))
        }
        // A prepare error with its position (SQLite 3.38+, as bundled).
        rusqlite::Error::SqlInputError { error, msg, .. } => by_code(error, msg),
        rusqlite::Error::InvalidParameterCount(given, wanted) => count_mismatch(wanted, given),
        other => SqlError::Other(other.to_string()),
    }
}

fn by_code(code: ffi::Error, message: String) -> SqlError {
    match code.extended_code & 0xff {
        ffi::SQLITE_CONSTRAINT => SqlError::ConstraintViolation(message),
        // What prepare reports for syntax errors and unknown tables or
        // columns, and a bad parameter index.
        ffi::SQLITE_ERROR | ffi::SQLITE_RANGE => SqlError::InvalidStatement(message),
        ffi::SQLITE_BUSY | ffi::SQLITE_LOCKED => SqlError::Unavailable(message),
        _ => SqlError::Other(message),
    }
}

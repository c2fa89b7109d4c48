//! [`Db`] against real SQLite: migrations, values, counts, error cases,
//! batches, injected failures and what is recorded.

use std::cell::Cell;
use std::rc::Rc;

use futures::executor::block_on;

use super::Db;
use crate::ports::Sql;
use crate::sql::{Migration, SqlError, Statement, Value};

fn migration(version: u32, name: &str, statements: &[&str]) -> Migration {
    Migration {
        version,
        name: name.into(),
        statements: statements.iter().map(|s| s.to_string()).collect(),
    }
}

/// `items` (one seeded: `a`, qty 1) and `tags` referring to them.
fn db() -> Db {
    Db::new(&[
        migration(
            1,
            "items and tags",
            &[
                "CREATE TABLE items (id TEXT PRIMARY KEY, qty INTEGER NOT NULL CHECK (qty >= 0), \
                 price REAL, note TEXT, data BLOB)",
                "CREATE TABLE tags (item_id TEXT NOT NULL REFERENCES items (id), tag TEXT NOT NULL, \
                 PRIMARY KEY (item_id, tag))",
            ],
        ),
        migration(2, "seed", &["INSERT INTO items (id, qty) VALUES ('a', 1)"]),
    ])
}

fn text(s: &str) -> Value {
    Value::Text(s.into())
}

fn qty(db: &Db, id: &str) -> Option<i64> {
    db.int("SELECT qty FROM items WHERE id = ?", &[text(id)])
}

#[test]
fn migrations_are_applied_and_recorded_as_the_host_does() {
    let db = db();
    assert_eq!(qty(&db, "a"), Some(1));
    let versions = db.rows(
        "SELECT version FROM _sluice_migrations ORDER BY version",
        &[],
    );
    assert_eq!(versions, [[Value::Integer(1)], [Value::Integer(2)]]);
    assert_eq!(
        db.text("SELECT name FROM _sluice_migrations WHERE version = 2", &[]),
        Some("seed".into())
    );
    assert_eq!((db.calls(), db.statements()), (0, vec![]));
}

#[test]
#[should_panic(expected = "migration 2 (`broken`) failed at `CREATE TABLE oops (`")]
fn a_broken_migration_fails_the_test() {
    Db::new(&[
        migration(1, "fine", &["CREATE TABLE t (x INTEGER)"]),
        migration(2, "broken", &["CREATE TABLE oops ("]),
    ]);
}

#[test]
#[should_panic(expected = "increase strictly")]
fn migration_versions_must_increase() {
    Db::new(&[migration(2, "b", &[]), migration(1, "a", &[])]);
}

#[test]
fn values_round_trip_by_storage_class() {
    let db = db();
    let row = vec![
        text("b"),
        Value::Integer(-7),
        Value::Real(2.5),
        Value::Null,
        Value::Blob(vec![0, 255]),
    ];
    let insert = "INSERT INTO items (id, qty, price, note, data) VALUES (?, ?, ?, ?, ?)";
    assert_eq!(
        block_on(db.execute(insert, row.clone())),
        Err(check_failed())
    );
    let row = [vec![text("b"), Value::Integer(7)], row[2..].to_vec()].concat();
    assert_eq!(block_on(db.execute(insert, row.clone())), Ok(1));
    let found = block_on(db.query("SELECT * FROM items WHERE id = ?", vec![text("b")])).unwrap();
    assert_eq!(found.columns, ["id", "qty", "price", "note", "data"]);
    assert_eq!(found.rows, [row]);
    let none = block_on(db.query("SELECT id AS key FROM items WHERE qty > 99", vec![])).unwrap();
    assert_eq!(
        (none.columns, none.rows.len()),
        (vec!["key".to_string()], 0)
    );
}

fn check_failed() -> SqlError {
    SqlError::ConstraintViolation("CHECK constraint failed: qty >= 0".into())
}

#[test]
fn execute_counts_the_rows_the_statement_changed() {
    let db = db();
    db.exec("INSERT INTO items (id, qty) VALUES ('b', 1), ('c', 5)", &[]);
    let update = "UPDATE items SET qty = qty + 1 WHERE qty < ?";
    assert_eq!(block_on(db.execute(update, vec![Value::Integer(2)])), Ok(2));
    assert_eq!(block_on(db.execute(update, vec![Value::Integer(0)])), Ok(0));
    // Statements that write nothing count 0, not the last write's count.
    assert_eq!(block_on(db.execute("SELECT * FROM items", vec![])), Ok(0));
    assert_eq!(block_on(db.execute("CREATE TABLE t (x)", vec![])), Ok(0));
    // Several statements in one text run in turn, parameters in order.
    let two = "UPDATE items SET qty = ? WHERE id = 'a'; DELETE FROM items WHERE id IN (?, ?)";
    let params = vec![Value::Integer(9), text("b"), text("c")];
    assert_eq!(block_on(db.execute(two, params)), Ok(3));
    assert_eq!((qty(&db, "a"), qty(&db, "b")), (Some(9), None));
}

#[test]
fn constraint_failures_are_constraint_violations() {
    let db = db();
    let insert = "INSERT INTO items (id, qty) VALUES (?, ?)";
    assert_eq!(
        block_on(db.execute(insert, vec![text("a"), Value::Integer(1)])),
        Err(SqlError::ConstraintViolation(
            "UNIQUE constraint failed: items.id".into()
        ))
    );
    assert_eq!(
        block_on(db.execute(insert, vec![text("n"), Value::Null])),
        Err(SqlError::ConstraintViolation(
            "NOT NULL constraint failed: items.qty".into()
        ))
    );
    // Foreign keys are enforced, as the host turns them on.
    let tag = "INSERT INTO tags (item_id, tag) VALUES (?, 'x')";
    assert_eq!(
        block_on(db.execute(tag, vec![text("nope")])),
        Err(SqlError::ConstraintViolation(
            "FOREIGN KEY constraint failed".into()
        ))
    );
    assert_eq!(block_on(db.execute(tag, vec![text("a")])), Ok(1));
}

#[test]
fn bad_statements_are_invalid_statements() {
    let db = db();
    let invalid = |sql: &str, params: Vec<Value>| match block_on(db.execute(sql, params)) {
        Err(SqlError::InvalidStatement(message)) => message,
        other => panic!("{sql}: {other:?}"),
    };
    assert!(invalid("SELEC 1", vec![]).contains("syntax error"));
    assert!(invalid("SELECT * FROM nowhere", vec![]).contains("no such table: nowhere"));
    let message = invalid("SELECT missing FROM items", vec![]);
    assert!(message.contains("no such column: missing"), "{message}");
    // The host checks the count before anything runs: nothing is applied.
    assert_eq!(
        invalid("DELETE FROM items WHERE id = ?", vec![text("a"), text("b")]),
        "the statement has 1 `?` placeholders but 2 parameters were given"
    );
    assert_eq!(
        invalid("DELETE FROM items; SELECT ?", vec![]),
        "the statement has 1 `?` placeholders but 0 parameters were given"
    );
    assert_eq!(qty(&db, "a"), Some(1));
}

#[test]
fn a_batch_applies_all_or_nothing() {
    let db = db();
    let take = |n: i64| {
        Statement::expect(
            "UPDATE items SET qty = qty - ? WHERE id = 'a' AND qty >= ?",
            vec![Value::Integer(n), Value::Integer(n)],
            1,
        )
    };
    let add =
        |id: &str| Statement::any("INSERT INTO items (id, qty) VALUES (?, 0)", vec![text(id)]);
    assert_eq!(block_on(db.batch(vec![add("b"), take(1)])), Ok(vec![1, 1]));
    assert_eq!((qty(&db, "a"), qty(&db, "b")), (Some(0), Some(0)));
    // The second statement changes no row: the first is undone too.
    assert_eq!(
        block_on(db.batch(vec![add("c"), take(1)])),
        Err(SqlError::ExpectationFailed(1))
    );
    assert_eq!(qty(&db, "c"), None);
    // So is everything before a statement that fails.
    assert_eq!(
        block_on(db.batch(vec![add("d"), add("b")])),
        Err(SqlError::ConstraintViolation(
            "UNIQUE constraint failed: items.id".into()
        ))
    );
    assert_eq!(qty(&db, "d"), None);
    assert_eq!(block_on(db.batch(vec![])), Ok(vec![]));
}

#[test]
fn injected_failures_stop_every_call() {
    let db = db();
    let down = SqlError::Unavailable("down".into());
    db.fail_with(Some(down.clone()));
    let count = || block_on(db.query("SELECT count(*) FROM items", vec![]));
    assert_eq!(count(), Err(down.clone()));
    let delete = || block_on(db.execute("DELETE FROM items", vec![]));
    assert_eq!(delete(), Err(down.clone()));
    let batch = vec![Statement::any("DELETE FROM items", vec![])];
    assert_eq!(block_on(db.batch(batch.clone())), Err(down.clone()));
    assert_eq!(qty(&db, "a"), Some(1), "nothing ran");
    db.fail_with(None);
    assert!(count().is_ok());

    db.fail_after(2, down.clone());
    assert!(count().is_ok());
    assert_eq!(block_on(db.batch(batch)), Ok(vec![1]));
    assert_eq!(count(), Err(down.clone()));
    assert_eq!(delete(), Err(down));
    db.fail_with(None);
    assert!(count().is_ok());
}

#[test]
fn another_write_runs_once_just_before_the_next_batch() {
    let db = db();
    let seen = Rc::new(Cell::new(None));
    let seen_in_hook = seen.clone();
    db.before_next_batch(move |db| {
        seen_in_hook.set(qty(db, "a"));
        db.exec("UPDATE items SET qty = 0 WHERE id = 'a'", &[]);
    });
    block_on(db.execute("UPDATE items SET qty = 2 WHERE id = 'a'", vec![])).unwrap();
    assert_eq!(seen.get(), None, "not before other calls");
    let take = || {
        Statement::expect(
            "UPDATE items SET qty = qty - 1 WHERE id = 'a' AND qty >= 1",
            vec![],
            1,
        )
    };
    assert_eq!(
        block_on(db.batch(vec![take()])),
        Err(SqlError::ExpectationFailed(0))
    );
    assert_eq!(seen.get(), Some(2));
    db.exec("UPDATE items SET qty = 1 WHERE id = 'a'", &[]);
    assert_eq!(block_on(db.batch(vec![take()])), Ok(vec![1]), "once");
}

#[test]
fn calls_and_statements_are_recorded_but_not_the_helpers() {
    let db = db();
    db.exec("DELETE FROM tags", &[]);
    assert_eq!(db.rows("SELECT id FROM items", &[]), [[text("a")]]);
    block_on(db.query("SELECT 1", vec![])).unwrap();
    block_on(db.execute("SELEC", vec![])).unwrap_err();
    let batch = vec![
        Statement::any("DELETE FROM tags", vec![]),
        Statement::any("DELETE FROM items", vec![]),
    ];
    block_on(db.batch(batch)).unwrap();
    assert_eq!(db.calls(), 3);
    assert_eq!(
        db.statements(),
        ["SELECT 1", "SELEC", "DELETE FROM tags", "DELETE FROM items"]
    );
}

#[test]
fn the_helpers_read_the_first_value() {
    let db = db();
    assert_eq!(db.int("SELECT qty FROM items WHERE id = 'zz'", &[]), None);
    assert_eq!(db.text("SELECT note FROM items", &[]), None, "NULL");
    assert_eq!(db.text("SELECT id FROM items", &[]), Some("a".into()));
    assert_eq!(db.exec("UPDATE items SET note = ?", &[text("n")]), 1);
}

#[test]
#[should_panic(expected = "`SELECT id FROM items` returned Text(\"a\"), not an integer")]
fn the_helpers_check_the_type() {
    db().int("SELECT id FROM items", &[]);
}

//! Tests against the real engines: SQLite in a temporary file, and the local
//! PostgreSQL and MariaDB, each test in a database of its own.

use std::sync::Arc;

use super::sqlx_backend::PING_IF_IDLE_FOR;
use super::testdb::{DatabaseGuard, fresh_database};
use super::{
    Dialect, Migration, SqlBackend, SqlConfig, SqlError, Statement, Value, apply_migrations,
    connect,
};

/// Generates one `#[tokio::test]` per engine for each scenario.
macro_rules! on_every_engine {
    ($($scenario:ident),* $(,)?) => {
        on_every_engine!(@engine sqlite, Sqlite, $($scenario),*);
        on_every_engine!(@engine postgres, Postgres, $($scenario),*);
        on_every_engine!(@engine mysql, Mysql, $($scenario),*);
    };
    (@engine $module:ident, $dialect:ident, $($scenario:ident),*) => {
        mod $module {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    super::$scenario(super::Dialect::$dialect).await
                }
            )*
        }
    };
}

on_every_engine!(
    round_trip_of_every_value_type,
    placeholders_and_parameter_count,
    errors_are_mapped,
    batch_rolls_back_when_an_expectation_fails,
    migrations_apply_once,
    racing_migrations_apply_each_version_once,
    concurrent_conditional_decrements_never_oversell,
);

/// The engines with a server, whose connections the server can end.
macro_rules! on_every_server {
    ($($scenario:ident),* $(,)?) => {
        on_every_engine!(@engine postgres_server, Postgres, $($scenario),*);
        on_every_engine!(@engine mysql_server, Mysql, $($scenario),*);
    };
}

on_every_server!(a_connection_the_server_ended_while_idle_is_replaced_before_use);

struct Db {
    sql: Arc<dyn SqlBackend>,
    // Declared after `sql`, so the pool closes before the database is dropped.
    guard: DatabaseGuard,
    url: String,
}

async fn db(dialect: Dialect) -> Db {
    let (url, guard) = fresh_database(dialect).await.expect("test database");
    let sql = connect(&SqlConfig::new(&url)).await.expect("connect");
    assert_eq!(sql.dialect(), dialect);
    Db { sql, guard, url }
}

fn blob_type(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Postgres => "BYTEA",
        _ => "BLOB",
    }
}

fn double_type(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Postgres => "DOUBLE PRECISION",
        Dialect::Mysql => "DOUBLE",
        Dialect::Sqlite => "REAL",
    }
}

async fn exec(db: &Db, sql: &str, params: Vec<Value>) -> u64 {
    db.sql
        .execute(sql.into(), params)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn scalar(db: &Db, sql: &str, params: Vec<Value>) -> Value {
    let rows = db.sql.query(sql.into(), params).await.unwrap();
    assert_eq!(rows.rows.len(), 1, "{sql}: {rows:?}");
    rows.rows[0][0].clone()
}

async fn round_trip_of_every_value_type(dialect: Dialect) {
    let db = db(dialect).await;
    let ddl = format!(
        "CREATE TABLE vals (id BIGINT PRIMARY KEY, i BIGINT, r {}, t TEXT, v VARCHAR(40), \
         b {}, sm SMALLINT, flag BOOLEAN)",
        double_type(dialect),
        blob_type(dialect)
    );
    exec(&db, &ddl, vec![]).await;
    let insert =
        "INSERT INTO vals (id, i, r, t, v, b, sm, flag) VALUES (?, ?, ?, ?, ?, ?, ?, TRUE)";
    let full = vec![
        Value::Integer(1),
        Value::Integer(i64::MIN),
        Value::Real(-1234.5),
        Value::Text("héllo 'wörld' ✓".into()),
        Value::Text("varchar".into()),
        Value::Blob(vec![0, 255, 1, 128, 0]),
        Value::Integer(-7),
    ];
    assert_eq!(exec(&db, insert, full.clone()).await, 1);
    // NULL into every column type, including non-integer ones (on
    // PostgreSQL a typed NULL parameter would be rejected by TEXT/BYTEA).
    let nulls = vec![
        Value::Integer(2),
        Value::Null,
        Value::Null,
        Value::Null,
        Value::Null,
        Value::Null,
        Value::Null,
    ];
    assert_eq!(exec(&db, insert, nulls.clone()).await, 1);
    exec(
        &db,
        "INSERT INTO vals (id, i) VALUES (?, ?)",
        vec![Value::Integer(3), Value::Integer(i64::MAX)],
    )
    .await;

    let rows = db
        .sql
        .query(
            "SELECT id, i, r, t, v, b, sm, flag FROM vals ORDER BY id".into(),
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(rows.columns, ["id", "i", "r", "t", "v", "b", "sm", "flag"]);
    let mut expected_full = full;
    expected_full.push(Value::Integer(1));
    let mut expected_nulls = nulls;
    expected_nulls.push(Value::Integer(1));
    assert_eq!(rows.rows[0], expected_full);
    assert_eq!(rows.rows[1], expected_nulls);
    assert_eq!(rows.rows[2][1], Value::Integer(i64::MAX));

    // Parameters of every type come back as themselves.
    let echoed = db
        .sql
        .query(
            "SELECT t, b FROM vals WHERE t = ? AND b = ? AND r = ?".into(),
            vec![
                Value::Text("héllo 'wörld' ✓".into()),
                Value::Blob(vec![0, 255, 1, 128, 0]),
                Value::Real(-1234.5),
            ],
        )
        .await
        .unwrap();
    assert_eq!(echoed.rows.len(), 1);

    // An empty result still names its columns.
    let empty = db
        .sql
        .query(
            "SELECT id, t FROM vals WHERE id = ?".into(),
            vec![Value::Integer(99)],
        )
        .await
        .unwrap();
    assert_eq!(empty.columns, ["id", "t"]);
    assert!(empty.rows.is_empty());

    // Computed values: integer arithmetic, floats, NULL.
    let computed = db
        .sql
        .query(
            "SELECT 2 + 3 AS five, r / 2 AS half, NULL AS nada FROM vals WHERE id = 1".into(),
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(computed.columns, ["five", "half", "nada"]);
    assert_eq!(
        computed.rows[0],
        [Value::Integer(5), Value::Real(-617.25), Value::Null]
    );

    if dialect != Dialect::Sqlite {
        // Types with no `Value` (here DECIMAL/NUMERIC) are refused, naming the column.
        let err = db
            .sql
            .query("SELECT CAST(1.5 AS DECIMAL(10,2)) AS price".into(), vec![])
            .await
            .unwrap_err();
        assert!(
            matches!(&err, SqlError::InvalidStatement(m) if m.contains("`price`")),
            "{err:?}"
        );
    }
    if dialect == Dialect::Mysql {
        // TINYINT, MEDIUMINT and unsigned integers are integers too.
        let ints = db
            .sql
            .query(
                "SELECT CAST(200 AS UNSIGNED) AS u, flag FROM vals WHERE id = 1".into(),
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(ints.rows[0], [Value::Integer(200), Value::Integer(1)]);
        exec(
            &db,
            "CREATE TABLE narrow (a TINYINT, b MEDIUMINT, c TINYINT UNSIGNED)",
            vec![],
        )
        .await;
        exec(
            &db,
            "INSERT INTO narrow VALUES (?, ?, ?)",
            vec![
                Value::Integer(-100),
                Value::Integer(-8_000_000),
                Value::Integer(255),
            ],
        )
        .await;
        let narrow = db
            .sql
            .query("SELECT a, b, c FROM narrow".into(), vec![])
            .await
            .unwrap();
        assert_eq!(
            narrow.rows[0],
            [
                Value::Integer(-100),
                Value::Integer(-8_000_000),
                Value::Integer(255)
            ]
        );
    }
}

async fn placeholders_and_parameter_count(dialect: Dialect) {
    let db = db(dialect).await;
    exec(
        &db,
        "CREATE TABLE p (id BIGINT PRIMARY KEY, note TEXT)",
        vec![],
    )
    .await;
    // `?` inside a string literal and a comment is not a placeholder.
    exec(
        &db,
        "INSERT INTO p (id, note) VALUES (?, 'why?') -- really?\n",
        vec![Value::Integer(1)],
    )
    .await;
    exec(
        &db,
        "INSERT INTO p (id, note) /* two ? here */ VALUES (?, ?)",
        vec![Value::Integer(2), Value::Text("?".into())],
    )
    .await;
    let rows = db
        .sql
        .query(
            "SELECT id, note, '?' AS q FROM p WHERE id >= ? AND note <> ? ORDER BY id".into(),
            vec![Value::Integer(1), Value::Text("nothing".into())],
        )
        .await
        .unwrap();
    assert_eq!(
        rows.rows,
        [
            vec![
                Value::Integer(1),
                Value::Text("why?".into()),
                Value::Text("?".into())
            ],
            vec![
                Value::Integer(2),
                Value::Text("?".into()),
                Value::Text("?".into())
            ],
        ]
    );
    for params in [vec![], vec![Value::Integer(1), Value::Integer(2)]] {
        let err = db
            .sql
            .query("SELECT note FROM p WHERE id = ?".into(), params)
            .await
            .unwrap_err();
        assert!(matches!(err, SqlError::InvalidStatement(_)), "{err:?}");
    }
}

async fn errors_are_mapped(dialect: Dialect) {
    let db = db(dialect).await;
    exec(
        &db,
        "CREATE TABLE parent (id BIGINT PRIMARY KEY, sku VARCHAR(20) NOT NULL UNIQUE)",
        vec![],
    )
    .await;
    exec(
        &db,
        "CREATE TABLE child (id BIGINT PRIMARY KEY, parent_id BIGINT NOT NULL REFERENCES parent(id), \
         qty BIGINT CHECK (qty > 0))",
        vec![],
    )
    .await;
    exec(
        &db,
        "INSERT INTO parent VALUES (?, ?)",
        vec![Value::Integer(1), Value::Text("A".into())],
    )
    .await;

    let cases: Vec<(&str, Vec<Value>)> = vec![
        // duplicate primary key
        (
            "INSERT INTO parent VALUES (?, ?)",
            vec![Value::Integer(1), Value::Text("B".into())],
        ),
        // duplicate unique column
        (
            "INSERT INTO parent VALUES (?, ?)",
            vec![Value::Integer(2), Value::Text("A".into())],
        ),
        // foreign key
        (
            "INSERT INTO child VALUES (?, ?, ?)",
            vec![Value::Integer(1), Value::Integer(42), Value::Integer(1)],
        ),
        // check
        (
            "INSERT INTO child VALUES (?, ?, ?)",
            vec![Value::Integer(1), Value::Integer(1), Value::Integer(0)],
        ),
        // not null
        (
            "INSERT INTO parent VALUES (?, ?)",
            vec![Value::Integer(3), Value::Null],
        ),
    ];
    for (sql, params) in cases {
        let err = db
            .sql
            .execute(sql.into(), params.clone())
            .await
            .unwrap_err();
        assert!(
            matches!(err, SqlError::ConstraintViolation(_)),
            "{sql} {params:?}: {err:?}"
        );
    }
    for sql in [
        "SELEC 1",
        "SELECT nope FROM parent",
        "SELECT * FROM missing_table",
    ] {
        let err = db.sql.query(sql.into(), vec![]).await.unwrap_err();
        assert!(
            matches!(err, SqlError::InvalidStatement(_)),
            "{sql}: {err:?}"
        );
    }

    // A server that is not there is `Unavailable`, after the acquire timeout.
    if dialect != Dialect::Sqlite {
        let scheme = &db.url[..db.url.find("://").unwrap()];
        let config = SqlConfig {
            acquire_timeout_ms: 300,
            ..SqlConfig::new(format!("{scheme}://root@127.0.0.1:1/x"))
        };
        let started = std::time::Instant::now();
        let err = connect(&config).await.err().expect("no server on port 1");
        assert!(matches!(err, SqlError::Unavailable(_)), "{err:?}");
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }
}

async fn batch_rolls_back_when_an_expectation_fails(dialect: Dialect) {
    let db = db(dialect).await;
    exec(
        &db,
        "CREATE TABLE stock (id BIGINT PRIMARY KEY, qty BIGINT NOT NULL)",
        vec![],
    )
    .await;
    exec(&db, "INSERT INTO stock VALUES (1, 5), (2, 0)", vec![]).await;

    let take = |id: i64| {
        Statement::expect(
            "UPDATE stock SET qty = qty - 1 WHERE id = ? AND qty >= 1",
            vec![Value::Integer(id)],
            1,
        )
    };
    let ok = db
        .sql
        .batch(vec![
            take(1),
            Statement::any(
                "INSERT INTO stock VALUES (?, ?)",
                vec![Value::Integer(3), Value::Integer(9)],
            ),
        ])
        .await
        .unwrap();
    assert_eq!(ok, [1, 1]);

    // Statement 2 finds no stock: the first two are undone.
    let err = db
        .sql
        .batch(vec![
            take(1),
            Statement::any(
                "INSERT INTO stock VALUES (?, ?)",
                vec![Value::Integer(4), Value::Integer(1)],
            ),
            take(2),
        ])
        .await
        .unwrap_err();
    assert_eq!(err, SqlError::ExpectationFailed(2));
    assert_eq!(
        scalar(&db, "SELECT qty FROM stock WHERE id = 1", vec![]).await,
        Value::Integer(4)
    );
    assert_eq!(
        scalar(&db, "SELECT COUNT(*) FROM stock", vec![]).await,
        Value::Integer(3)
    );

    // A failing statement also undoes the batch.
    let err = db
        .sql
        .batch(vec![
            take(1),
            Statement::any("INSERT INTO stock VALUES (1, 1)", vec![]),
        ])
        .await
        .unwrap_err();
    assert!(matches!(err, SqlError::ConstraintViolation(_)), "{err:?}");
    assert_eq!(
        scalar(&db, "SELECT qty FROM stock WHERE id = 1", vec![]).await,
        Value::Integer(4)
    );
}

fn shop_migrations(dialect: Dialect) -> Vec<Migration> {
    vec![
        Migration {
            version: 1,
            name: "products".into(),
            statements: vec![
                "CREATE TABLE products (sku VARCHAR(32) PRIMARY KEY, stock BIGINT NOT NULL)".into(),
                "INSERT INTO products VALUES ('A', 10)".into(),
            ],
        },
        Migration {
            version: 2,
            name: "images".into(),
            statements: vec![format!(
                "CREATE TABLE images (sku VARCHAR(32) PRIMARY KEY, data {})",
                blob_type(dialect)
            )],
        },
    ]
}

async fn migrations_apply_once(dialect: Dialect) {
    let db = db(dialect).await;
    let mut migrations = shop_migrations(dialect);
    assert_eq!(
        apply_migrations(&*db.sql, &migrations).await.unwrap(),
        [1, 2]
    );
    assert_eq!(
        apply_migrations(&*db.sql, &migrations).await.unwrap(),
        Vec::<u32>::new()
    );
    assert_eq!(
        scalar(&db, "SELECT COUNT(*) FROM products", vec![]).await,
        Value::Integer(1)
    );

    migrations.push(Migration {
        version: 3,
        name: "orders".into(),
        statements: vec!["CREATE TABLE orders (id BIGINT PRIMARY KEY)".into()],
    });
    assert_eq!(apply_migrations(&*db.sql, &migrations).await.unwrap(), [3]);
    let recorded = db
        .sql
        .query(
            "SELECT version, name FROM _sluice_migrations ORDER BY version".into(),
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        recorded.rows,
        [
            vec![Value::Integer(1), Value::Text("products".into())],
            vec![Value::Integer(2), Value::Text("images".into())],
            vec![Value::Integer(3), Value::Text("orders".into())],
        ]
    );

    // A failing migration is not recorded, so it is tried again next time;
    // where DDL is transactional, its earlier statements are undone.
    migrations.push(Migration {
        version: 4,
        name: "broken".into(),
        statements: vec![
            "CREATE TABLE half (id BIGINT)".into(),
            "CREATE TABLE oops (".into(),
        ],
    });
    let err = apply_migrations(&*db.sql, &migrations).await.unwrap_err();
    assert!(
        matches!(&err, SqlError::InvalidStatement(m) if m.contains("migration 4")),
        "{err:?}"
    );
    assert_eq!(
        scalar(&db, "SELECT COUNT(*) FROM _sluice_migrations", vec![]).await,
        Value::Integer(3)
    );
    if dialect != Dialect::Mysql {
        assert!(
            db.sql
                .query("SELECT * FROM half".into(), vec![])
                .await
                .is_err()
        );
    }

    // Versions out of order are refused before anything runs.
    let unordered = vec![migrations[1].clone(), migrations[0].clone()];
    assert!(matches!(
        apply_migrations(&*db.sql, &unordered).await,
        Err(SqlError::InvalidStatement(_))
    ));
}

async fn racing_migrations_apply_each_version_once(dialect: Dialect) {
    let db = db(dialect).await;
    let migrations = shop_migrations(dialect);
    // Separate pools, as two processes would have.
    let mut runners = Vec::new();
    for _ in 0..4 {
        runners.push(connect(&SqlConfig::new(&db.url)).await.unwrap());
    }
    let results = futures::future::join_all(
        runners
            .iter()
            .map(|sql| apply_migrations(&**sql, &migrations)),
    )
    .await;
    let mut applied: Vec<u32> = results
        .into_iter()
        .flat_map(|r| r.expect("racing migration"))
        .collect();
    applied.sort();
    assert_eq!(applied, [1, 2]);
    assert_eq!(
        scalar(&db, "SELECT stock FROM products", vec![]).await,
        Value::Integer(10)
    );
}

async fn concurrent_conditional_decrements_never_oversell(dialect: Dialect) {
    let db = db(dialect).await;
    exec(
        &db,
        "CREATE TABLE t (id BIGINT PRIMARY KEY, stock BIGINT NOT NULL)",
        vec![],
    )
    .await;
    exec(
        &db,
        "INSERT INTO t VALUES (?, ?)",
        vec![Value::Integer(1), Value::Integer(10)],
    )
    .await;
    let decrement = Statement::expect(
        "UPDATE t SET stock = stock - 1 WHERE id = ? AND stock >= 1",
        vec![Value::Integer(1)],
        1,
    );
    race(&db, vec![decrement.clone()]).await;

    // Again with a read first in each batch: on SQLite that transaction
    // must still wait for the write lock rather than fail to upgrade.
    exec(&db, "UPDATE t SET stock = 10 WHERE id = 1", vec![]).await;
    let read = Statement::any("SELECT stock FROM t WHERE id = ?", vec![Value::Integer(1)]);
    race(&db, vec![read, decrement]).await;
}

/// Runs `batch` 200 times at once against a stock of 10: exactly 10 must
/// succeed, the rest fail on the decrement's expectation, and the stock
/// must end at 0.
async fn race(db: &Db, batch: Vec<Statement>) {
    let last = batch.len() - 1;
    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let (sql, batch) = (db.sql.clone(), batch.clone());
            tokio::spawn(async move { sql.batch(batch).await })
        })
        .collect();
    let (mut succeeded, mut refused) = (0, 0);
    for task in tasks {
        match task.await.unwrap() {
            Ok(counts) => {
                assert_eq!(counts[last], 1);
                succeeded += 1;
            }
            Err(SqlError::ExpectationFailed(i)) if i as usize == last => refused += 1,
            Err(e) => panic!("unexpected error: {e:?}"),
        }
    }
    assert_eq!((succeeded, refused), (10, 190));
    assert_eq!(
        scalar(db, "SELECT stock FROM t WHERE id = 1", vec![]).await,
        Value::Integer(0)
    );
}

/// A pooled connection the server ended while it sat idle (a restart, the
/// server's idle timeout) is replaced before it is used: the pool pings a
/// connection idle for longer than `PING_IF_IDLE_FOR` (not every one, which
/// costs a round trip per call), and the next queries succeed.
async fn a_connection_the_server_ended_while_idle_is_replaced_before_use(dialect: Dialect) {
    let db = db(dialect).await;
    let warm = (0..4).map(|_| db.sql.query("SELECT 1".into(), vec![]));
    for rows in futures::future::join_all(warm).await {
        rows.expect("a query before the connections end");
    }
    db.guard
        .end_connections()
        .await
        .expect("ending the pool's connections");
    tokio::time::sleep(PING_IF_IDLE_FOR + std::time::Duration::from_millis(300)).await;
    for _ in 0..4 {
        let rows = db.sql.query("SELECT 1".into(), vec![]).await;
        assert!(
            rows.is_ok(),
            "a query after the server ended the idle connections: {rows:?}"
        );
    }
}

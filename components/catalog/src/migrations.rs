//! The catalog database schema and seed, as forward-only migrations per
//! dialect (exported through `schema.migrations`).
//!
//! 1. `products`, `reservations` and `reservation_lines`.
//! 2. The seeded catalogue (see [`crate::seed`] for why it is a migration).
//! 3. Stock holds that expire (see [`crate::holds`]): the column
//!    `reservations.expires_at`, the holds made before it marked confirmed
//!    (they never expire), and the index the expiry sweep reads.

use crate::seed;

pub use sluice_kit::sql::{Dialect, Migration};

/// All migrations for `dialect`, in version order.
///
/// Panics if the embedded seed file breaks the product rules; a unit test
/// keeps that from ever being released, and the host reports the trap at
/// start-up.
pub fn migrations(dialect: Dialect) -> Vec<Migration> {
    let seed = seed::products().expect("the embedded seed catalogue is valid");
    vec![
        Migration {
            version: 1,
            name: "create products and reservations".to_string(),
            statements: schema(dialect),
        },
        Migration {
            version: 2,
            name: format!("seed {} products", seed.len()),
            statements: seed
                .iter()
                .map(|p| seed::insert_statement(dialect, p))
                .collect(),
        },
        Migration {
            version: 3,
            name: "expiring stock holds".to_string(),
            statements: expiring_holds(),
        },
    ]
}

/// Migration 3, the same on every engine. Holds made before this had no
/// end, and their callers (orders written without a confirm) will never
/// confirm them: they are marked confirmed, so the sweep never gives back
/// units an order still counts on. Only new holds get an `expires_at`; the
/// rest keep NULL, which no sweep selects. The index serves the sweep's
/// `state = 'held' AND expires_at < now ORDER BY expires_at`.
fn expiring_holds() -> Vec<String> {
    vec![
        "ALTER TABLE reservations ADD COLUMN expires_at BIGINT".to_string(),
        "UPDATE reservations SET state = 'confirmed' WHERE state = 'held'".to_string(),
        "CREATE INDEX reservations_expiry ON reservations (state, expires_at)".to_string(),
    ]
}

/// The tables, portable but for three details per engine:
/// - skus compare and sort byte by byte everywhere (PostgreSQL `COLLATE
///   "C"`, MySQL `utf8mb4_bin`; SQLite's default is binary), so `abc` and
///   `ABC` are two products and pages come in the same order on every
///   engine;
/// - MySQL tables are InnoDB (row locks, transactions) in utf8mb4;
/// - `CHECK (stock >= 0)` backs up the conditional updates (MariaDB
///   enforces it from 10.2).
fn schema(dialect: Dialect) -> Vec<String> {
    let key_collation = match dialect {
        Dialect::Postgres => " COLLATE \"C\"",
        Dialect::Mysql | Dialect::Sqlite => "",
    };
    let suffix = dialect.table_options();
    vec![
        format!(
            "CREATE TABLE products (\
             sku VARCHAR(64){key_collation} PRIMARY KEY, \
             name VARCHAR(200) NOT NULL, \
             description VARCHAR(2000) NOT NULL, \
             base_price BIGINT NOT NULL, \
             currency VARCHAR(3) NOT NULL, \
             stock BIGINT NOT NULL, \
             updated_at BIGINT NOT NULL, \
             CHECK (stock >= 0), \
             CHECK (base_price >= 0))\
             {suffix}"
        ),
        format!(
            "CREATE TABLE reservations (\
             id VARCHAR(128){key_collation} PRIMARY KEY, \
             state VARCHAR(16) NOT NULL, \
             created_at BIGINT NOT NULL, \
             released_at BIGINT)\
             {suffix}"
        ),
        format!(
            "CREATE TABLE reservation_lines (\
             reservation_id VARCHAR(128){key_collation} NOT NULL, \
             sku VARCHAR(64){key_collation} NOT NULL, \
             qty BIGINT NOT NULL, \
             PRIMARY KEY (reservation_id, sku))\
             {suffix}"
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Dialect; 3] = [Dialect::Sqlite, Dialect::Postgres, Dialect::Mysql];

    #[test]
    fn versions_increase_from_one() {
        for dialect in ALL {
            let all = migrations(dialect);
            for (i, m) in all.iter().enumerate() {
                assert_eq!(m.version as usize, i + 1);
                assert!(!m.statements.is_empty());
            }
        }
    }

    #[test]
    fn schema_has_the_tables_and_engine_details() {
        for dialect in ALL {
            let first = &migrations(dialect)[0];
            assert_eq!(first.statements.len(), 3);
            assert!(first.statements[0].starts_with("CREATE TABLE products ("));
            assert!(first.statements[0].contains("CHECK (stock >= 0)"));
            assert!(first.statements[1].starts_with("CREATE TABLE reservations ("));
            assert!(first.statements[2].contains("PRIMARY KEY (reservation_id, sku)"));
        }
        let pg = &migrations(Dialect::Postgres)[0].statements[0];
        assert!(
            pg.contains("sku VARCHAR(64) COLLATE \"C\" PRIMARY KEY"),
            "{pg}"
        );
        let my = &migrations(Dialect::Mysql)[0].statements[1];
        assert!(my.ends_with("COLLATE=utf8mb4_bin"), "{my}");
        let lite = &migrations(Dialect::Sqlite)[0].statements[0];
        assert!(lite.ends_with("CHECK (base_price >= 0))"), "{lite}");
    }

    #[test]
    fn migration_three_confirms_old_holds_and_indexes_the_expiry() {
        for dialect in ALL {
            let third = &migrations(dialect)[2];
            assert_eq!(third.version, 3);
            assert_eq!(
                third.statements,
                [
                    "ALTER TABLE reservations ADD COLUMN expires_at BIGINT",
                    "UPDATE reservations SET state = 'confirmed' WHERE state = 'held'",
                    "CREATE INDEX reservations_expiry ON reservations (state, expires_at)",
                ]
            );
        }
        // The states it writes are the ones the code reads.
        let update = &migrations(Dialect::Sqlite)[2].statements[1];
        assert!(update.contains(&format!("'{}'", crate::reservations::CONFIRMED)));
        assert!(update.contains(&format!("'{}'", crate::reservations::HELD)));
    }

    #[test]
    fn the_seed_is_migration_two_one_insert_per_product() {
        for dialect in ALL {
            let seed = &migrations(dialect)[1];
            let products = seed::products().unwrap();
            assert_eq!(seed.statements.len(), products.len());
            assert_eq!(seed.name, format!("seed {} products", products.len()));
            assert!(seed.statements[0].contains(&format!("'{}'", products[0].sku)));
        }
    }
}

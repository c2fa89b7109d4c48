//! The pricing database schema, as forward-only migrations per dialect
//! (exported through `schema.migrations`).
//!
//! **The `prices` table, and why the history is 1, 2, 3.** Pricing once
//! kept its own copy of base prices: migration 1 created `prices` and
//! migration 2 seeded it from catalog's data file. Base prices now come from
//! catalog on every quote (its `products` lookup, see [`crate::quote`]), so
//! the copy goes:
//! - The host tells applied migrations apart by version alone: it records
//!   version, name and time in `_sluice_migrations` and skips every version
//!   recorded there, never comparing names or statements. So a released
//!   version keeps its number and its effect on the schema, and a change to
//!   the schema is a new version.
//! - Migration 1 is unchanged, byte for byte: it still creates `prices`
//!   (empty), so every database, old or new, has the same tables after it.
//! - Migration 2 keeps its slot (versions are never reused or renumbered),
//!   but no longer seeds: the data it loaded is not pricing's any more. It
//!   is now `DELETE FROM prices`, a no-op on the empty table migration 1
//!   just made. Databases that ran the old seed keep their record of it.
//! - Migration 3 drops `prices` (`IF EXISTS`, valid on SQLite, PostgreSQL
//!   and MySQL/MariaDB, so a table removed by hand is no error either).
//!
//! Existing databases (1 and 2 applied) run only 3; new ones run 1, 2 and 3
//! (creating an empty table and dropping it in the same start-up); both end
//! with `promotions` and `promotion_claims` and no `prices`.
//!
//! The drop is one-way: a pricing component from before this change reads
//! `prices`, so rolling pricing back to one (or running one on a node not
//! yet upgraded, against the same database) after migration 3 makes its
//! quotes fail (500) instead of quoting the stale seeded prices.

pub use sluice_kit::sql::{Dialect, Migration};

/// Portable across SQLite, PostgreSQL and MySQL/MariaDB. Money and times
/// (ms since the Unix epoch) are BIGINT.
const PRICES: &str = "CREATE TABLE prices (\
sku VARCHAR(64) PRIMARY KEY, \
base_price BIGINT NOT NULL, \
currency VARCHAR(3) NOT NULL)";

const PROMOTIONS: &str = "CREATE TABLE promotions (\
id VARCHAR(32) PRIMARY KEY, \
sku VARCHAR(64) NOT NULL, \
percent_off BIGINT, \
fixed_price BIGINT, \
starts_at BIGINT NOT NULL, \
ends_at BIGINT NOT NULL, \
max_units BIGINT, \
claimed_units BIGINT NOT NULL DEFAULT 0, \
created_at BIGINT NOT NULL)";

const PROMOTIONS_BY_SKU: &str = "CREATE INDEX promotions_by_sku ON promotions (sku, starts_at)";

const CLAIMS: &str = "CREATE TABLE promotion_claims (\
claim_id VARCHAR(128) NOT NULL, \
promotion_id VARCHAR(32) NOT NULL, \
units BIGINT NOT NULL, \
claimed_at BIGINT NOT NULL, \
released_at BIGINT, \
PRIMARY KEY (claim_id, promotion_id))";

/// Retired migration 2: pricing no longer seeds a copy of base prices.
const RETIRED_SEED: &str = "DELETE FROM prices";

/// Migration 3: the copy of base prices goes; catalog is their one source.
const DROP_PRICES: &str = "DROP TABLE IF EXISTS prices";

/// All migrations for `dialect`, in version order.
pub fn migrations(dialect: Dialect) -> Vec<Migration> {
    // MySQL/MariaDB: InnoDB for row locks and transactions, utf8mb4 and a
    // binary collation so keys compare by bytes as on the other engines.
    let suffix = dialect.table_options();
    vec![
        Migration {
            version: 1,
            name: "create prices, promotions and promotion claims".to_string(),
            statements: vec![
                format!("{PRICES}{suffix}"),
                format!("{PROMOTIONS}{suffix}"),
                PROMOTIONS_BY_SKU.to_string(),
                format!("{CLAIMS}{suffix}"),
            ],
        },
        Migration {
            version: 2,
            name: "retired: seeded base prices, now read from catalog".to_string(),
            statements: vec![RETIRED_SEED.to_string()],
        },
        Migration {
            version: 3,
            name: "drop prices: base prices come from catalog".to_string(),
            statements: vec![DROP_PRICES.to_string()],
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_increase_from_one() {
        for dialect in [Dialect::Sqlite, Dialect::Postgres, Dialect::Mysql] {
            let all = migrations(dialect);
            for (i, m) in all.iter().enumerate() {
                assert_eq!(m.version as usize, i + 1);
                assert!(!m.statements.is_empty());
            }
        }
    }

    #[test]
    fn mysql_tables_get_innodb_and_utf8mb4() {
        let first = &migrations(Dialect::Mysql)[0];
        for sql in first
            .statements
            .iter()
            .filter(|s| s.starts_with("CREATE TABLE"))
        {
            assert!(sql.ends_with("COLLATE=utf8mb4_bin"), "{sql}");
        }
        let first = &migrations(Dialect::Postgres)[0];
        assert!(first.statements.iter().all(|s| s.ends_with(')')));
    }

    #[test]
    fn released_migration_one_is_unchanged() {
        // Migration 1 as released: databases that applied it have exactly
        // these tables, and migrations 2 and 3 rely on `prices` existing.
        let first = &migrations(Dialect::Sqlite)[0];
        assert_eq!(first.name, "create prices, promotions and promotion claims");
        assert_eq!(
            first.statements,
            [
                "CREATE TABLE prices (sku VARCHAR(64) PRIMARY KEY, base_price BIGINT NOT NULL, currency VARCHAR(3) NOT NULL)",
                "CREATE TABLE promotions (id VARCHAR(32) PRIMARY KEY, sku VARCHAR(64) NOT NULL, percent_off BIGINT, fixed_price BIGINT, starts_at BIGINT NOT NULL, ends_at BIGINT NOT NULL, max_units BIGINT, claimed_units BIGINT NOT NULL DEFAULT 0, created_at BIGINT NOT NULL)",
                "CREATE INDEX promotions_by_sku ON promotions (sku, starts_at)",
                "CREATE TABLE promotion_claims (claim_id VARCHAR(128) NOT NULL, promotion_id VARCHAR(32) NOT NULL, units BIGINT NOT NULL, claimed_at BIGINT NOT NULL, released_at BIGINT, PRIMARY KEY (claim_id, promotion_id))",
            ]
        );
    }

    #[test]
    fn the_price_copy_is_no_longer_seeded_and_is_dropped() {
        for dialect in [Dialect::Sqlite, Dialect::Postgres, Dialect::Mysql] {
            let all = migrations(dialect);
            assert_eq!(all.len(), 3);
            assert_eq!(all[1].statements, ["DELETE FROM prices"], "{dialect:?}");
            assert_eq!(
                all[2].statements,
                ["DROP TABLE IF EXISTS prices"],
                "{dialect:?}"
            );
            assert!(
                all.iter()
                    .flat_map(|m| &m.statements)
                    .all(|s| !s.starts_with("INSERT")),
                "no migration seeds data"
            );
        }
    }
}

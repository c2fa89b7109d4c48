//! The pricing database schema, as forward-only migrations per dialect
//! (exported through `schema.migrations`).

use crate::seed;

/// The SQL engines the host can give the component (`sql.dialect`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
    Mysql,
}

/// One migration (`schema.migration`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    pub version: u32,
    pub name: String,
    pub statements: Vec<String>,
}

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

/// All migrations for `dialect`, in version order. Panics only if the
/// embedded product data file is invalid, which a unit test rules out.
pub fn migrations(dialect: Dialect) -> Vec<Migration> {
    // MySQL/MariaDB: InnoDB for row locks and transactions, utf8mb4 and a
    // binary collation so keys compare by bytes as on the other engines.
    let suffix = match dialect {
        Dialect::Mysql => " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
        Dialect::Sqlite | Dialect::Postgres => "",
    };
    let prices = seed::prices(seed::PRODUCTS_JSON).expect("the embedded product data is valid");
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
            name: "seed base prices from the catalogue data file".to_string(),
            statements: seed::insert_statements(&prices, dialect),
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
    fn the_seed_inserts_every_product() {
        let seeded = &migrations(Dialect::Sqlite)[1];
        let count: usize = seeded
            .statements
            .iter()
            .map(|s| s.matches("), (").count() + 1)
            .sum();
        assert_eq!(count, seed::prices(seed::PRODUCTS_JSON).unwrap().len());
    }
}

//! The order schema, as forward-only migrations per dialect (exported
//! through `schema.migrations`; the host applies them to every shard, each
//! with its own dialect). Keys and indexed columns are VARCHAR (MySQL
//! cannot index TEXT without a prefix length); money and times (ms since
//! the Unix epoch) are BIGINT.

pub use sluice_kit::sql::{Dialect, Migration};

/// Orders, `pending` while being placed, then `confirmed` (the statuses
/// are in `status`). NULL idempotency keys never collide (on all three
/// engines), so orders without a key are unconstrained.
const ORDERS: &str = "CREATE TABLE orders (\
id VARCHAR(64) PRIMARY KEY, \
customer VARCHAR(64) NOT NULL, \
tenant VARCHAR(64) NOT NULL, \
idempotency_key VARCHAR(128), \
items_hash VARCHAR(64) NOT NULL, \
status VARCHAR(16) NOT NULL, \
currency VARCHAR(3) NOT NULL, \
total BIGINT NOT NULL, \
created_at BIGINT NOT NULL, \
CONSTRAINT orders_idempotency UNIQUE (customer, idempotency_key))";

const ORDERS_BY_CUSTOMER: &str = "CREATE INDEX orders_by_customer ON orders (customer, created_at)";

const ORDERS_BY_TIME: &str = "CREATE INDEX orders_by_time ON orders (created_at)";

/// One row per sku of an order, numbered in the order's sku order.
const ORDER_ITEMS: &str = "CREATE TABLE order_items (\
order_id VARCHAR(64) NOT NULL, \
line_no BIGINT NOT NULL, \
sku VARCHAR(64) NOT NULL, \
qty BIGINT NOT NULL, \
unit_price BIGINT NOT NULL, \
total BIGINT NOT NULL, \
PRIMARY KEY (order_id, sku))";

/// When a cancel was decided (ms since the Unix epoch); NULL until then.
const ORDERS_CANCELLED_AT: &str = "ALTER TABLE orders ADD COLUMN cancelled_at BIGINT";

/// Housekeeping's selections: pending and failing orders by age, and
/// cancelling ones (few rows each, found without scanning the placed ones).
const ORDERS_BY_STATUS: &str = "CREATE INDEX orders_by_status ON orders (status, created_at)";

/// All migrations for `dialect`, in version order.
pub fn migrations(dialect: Dialect) -> Vec<Migration> {
    let suffix = dialect.table_options();
    vec![
        Migration {
            version: 1,
            name: "create orders and order items".to_string(),
            statements: vec![
                format!("{ORDERS}{suffix}"),
                ORDERS_BY_CUSTOMER.to_string(),
                ORDERS_BY_TIME.to_string(),
                format!("{ORDER_ITEMS}{suffix}"),
            ],
        },
        Migration {
            version: 2,
            name: "cancelled_at and the status index".to_string(),
            statements: vec![
                ORDERS_CANCELLED_AT.to_string(),
                ORDERS_BY_STATUS.to_string(),
            ],
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_migrations_per_dialect_with_mysql_table_options() {
        for dialect in [Dialect::Sqlite, Dialect::Postgres, Dialect::Mysql] {
            let all = migrations(dialect);
            let versions: Vec<u32> = all.iter().map(|m| m.version).collect();
            assert_eq!(versions, [1, 2]);
            assert_eq!(
                all[1].statements,
                [
                    "ALTER TABLE orders ADD COLUMN cancelled_at BIGINT",
                    "CREATE INDEX orders_by_status ON orders (status, created_at)",
                ]
            );
            for sql in all[0]
                .statements
                .iter()
                .filter(|s| s.starts_with("CREATE TABLE"))
            {
                assert_eq!(
                    sql.ends_with("utf8mb4_bin"),
                    dialect == Dialect::Mysql,
                    "{sql}"
                );
                assert!(
                    !sql.contains(" TEXT"),
                    "indexed columns must be VARCHAR: {sql}"
                );
            }
        }
    }
}

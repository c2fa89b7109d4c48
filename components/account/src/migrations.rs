//! The account database schema, as forward-only migrations per dialect
//! (exported through `schema.migrations`).

pub use sluice_kit::sql::{Dialect, Migration};

/// The columns of `accounts`; portable across SQLite, PostgreSQL and
/// MySQL/MariaDB (VARCHAR lengths bind on the latter two; the service
/// validates lengths itself for SQLite).
const ACCOUNTS_COLUMNS: &str = "id VARCHAR(32) PRIMARY KEY, \
email VARCHAR(254) NOT NULL UNIQUE, \
password_hash VARCHAR(255) NOT NULL, \
role VARCHAR(16) NOT NULL, \
tenant VARCHAR(64) NOT NULL, \
created_at BIGINT NOT NULL";

/// The columns of `tenants` (migration 2).
const TENANTS_COLUMNS: &str = "id VARCHAR(64) PRIMARY KEY, \
name VARCHAR(200) NOT NULL, \
created_at BIGINT NOT NULL";

/// All migrations for `dialect`, in version order.
pub fn migrations(dialect: Dialect) -> Vec<Migration> {
    // MySQL/MariaDB: InnoDB for the unique index, utf8mb4 whatever the
    // server default (older MariaDB defaults to latin1), and a binary
    // collation so uniqueness means byte equality as on the other engines
    // (emails are lowercased before they are stored).
    let suffix = dialect.table_options();
    vec![
        Migration {
            version: 1,
            name: "create accounts".to_string(),
            statements: vec![format!(
                "CREATE TABLE accounts ({ACCOUNTS_COLUMNS}){suffix}"
            )],
        },
        // Tenants become rows an admin creates. `default` and every tenant
        // an account registered into before keep one (named after the id,
        // created at 0); each account gets its customer attributes, a JSON
        // object string to string.
        Migration {
            version: 2,
            name: "tenants and account attributes".to_string(),
            statements: vec![
                format!("CREATE TABLE tenants ({TENANTS_COLUMNS}){suffix}"),
                "INSERT INTO tenants (id, name, created_at) VALUES ('default', 'Default', 0)"
                    .to_string(),
                "INSERT INTO tenants (id, name, created_at) \
                 SELECT DISTINCT tenant, tenant, 0 FROM accounts WHERE tenant <> 'default'"
                    .to_string(),
                "ALTER TABLE accounts ADD COLUMN attributes VARCHAR(2048) NOT NULL DEFAULT '{}'"
                    .to_string(),
            ],
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIALECTS: [Dialect; 3] = [Dialect::Sqlite, Dialect::Postgres, Dialect::Mysql];

    #[test]
    fn version_one_creates_accounts_on_every_dialect() {
        for dialect in DIALECTS {
            let all = migrations(dialect);
            assert_eq!(all.len(), 2);
            assert_eq!(all[0].version, 1);
            assert_eq!(all[0].statements.len(), 1);
            let sql = &all[0].statements[0];
            assert!(sql.starts_with("CREATE TABLE accounts ("), "{sql}");
            for column in [
                "id VARCHAR(32) PRIMARY KEY",
                "email VARCHAR(254) NOT NULL UNIQUE",
                "password_hash VARCHAR(255) NOT NULL",
                "role VARCHAR(16) NOT NULL",
                "tenant VARCHAR(64) NOT NULL",
                "created_at BIGINT NOT NULL",
            ] {
                assert!(sql.contains(column), "{dialect:?}: {column}");
            }
        }
    }

    #[test]
    fn version_two_adds_tenants_keeps_old_tenants_and_adds_attributes() {
        for dialect in DIALECTS {
            let m = &migrations(dialect)[1];
            assert_eq!(m.version, 2);
            let suffix = if dialect == Dialect::Mysql {
                " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
            } else {
                ""
            };
            assert_eq!(
                m.statements,
                [
                    format!(
                        "CREATE TABLE tenants (id VARCHAR(64) PRIMARY KEY, \
                         name VARCHAR(200) NOT NULL, created_at BIGINT NOT NULL){suffix}"
                    ),
                    "INSERT INTO tenants (id, name, created_at) VALUES ('default', 'Default', 0)"
                        .to_string(),
                    "INSERT INTO tenants (id, name, created_at) SELECT DISTINCT tenant, tenant, 0 \
                     FROM accounts WHERE tenant <> 'default'"
                        .to_string(),
                    "ALTER TABLE accounts ADD COLUMN attributes VARCHAR(2048) NOT NULL DEFAULT '{}'"
                        .to_string(),
                ],
                "{dialect:?}"
            );
        }
    }

    #[test]
    fn mysql_gets_utf8mb4_and_a_binary_collation() {
        let sql = &migrations(Dialect::Mysql)[0].statements[0];
        assert!(sql.ends_with("ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"));
        let sql = &migrations(Dialect::Postgres)[0].statements[0];
        assert!(sql.ends_with(')'));
    }

    #[test]
    fn versions_increase_from_one() {
        for dialect in DIALECTS {
            for (i, m) in migrations(dialect).iter().enumerate() {
                assert_eq!(m.version as usize, i + 1);
            }
        }
    }
}

//! Fresh databases on the real PostgreSQL and MariaDB servers, dropped at
//! the end of the test that made them.

use sqlx::Connection;

pub const POSTGRES: &str = "postgres://postgres@127.0.0.1:5432";
pub const MYSQL: &str = "mysql://root@127.0.0.1:3306";

/// A database that exists until dropped. `url` connects to it.
pub struct TestDb {
    pub url: String,
    server: &'static str,
    name: String,
}

impl TestDb {
    pub async fn postgres() -> TestDb {
        TestDb::create(POSTGRES, "postgres").await
    }

    pub async fn mysql() -> TestDb {
        TestDb::create(MYSQL, "test").await
    }

    async fn create(server: &'static str, admin_db: &str) -> TestDb {
        sqlx::any::install_default_drivers();
        let name = format!("sluice_e2e_{}", super::unique());
        let mut conn = sqlx::AnyConnection::connect(&format!("{server}/{admin_db}"))
            .await
            .expect("connecting to the test database server");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
        TestDb {
            url: format!("{server}/{name}"),
            server,
            name,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let (server, name) = (self.server, self.name.clone());
        let admin = if server == POSTGRES {
            "postgres"
        } else {
            "test"
        };
        // Dropping happens outside any runtime the test may have torn down.
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                sqlx::any::install_default_drivers();
                if let Ok(mut conn) =
                    sqlx::AnyConnection::connect(&format!("{server}/{admin}")).await
                {
                    let force = if server == POSTGRES {
                        " WITH (FORCE)"
                    } else {
                        ""
                    };
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name}{force}"))
                        .execute(&mut conn)
                        .await;
                }
            });
        })
        .join()
        .unwrap();
    }
}

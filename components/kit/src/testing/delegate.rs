//! [`delegate_ports!`](crate::delegate_ports): a service's own test host
//! (a [`TestHost`](super::TestHost) plus fakes of the service's links)
//! gets the shared ports from its `TestHost` field in one line instead of a
//! shim per method.

/// Implements the listed ports (any of `Sql`, `Cache`, `Clock`, `Log`,
/// `Tokens`, `Settings`, `Pause`) for a type by handing every call to its
/// [`TestHost`](crate::testing::TestHost) field. Leave out a port to
/// implement it by hand.
///
/// ```
/// use sluice_kit::ports::Clock;
/// use sluice_kit::testing::{START_MS, TestHost};
///
/// struct FakeHost {
///     host: TestHost,
/// }
/// sluice_kit::delegate_ports!(FakeHost => host: Sql, Clock, Log, Tokens);
///
/// let fake = FakeHost { host: TestHost::new(&[]) };
/// assert_eq!(fake.now_ms(), START_MS);
/// ```
#[macro_export]
macro_rules! delegate_ports {
    (@port $ty:ty, $field:ident, Sql) => {
        impl $crate::ports::Sql for $ty {
            async fn query(
                &self,
                sql: &str,
                params: ::std::vec::Vec<$crate::sql::Value>,
            ) -> ::std::result::Result<$crate::sql::Rows, $crate::sql::SqlError> {
                $crate::ports::Sql::query(&self.$field, sql, params).await
            }
            async fn execute(
                &self,
                sql: &str,
                params: ::std::vec::Vec<$crate::sql::Value>,
            ) -> ::std::result::Result<u64, $crate::sql::SqlError> {
                $crate::ports::Sql::execute(&self.$field, sql, params).await
            }
            async fn batch(
                &self,
                statements: ::std::vec::Vec<$crate::sql::Statement>,
            ) -> ::std::result::Result<::std::vec::Vec<u64>, $crate::sql::SqlError> {
                $crate::ports::Sql::batch(&self.$field, statements).await
            }
        }
    };
    (@port $ty:ty, $field:ident, Cache) => {
        impl $crate::ports::Cache for $ty {
            async fn cache_get(
                &self,
                key: &str,
            ) -> ::std::result::Result<::std::option::Option<::std::vec::Vec<u8>>, $crate::ports::CacheError>
            {
                $crate::ports::Cache::cache_get(&self.$field, key).await
            }
            async fn cache_set(
                &self,
                key: &str,
                value: ::std::vec::Vec<u8>,
                ttl_ms: u64,
            ) -> ::std::result::Result<(), $crate::ports::CacheError> {
                $crate::ports::Cache::cache_set(&self.$field, key, value, ttl_ms).await
            }
            async fn cache_delete(
                &self,
                key: &str,
            ) -> ::std::result::Result<(), $crate::ports::CacheError> {
                $crate::ports::Cache::cache_delete(&self.$field, key).await
            }
            async fn cache_increment(
                &self,
                key: &str,
                delta: i64,
                ttl_ms: u64,
            ) -> ::std::result::Result<i64, $crate::ports::CacheError> {
                $crate::ports::Cache::cache_increment(&self.$field, key, delta, ttl_ms).await
            }
        }
    };
    (@port $ty:ty, $field:ident, Clock) => {
        impl $crate::ports::Clock for $ty {
            fn now_ms(&self) -> u64 {
                $crate::ports::Clock::now_ms(&self.$field)
            }
        }
    };
    (@port $ty:ty, $field:ident, Log) => {
        impl $crate::ports::Log for $ty {
            fn log(&self, level: $crate::ports::Level, message: &str, fields: &[(&str, &str)]) {
                $crate::ports::Log::log(&self.$field, level, message, fields)
            }
        }
    };
    (@port $ty:ty, $field:ident, Tokens) => {
        impl $crate::ports::Tokens for $ty {
            fn verify_token(
                &self,
                token: &str,
            ) -> ::std::result::Result<$crate::token::Claims, $crate::token::TokenError> {
                $crate::ports::Tokens::verify_token(&self.$field, token)
            }
        }
    };
    (@port $ty:ty, $field:ident, Settings) => {
        impl $crate::ports::Settings for $ty {
            fn setting(&self, key: &str) -> ::std::option::Option<::std::string::String> {
                $crate::ports::Settings::setting(&self.$field, key)
            }
        }
    };
    (@port $ty:ty, $field:ident, Pause) => {
        impl $crate::ports::Pause for $ty {
            async fn sleep_ms(&self, ms: u64) {
                $crate::ports::Pause::sleep_ms(&self.$field, ms).await
            }
        }
    };
    ($ty:ty => $field:ident: $($port:ident),+ $(,)?) => {
        $($crate::delegate_ports!(@port $ty, $field, $port);)+
    };
}

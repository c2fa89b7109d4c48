//! The `shards` capability: SQL against one of a service's numbered
//! databases (order's shards). Each shard is a full `SqlBackend`, so shards
//! may be of different kinds (one PostgreSQL, one MySQL); which shard holds
//! what is the component's choice.

use super::sql::{self, SqlBackend};
use crate::bindings::{shards as wit, sql as sql_wit};
use crate::state::ComponentState;
use std::sync::Arc;
use wasmtime::component::{Accessor, HasData, Linker};

/// The shards of one service, shared by all of its instances; empty for
/// services that have none.
#[derive(Clone, Default)]
pub struct ShardsState {
    pub shards: Vec<Arc<dyn SqlBackend>>,
}

impl ShardsState {
    fn shard(&self, shard: u32) -> Result<Arc<dyn SqlBackend>, sql_wit::Error> {
        self.shards.get(shard as usize).cloned().ok_or_else(|| {
            sql_wit::Error::InvalidStatement(format!(
                "there is no shard {shard} (this service has {})",
                self.shards.len()
            ))
        })
    }
}

/// Marker: the shards live in `ServiceCapabilities::shards`.
pub struct ShardsCapability;

impl HasData for ShardsCapability {
    type Data<'a> = &'a ShardsState;
}

impl wit::Host for &ShardsState {
    fn count(&mut self) -> u32 {
        self.shards.len() as u32
    }

    fn shard_dialect(&mut self, shard: u32) -> sql_wit::Dialect {
        self.shards
            .get(shard as usize)
            .map_or(sql_wit::Dialect::Sqlite, |db| db.dialect().into())
    }
}

fn shard<T>(
    accessor: &Accessor<T, ShardsCapability>,
    shard: u32,
) -> Result<Arc<dyn SqlBackend>, sql_wit::Error> {
    accessor.with(|mut access| access.get().shard(shard))
}

impl<T> wit::HostWithStore<T> for ShardsCapability {
    #[tracing::instrument(level = "debug", name = "shards.query", skip_all, fields(shard = n))]
    async fn query(
        accessor: &Accessor<T, Self>,
        n: u32,
        sql: String,
        params: Vec<sql_wit::Value>,
    ) -> Result<sql_wit::Rows, sql_wit::Error> {
        sql::query(shard(accessor, n)?, sql, params).await
    }

    #[tracing::instrument(level = "debug", name = "shards.execute", skip_all, fields(shard = n))]
    async fn execute(
        accessor: &Accessor<T, Self>,
        n: u32,
        sql: String,
        params: Vec<sql_wit::Value>,
    ) -> Result<u64, sql_wit::Error> {
        sql::execute(shard(accessor, n)?, sql, params).await
    }

    #[tracing::instrument(level = "debug", name = "shards.batch", skip_all, fields(shard = n))]
    async fn batch(
        accessor: &Accessor<T, Self>,
        n: u32,
        statements: Vec<sql_wit::Statement>,
    ) -> Result<Vec<u64>, sql_wit::Error> {
        sql::batch(shard(accessor, n)?, statements).await
    }
}

pub fn add_to_linker(linker: &mut Linker<ComponentState>) -> wasmtime::Result<()> {
    wit::add_to_linker::<_, ShardsCapability>(linker, |s| &s.caps.shards)
}

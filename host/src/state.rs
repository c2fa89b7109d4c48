//! The data of one store: one instance handling one request. Cheap to build:
//! WASI with nothing granted (no files, network or environment), wasi:http
//! with outgoing requests denied, and the service's capabilities (shared
//! `Arc`s).

use crate::capabilities::ServiceCapabilities;
use crate::capabilities::links::Sessions;
use std::sync::Arc;
use wasmtime::component::ResourceTable;
use wasmtime::{Engine, Store, StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks, WasiHttpView};

/// The `T` of every `Store<T>` the host creates.
pub struct ComponentState {
    table: ResourceTable,
    wasi: WasiCtx,
    http: WasiHttpCtx,
    hooks: DenyOutgoingHttp,
    limits: StoreLimits,
    /// The capabilities of the service this instance belongs to.
    pub caps: Arc<ServiceCapabilities>,
    /// This instance's sessions with the services it calls.
    pub callees: Sessions,
}

impl ComponentState {
    /// A fresh store for one instance of a component of this service. A
    /// running guest yields back to the executor every epoch tick, so one
    /// CPU-heavy request (a password hash) cannot starve the others.
    pub fn new_store(engine: &Engine, caps: Arc<ServiceCapabilities>) -> Store<ComponentState> {
        let state = ComponentState {
            table: ResourceTable::new(),
            wasi: WasiCtx::builder().build(),
            http: WasiHttpCtx::new(),
            hooks: DenyOutgoingHttp,
            limits: StoreLimitsBuilder::new()
                .memory_size(crate::engine::MAX_MEMORY_BYTES)
                .instances(64)
                .build(),
            caps,
            callees: Sessions::default(),
        };
        let mut store = Store::new(engine, state);
        store.limiter(|s| &mut s.limits);
        store.set_epoch_deadline(1);
        store.epoch_deadline_async_yield_and_update(1);
        store
    }
}

impl WasiView for ComponentState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for ComponentState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}

/// Components reach other services only through typed, host-linked imports;
/// raw outgoing HTTP is not a capability sluice grants.
struct DenyOutgoingHttp;

impl WasiHttpHooks for DenyOutgoingHttp {
    fn send_request(
        &mut self,
        _request: http::Request<wasmtime_wasi_http::WasiBody>,
        _options: Option<wasmtime_wasi_http::RequestOptions>,
        _fut: Box<dyn Future<Output = Result<(), wasmtime_wasi_http::Error>> + Send>,
    ) -> Box<
        dyn Future<
                Output = Result<
                    (
                        http::Response<wasmtime_wasi_http::WasiBody>,
                        Box<dyn Future<Output = Result<(), wasmtime_wasi_http::Error>> + Send>,
                    ),
                    wasmtime_wasi_http::Error,
                >,
            > + Send,
    > {
        Box::new(async { Err(wasmtime_wasi_http::Error::HttpRequestDenied) })
    }
}

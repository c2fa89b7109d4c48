//! The front doors' runtime layout: thread per core. Each thread runs a
//! current-thread tokio runtime with its own listener on the service's
//! address (SO_REUSEPORT, so the kernel spreads connections over them). A
//! request, the instance handling it and every task it spawns stay on one
//! thread: no cross-thread hand-off on the request path, which measured
//! about twice as fast as one multi-thread runtime for a linked call
//! (../shared/WASMTIME-NOTES.md and BENCHMARKS.md).

use super::local::Local;
use crate::http_server::ServerLimits;
use crate::service::Service;
use anyhow::{Context as _, Result};
use sluice_gateway::LocalUpstream;
use socket2::{Domain, Socket, Type};
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;
use tokio::sync::watch;

/// Front doors of one service, one per thread.
pub struct FrontDoors {
    /// The address they all listen on (the real port when 0 was asked).
    pub addr: SocketAddr,
    threads: Vec<JoinHandle<Result<()>>>,
    local: Arc<Local>,
}

impl FrontDoors {
    /// Binds `threads` listeners on `addr` and serves `service` on each
    /// until `stopped` turns true.
    pub fn spawn(
        service: Arc<Service>,
        addr: SocketAddr,
        threads: usize,
        limits: &ServerLimits,
        stopped: watch::Receiver<bool>,
    ) -> Result<FrontDoors> {
        let first = reuse_port_listener(addr)?;
        let addr = first.local_addr()?;
        let mut listeners = vec![first];
        for _ in 1..threads.max(1) {
            listeners.push(reuse_port_listener(addr)?);
        }
        let threads = listeners
            .into_iter()
            .enumerate()
            .map(|(i, listener)| {
                let (service, mut stopped) = (service.clone(), stopped.clone());
                let limits = limits.clone();
                std::thread::Builder::new()
                    .name(format!("{}-{i}", service.name))
                    .spawn(move || {
                        let runtime = tokio::runtime::Builder::new_current_thread()
                            .enable_all()
                            .build()?;
                        runtime.block_on(async move {
                            let listener = tokio::net::TcpListener::from_std(listener)?;
                            let shutdown = async move {
                                let _ = stopped.wait_for(|stop| *stop).await;
                            };
                            super::serve(service, listener, limits, shutdown).await
                        })
                    })
                    .context("spawning a front-door thread")
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(FrontDoors {
            addr,
            threads,
            local: Local::new(service),
        })
    }

    /// The service as an upstream the gateway in this process hands
    /// requests to in memory.
    pub fn local(&self) -> Arc<dyn LocalUpstream> {
        self.local.clone()
    }

    /// Waits until every thread has stopped serving.
    pub async fn join(self) -> Result<()> {
        tokio::task::spawn_blocking(move || {
            for thread in self.threads {
                thread
                    .join()
                    .map_err(|_| anyhow::anyhow!("a front-door thread panicked"))??;
            }
            Ok(())
        })
        .await?
    }
}

/// The number of front-door threads when the configuration says 0.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn reuse_port_listener(addr: SocketAddr) -> Result<std::net::TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket.set_reuse_port(true)?;
    socket.set_nonblocking(true)?;
    socket
        .bind(&addr.into())
        .with_context(|| format!("binding {addr}"))?;
    socket.listen(1024)?;
    Ok(socket.into())
}

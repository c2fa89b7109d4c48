//! The listening side: accepting connections, serving HTTP/1.1 with
//! keep-alive on each, and shutting down gracefully.
//!
//! Thread per core, like the services' front doors: each thread runs a
//! current-thread runtime that accepts from the one listening socket and
//! serves its connections whole. A request, and the in-process instance
//! that answers it (`sluice up`), stay on the thread that read it, with no
//! work-stealing hand-off or wake-up of another core per request (measured
//! in BENCHMARKS.md, issue 12). One socket, not one per thread with
//! SO_REUSEPORT: a second process on the same port still fails to bind.
//! Whichever thread accepts a connection hands it to the thread with the
//! fewest open ones ([`crate::spread`]), so clients that connect at once
//! do not all land on the thread the kernel woke first.

use crate::auth::{Authenticator, DenyAll};
use crate::config::GatewayConfig;
use crate::local::{LocalUpstream, LocalUpstreams};
use crate::resolver::Resolver;
use crate::service::GatewayService;
use crate::spread::Counted;
use anyhow::Context as _;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};

/// Pause after a failed `accept` (e.g. out of file descriptors) so the loop
/// does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(10);

/// A bound, not yet serving, gateway.
pub struct Gateway {
    listener: std::net::TcpListener,
    local_addr: SocketAddr,
    service: Arc<GatewayService>,
    http: http1::Builder,
    threads: usize,
}

/// A gateway being put together: configuration, where instances are, and
/// who verifies tokens.
pub struct GatewayBuilder {
    config: GatewayConfig,
    resolver: Arc<dyn Resolver>,
    authenticator: Option<Arc<dyn Authenticator>>,
    local: LocalUpstreams,
}

impl GatewayBuilder {
    /// Verifies bearer tokens with `authenticator`. Without one, every
    /// token is refused, so protected routes answer 401 (fail closed).
    pub fn authenticator(mut self, authenticator: Arc<dyn Authenticator>) -> Self {
        self.authenticator = Some(authenticator);
        self
    }

    /// Hands attempts to the instance at `addr` to `upstream` in memory
    /// (an instance in this process).
    pub fn local_upstream(mut self, addr: SocketAddr, upstream: Arc<dyn LocalUpstream>) -> Self {
        self.local.insert(addr, upstream);
        self
    }

    /// Checks the configuration, sets up traffic control (connecting to
    /// Redis if the rate limits live there; an unreachable Redis only
    /// starts the gateway degraded), and binds `config.listen` (port 0
    /// picks a free port). Nothing is served until [`Gateway::run`].
    pub async fn bind(self) -> anyhow::Result<Gateway> {
        let config = self.config;
        let authenticator = match self.authenticator {
            Some(authenticator) => authenticator,
            None => {
                warn_if_protected(&config);
                Arc::new(DenyAll)
            }
        };
        let threads = config.serving_threads();
        let service = Arc::new(
            GatewayService::new(&config, threads, self.resolver, authenticator, self.local).await?,
        );
        sample_traffic(Arc::downgrade(&service));
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("binding the gateway to {}", config.listen))?;
        let local_addr = listener.local_addr()?;
        let listener = listener.into_std()?;
        let mut http = http1::Builder::new();
        http.timer(TokioTimer::new())
            .keep_alive(true)
            .max_header_size(config.max_header_bytes)
            .max_headers(config.max_headers);
        Ok(Gateway {
            listener,
            local_addr,
            service,
            http,
            threads,
        })
    }
}

/// Reads the traffic counters every console interval for as long as the
/// gateway lives.
fn sample_traffic(service: std::sync::Weak<GatewayService>) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(crate::console::traffic::INTERVAL);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match service.upgrade() {
                Some(service) => service.sample_traffic(),
                None => return,
            }
        }
    });
}

fn warn_if_protected(config: &GatewayConfig) {
    let protected: Vec<&str> = config
        .routes
        .iter()
        .filter(|route| !route.protected.is_none() || !route.admin.is_none())
        .map(|route| route.prefix.as_str())
        .collect();
    if !protected.is_empty() {
        tracing::warn!(
            routes = ?protected,
            "no authenticator configured: requests these routes protect will be refused 401"
        );
    }
}

impl Gateway {
    /// Starts building a gateway with this configuration and resolver.
    pub fn builder(config: GatewayConfig, resolver: Arc<dyn Resolver>) -> GatewayBuilder {
        GatewayBuilder {
            config,
            resolver,
            authenticator: None,
            local: LocalUpstreams::new(),
        }
    }

    /// [`builder`](Self::builder) then [`bind`](GatewayBuilder::bind),
    /// without an authenticator.
    pub async fn bind(config: GatewayConfig, resolver: Arc<dyn Resolver>) -> anyhow::Result<Self> {
        Self::builder(config, resolver).bind().await
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves until `shutdown` resolves, then stops accepting, lets every
    /// in-flight request finish (idle keep-alive connections are closed),
    /// and returns. The serving threads also stop if this future is
    /// dropped.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
        tracing::info!(addr = %self.local_addr, threads = self.threads, "gateway listening");
        let (stop, stopped) = watch::channel(false);
        let serving = Arc::new(watch::Sender::new(0usize));
        let (inboxes, mut handed): (Vec<_>, Vec<_>) =
            (0..self.threads).map(|_| mpsc::unbounded_channel()).unzip();
        let inboxes: Arc<[Inbox]> = inboxes.into();
        let mut threads = Vec::with_capacity(self.threads);
        for i in 0..self.threads {
            // Made here, so a thread that cannot start fails the gateway now.
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let listener = {
                let _entered = runtime.enter();
                TcpListener::from_std(self.listener.try_clone()?)?
            };
            let door = Door {
                thread: i,
                service: Arc::clone(&self.service),
                http: self.http.clone(),
                inboxes: Arc::clone(&inboxes),
            };
            let handed = handed.remove(0);
            let stopped = stopped.clone();
            let serving = Serving::start(&serving);
            let thread = std::thread::Builder::new()
                .name(format!("gateway-{i}"))
                .spawn(move || {
                    runtime.block_on(async move {
                        let mut all_drained = serving.0.subscribe();
                        let connections = serve_thread(door, listener, handed, stopped).await;
                        drop(serving);
                        // A pooled connection to a remote upstream that this
                        // thread made may carry another thread's draining
                        // request: this runtime drives it until all are done.
                        let _ = all_drained.wait_for(|serving| *serving == 0).await;
                        connections
                    })
                })
                .context("spawning a gateway thread")?;
            threads.push(thread);
        }
        drop(self.listener);
        shutdown.await;
        stop.send_replace(true);
        tracing::info!("gateway stopped accepting; draining");
        let drained = tokio::task::spawn_blocking(move || {
            // Every thread joined, even after one that panicked.
            let joined: Vec<_> = threads.into_iter().map(|thread| thread.join()).collect();
            joined.into_iter().try_fold(0, |drained, connections| {
                let connections =
                    connections.map_err(|_| anyhow::anyhow!("a gateway thread panicked"))?;
                anyhow::Ok(drained + connections)
            })
        })
        .await??;
        tracing::info!(connections = drained, "gateway stopped");
        Ok(())
    }
}

/// A serving thread, counted while it serves or drains (also when it
/// panics: the count drops with it).
struct Serving(Arc<watch::Sender<usize>>);

impl Serving {
    fn start(count: &Arc<watch::Sender<usize>>) -> Serving {
        count.send_modify(|serving| *serving += 1);
        Serving(Arc::clone(count))
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        self.0.send_modify(|serving| *serving -= 1);
    }
}

/// A connection one gateway thread accepted for another to serve.
struct Handed {
    stream: std::net::TcpStream,
    peer: SocketAddr,
    counted: Counted,
}

/// Where connections are handed to a gateway thread.
type Inbox = mpsc::UnboundedSender<Handed>;

/// What one gateway thread serves with.
struct Door {
    /// Its index among the gateway's threads.
    thread: usize,
    service: Arc<GatewayService>,
    http: http1::Builder,
    /// Every thread's inbox, by index.
    inboxes: Arc<[Inbox]>,
}

/// One gateway thread: accepts from the shared socket and serves each
/// connection on a task of this thread, or hands it to a thread with fewer
/// connections ([`Spread`](crate::spread)) and serves the ones handed to
/// it, until `stopped` turns true (or its sender is gone); then lets its
/// connections finish. Returns how many were open then.
async fn serve_thread(
    door: Door,
    listener: TcpListener,
    mut handed: mpsc::UnboundedReceiver<Handed>,
    mut stopped: watch::Receiver<bool>,
) -> usize {
    let graceful = GracefulShutdown::new();
    loop {
        tokio::select! {
            biased;
            _ = stopped.wait_for(|stop| *stop) => break,
            Some(handed) = handed.recv() => door.serve_handed(handed, &graceful),
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => door.place(stream, peer, &graceful),
                Err(error) => {
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            },
        }
    }
    drop(listener);
    // Connections handed over before the stop are served too; a thread
    // that hands one over after this serves it itself.
    handed.close();
    while let Ok(handed) = handed.try_recv() {
        door.serve_handed(handed, &graceful);
    }
    let connections = graceful.count();
    graceful.shutdown().await;
    connections
}

impl Door {
    /// Serves a connection this thread accepted here, or hands it to the
    /// thread with the fewest connections.
    fn place(&self, stream: TcpStream, peer: SocketAddr, graceful: &GracefulShutdown) {
        let counted = self.service.spread.assign(self.thread);
        if counted.thread == self.thread {
            return serve(&self.service, &self.http, stream, peer, counted, graceful);
        }
        let stream = match stream.into_std() {
            Ok(stream) => stream,
            Err(error) => return tracing::warn!(%peer, %error, "handing a connection over failed"),
        };
        let to = counted.thread;
        if let Err(mpsc::error::SendError(handed)) = self.inboxes[to].send(Handed {
            stream,
            peer,
            counted,
        }) {
            // That thread has stopped accepting: this one serves it.
            self.serve_handed(handed, graceful);
        }
    }

    fn serve_handed(&self, handed: Handed, graceful: &GracefulShutdown) {
        let Handed {
            stream,
            peer,
            counted,
        } = handed;
        match TcpStream::from_std(stream) {
            Ok(stream) => serve(&self.service, &self.http, stream, peer, counted, graceful),
            Err(error) => tracing::warn!(%peer, %error, "taking a connection over failed"),
        }
    }
}

/// Serves one connection on its own task.
fn serve(
    service: &Arc<GatewayService>,
    http: &http1::Builder,
    stream: TcpStream,
    peer: SocketAddr,
    counted: Counted,
    graceful: &GracefulShutdown,
) {
    if let Err(error) = stream.set_nodelay(true) {
        tracing::debug!(%peer, %error, "setting TCP_NODELAY failed");
    }
    let service = Arc::clone(service);
    let handler = service_fn(move |request| {
        let service = Arc::clone(&service);
        async move { Ok::<_, Infallible>(service.handle(request, peer).await) }
    });
    let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), handler));
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(%peer, %error, "connection ended with an error");
        }
        drop(counted);
    });
}

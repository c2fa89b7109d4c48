//! A caller's instances of the services it calls: one instance per callee
//! service for the caller's whole request, not one per call.
//!
//! A caller instance (one request: an order, a quote, a housekeeping round)
//! keeps, per service it calls in this process, one [`Session`]: an instance
//! of that service made at the first call, in its own store on a task of its
//! own, which then answers every later call of the same caller too (at the
//! same time when the caller makes them at the same time: the exports are
//! async). An order's reserve and confirm go to one catalog instance, and
//! its lines' quotes and its claim to one pricing instance, whose product
//! lookups go to one catalog instance of pricing's own. The session ends once
//! the caller's store is dropped and its calls are answered.
//!
//! Isolation between requests is kept: a callee instance only ever serves
//! the caller instance that made it, and that caller serves one request.
//!
//! A call that fails in the instance (a trap, a missing export) ends the
//! session, and the calls still running in it fail as `unavailable`; the
//! caller's next call gets a new instance. So does a session still running
//! [`SESSION_LIMIT`] after it started, the longest a request may take (its
//! head, then the rest): the limit is kept outside the store's event loop,
//! so a callee in a busy loop or a long host call is cut off too. The
//! host's own calls (the internal route answering other nodes) have no
//! caller instance: each is a session of one call ([`Session::start`]).

use crate::frontdoor::REQUEST_TIMEOUT;
use crate::service::{Service, Version};
use crate::state::ComponentState;
use futures::future::BoxFuture;
use futures::stream::{FuturesUnordered, StreamExt};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use wasmtime::component::{Accessor, Instance};

/// How long a session's instance may run: a request's head deadline and
/// then the same again for the rest of its work (`frontdoor::one_request`).
pub const SESSION_LIMIT: Duration = REQUEST_TIMEOUT.saturating_mul(2);

/// The callee instance a session's calls run in.
pub struct Loaded {
    pub version: Arc<Version>,
    pub instance: Instance,
}

/// One call, run in the session's instance. Its future is true if the
/// instance may take more calls (the call did not trap).
pub type Job =
    Box<dyn for<'a> FnOnce(&'a Accessor<ComponentState>, &'a Loaded) -> BoxFuture<'a, bool> + Send>;

/// `call` as a [`Job`].
pub fn job<F>(call: F) -> Job
where
    F: for<'a> FnOnce(&'a Accessor<ComponentState>, &'a Loaded) -> BoxFuture<'a, bool>
        + Send
        + 'static,
{
    Box::new(call)
}

/// The way to one callee instance; cloned into each call.
#[derive(Clone)]
pub struct Session {
    service: Arc<Service>,
    jobs: mpsc::UnboundedSender<Job>,
}

impl Session {
    /// Starts a session with `service`: its instance is made on a task of
    /// its own (on a front-door thread, that thread), which runs until the
    /// last clone of the session is dropped and its calls are answered.
    pub fn start(service: Arc<Service>) -> Session {
        let (jobs, queue) = mpsc::unbounded_channel();
        tokio::spawn(serve(service.clone(), queue));
        Session { service, jobs }
    }

    /// The callee service.
    pub fn service(&self) -> &Arc<Service> {
        &self.service
    }

    /// Hands `job` to the instance. If the session has ended, the job is
    /// dropped unrun: its caller sees its answer channel closed.
    pub fn run(&self, job: Job) {
        let _ = self.jobs.send(job);
    }

    fn is_open(&self) -> bool {
        !self.jobs.is_closed()
    }
}

/// A caller instance's sessions, one per callee service (kept in its store).
#[derive(Default)]
pub struct Sessions(Vec<Session>);

impl Sessions {
    /// The session with `service`: the open one, or a new one.
    pub fn of(&mut self, service: &Arc<Service>) -> Session {
        self.0.retain(Session::is_open);
        if let Some(session) = self.0.iter().find(|s| Arc::ptr_eq(&s.service, service)) {
            return session.clone();
        }
        let session = Session::start(service.clone());
        self.0.push(session.clone());
        session
    }
}

/// A session's task: makes the instance and runs the calls queued for it
/// until the queue is closed and they are done, one leaves the instance
/// unfit, or [`SESSION_LIMIT`] has passed.
async fn serve(service: Arc<Service>, mut queue: mpsc::UnboundedReceiver<Job>) {
    let (version, mut store, instance) = match service.instantiate().await {
        Ok(made) => made,
        Err(e) => {
            let service = &service.name;
            tracing::error!(%service, "making an instance for linked calls failed: {e:#}");
            return;
        }
    };
    let loaded = Loaded { version, instance };
    let calls = store.run_concurrent(async |accessor| {
        let mut running = FuturesUnordered::new();
        loop {
            tokio::select! {
                job = queue.recv() => match job {
                    Some(job) => running.push(job(accessor, &loaded)),
                    None => break,
                },
                Some(fit) = running.next() => if !fit {
                    // No more calls: the caller's next one starts a session.
                    queue.close();
                    return;
                },
            }
        }
        while let Some(fit) = running.next().await {
            if !fit {
                return;
            }
        }
    });
    let service = &service.name;
    match tokio::time::timeout(SESSION_LIMIT, calls).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::error!(%service, "an instance answering linked calls failed: {e:#}"),
        Err(_) => tracing::error!(%service, "an instance answering linked calls ran out of time"),
    }
}

//! One request, one fresh instance, driven in the task that asked: the
//! instance is made and handed the request (wasi:http p3 `handler` or p2
//! `incoming-handler`), and its store's event loop is polled by that task
//! until the response head exists, then by the response body as the client
//! reads it. No worker task, queue or channel hop per request, as a
//! `ProxyHandler` worker adds (measured in BENCHMARKS.md, issue 12).
//!
//! The deadlines are as before: the head within [`REQUEST_TIMEOUT`] of the
//! start, and the rest of the guest's work (its body, work after its
//! response) within [`REQUEST_TIMEOUT`] of the head. They are enforced
//! outside the store's event loop, so a guest in a busy loop or a long host
//! call is still cut off. If the guest is not done when its caller lets go
//! (the body was read to the end, or the client went away mid-request), the
//! rest runs in a task of its own under the same deadline: a request is
//! never cut off half-done because its client left.

use super::serve::REQUEST_TIMEOUT;
use crate::service::Service;
use crate::state::ComponentState;
use bytes::Bytes;
use futures::channel::oneshot;
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, SizeHint};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use tokio::time::{Instant, Sleep};
use wasmtime::{AsContextMut, Store};
use wasmtime_wasi_http::handler::{Prepared, Request};
use wasmtime_wasi_http::{WasiBody, WasiHttpView};

/// `service`'s answer to `request` from a fresh instance of its active
/// version. An error (instantiation failed, the guest trapped, returned an
/// error code or missed the deadline) comes before any of the response.
pub(super) async fn answer(
    service: &Arc<Service>,
    request: Request,
) -> wasmtime::Result<hyper::Response<WasiBody>> {
    let version = service.current();
    let mut store = service.new_store();
    let proxy = version.proxy.instantiate_async(&mut store).await?;
    let head_deadline = Instant::now() + REQUEST_TIMEOUT;
    let (tx, mut rx) = oneshot::channel();
    let mut guest = Guest::new(
        Box::pin(async move {
            let ended = store
                .run_concurrent(async |accessor| {
                    let prepared = accessor.with(|mut store| {
                        Prepared::new(
                            store.as_context_mut(),
                            &proxy,
                            request,
                            WasiHttpView::http,
                            tx,
                        )
                    })?;
                    prepared
                        .run(accessor, tokio::time::sleep_until(head_deadline))
                        .await?;
                    std::future::poll_fn(|cx| accessor.poll_no_interesting_tasks(cx)).await;
                    Ok::<(), wasmtime::Error>(())
                })
                .await;
            (store, ended.and_then(|ended| ended))
        }),
        head_deadline,
    );
    let head = std::future::poll_fn(|cx| {
        if let Poll::Ready(Ok(head)) = Pin::new(&mut rx).poll(cx) {
            return Poll::Ready(head);
        }
        let ended = ready!(guest.poll(cx));
        // The guest is done: its answer, if it gave one, is waiting.
        Poll::Ready(match rx.try_recv() {
            Ok(Some(head)) => head,
            _ => Err(ended
                .err()
                .unwrap_or_else(|| wasmtime::format_err!("the guest ended without a response"))),
        })
    })
    .await?;
    guest
        .deadline
        .as_mut()
        .reset(Instant::now() + REQUEST_TIMEOUT);
    Ok(head.map(|body| DrivenBody { body, guest }.boxed_unsync()))
}

/// The store's event loop: the guest's work on the request, until it has
/// answered and has nothing left to do; then the store. Dropping it drops
/// the instance.
type Driver = Pin<Box<dyn Future<Output = (Store<ComponentState>, wasmtime::Result<()>)> + Send>>;

/// A guest at work, and the deadline it must be done by.
struct Guest {
    driver: Option<Driver>,
    deadline: Pin<Box<Sleep>>,
}

impl Guest {
    fn new(driver: Driver, deadline: Instant) -> Guest {
        Guest {
            driver: Some(driver),
            deadline: Box::pin(tokio::time::sleep_until(deadline)),
        }
    }

    /// Runs the guest; ready when it is done, failed or out of time (its
    /// instance then dropped), and at once after that.
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<wasmtime::Result<()>> {
        let Some(driver) = &mut self.driver else {
            return Poll::Ready(Ok(()));
        };
        let ended = match driver.as_mut().poll(cx) {
            Poll::Ready((store, ended)) => {
                // Resetting the instance's memory is a tenth of a small
                // request's work: done after this task has sent the answer.
                tokio::spawn(async move { drop(store) });
                ended
            }
            Poll::Pending => {
                ready!(self.deadline.as_mut().poll(cx));
                Err(wasmtime::format_err!("guest timed out"))
            }
        };
        self.driver = None;
        Poll::Ready(ended)
    }
}

impl Drop for Guest {
    /// Let go before the guest is done: it finishes in a task of its own.
    fn drop(&mut self) {
        let Some(driver) = self.driver.take() else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return; // the process is shutting down
        };
        let mut rest = Guest::new(driver, self.deadline.deadline());
        runtime.spawn(async move {
            if let Err(e) = std::future::poll_fn(|cx| rest.poll(cx)).await {
                tracing::warn!("instance ended with an error: {e:?}");
            }
        });
    }
}

/// The guest's response body, which runs the guest as it is read: the
/// guest writes the body as the client takes it.
struct DrivenBody {
    body: WasiBody,
    guest: Guest,
}

impl Body for DrivenBody {
    type Data = Bytes;
    type Error = wasmtime_wasi_http::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if let Poll::Ready(Err(e)) = this.guest.poll(cx) {
            // The instance is gone; its body ends where the guest stopped.
            tracing::warn!("instance ended with an error: {e:?}");
        }
        Pin::new(&mut this.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

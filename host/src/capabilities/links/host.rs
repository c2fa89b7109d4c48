//! The imported `stock`, `quote` and `products` interfaces, implemented by
//! calling the linked service's exports, here or on another node (see the
//! module docs of `links`).

use super::session::{Session, Sessions, job};
use super::{Callee, Link, LinksState};
use crate::bindings::linked::{products, quote, stock};
use crate::bindings::{products as products_export, quote as quote_export, stock as stock_export};
use crate::state::ComponentState;
use futures::channel::oneshot;
use wasmtime::component::{Accessor, HasData, Linker};

/// Marker: the links live in `ServiceCapabilities::links`, the caller's
/// sessions in its store (`ComponentState::callees`).
pub struct LinksCapability;

impl HasData for LinksCapability {
    type Data<'a> = Calls<'a>;
}

/// What an import call of one caller instance sees.
pub struct Calls<'a> {
    links: &'a LinksState,
    sessions: &'a mut Sessions,
}

impl stock::Host for Calls<'_> {}
impl quote::Host for Calls<'_> {}
impl products::Host for Calls<'_> {}

/// Calls `$function` of `$link`'s service. Faults are injected first. A
/// remote callee gets the arguments `($($arg),*)` as JSON; a local one runs
/// `|$guest, $a| $call` in the instance of the link's session (a session of
/// its own for this call if the link has none), with the loaded export and
/// the callee store's accessor, and `$ok` turns the export's answer into the
/// import's. A trap, a failed instantiation or an unreachable node becomes
/// the interface's `$unavailable` error; the callee's own errors pass
/// through.
macro_rules! call_linked {
    ($link:expr, $function:literal, ($($arg:ident),*), $exports:ident, $unavailable:path,
     ok = $ok:expr, |$guest:ident, $a:ident| $call:expr) => {{
        let link: &Link = $link;
        let name = link.service_name();
        link.faults.inject(name, $function).await.map_err($unavailable)?;
        let session = match &link.callee {
            Callee::Remote(remote) => {
                return remote.call($function, &($(&$arg,)*), $unavailable).await;
            }
            Callee::Local(service) => Session::start(service.clone()),
            Callee::Session(session) => session.clone(),
        };
        let (reply, answer) = oneshot::channel();
        session.run(job(move |$a, loaded| {
            Box::pin(async move {
                let answer = async {
                    let indices = $exports::GuestIndices::new(&loaded.version.pre)?;
                    let $guest = $a.with(|mut store| indices.load(&mut store, &loaded.instance))?;
                    $call.await
                }
                .await;
                let fit = answer.is_ok();
                let _ = reply.send(answer);
                fit
            })
        }));
        drop(session);
        match answer.await {
            Ok(Ok(answer)) => answer.map($ok).map_err(Into::into),
            Ok(Err(error)) => {
                tracing::error!(service = %name, error = format!("{error:#}"), "linked call failed");
                Err($unavailable(format!("{name} failed: {error}")))
            }
            Err(_) => Err($unavailable(format!("{name} failed: its instance ended before answering"))),
        }
    }};
}

/// The calls behind the imports, usable by the host itself (the internal
/// route that answers other nodes, benchmarks).
impl Link {
    pub async fn check(&self, sku: String) -> Result<u32, stock::Error> {
        call_linked!(
            self,
            "stock.check",
            (sku),
            stock_export,
            stock::Error::Unavailable,
            ok = Into::into,
            |guest, a| guest.call_check(a, sku)
        )
    }

    pub async fn reserve(&self, id: String, lines: Vec<stock::Line>) -> Result<(), stock::Error> {
        call_linked!(
            self,
            "stock.reserve",
            (id, lines),
            stock_export,
            stock::Error::Unavailable,
            ok = Into::into,
            |guest, a| guest.call_reserve(a, id, lines.into_iter().map(Into::into).collect())
        )
    }

    pub async fn confirm(&self, id: String) -> Result<(), stock::Error> {
        call_linked!(
            self,
            "stock.confirm",
            (id),
            stock_export,
            stock::Error::Unavailable,
            ok = Into::into,
            |guest, a| guest.call_confirm(a, id)
        )
    }

    pub async fn release(&self, id: String) -> Result<(), stock::Error> {
        call_linked!(
            self,
            "stock.release",
            (id),
            stock_export,
            stock::Error::Unavailable,
            ok = Into::into,
            |guest, a| guest.call_release(a, id)
        )
    }

    pub async fn quote(
        &self,
        sku: String,
        qty: u32,
        tenant: String,
        customer: Vec<(String, String)>,
    ) -> Result<quote::Price, quote::Error> {
        call_linked!(
            self,
            "quote.quote",
            (sku, qty, tenant, customer),
            quote_export,
            quote::Error::Unavailable,
            ok = Into::into,
            |guest, a| guest.call_quote(a, sku, qty, tenant, customer)
        )
    }

    pub async fn claim(
        &self,
        id: String,
        lines: Vec<quote::ClaimLine>,
    ) -> Result<(), quote::ClaimError> {
        call_linked!(
            self,
            "quote.claim",
            (id, lines),
            quote_export,
            quote::ClaimError::Unavailable,
            ok = Into::into,
            |guest, a| guest.call_claim(a, id, lines.into_iter().map(Into::into).collect())
        )
    }

    pub async fn unclaim(&self, id: String) -> Result<(), quote::ClaimError> {
        call_linked!(
            self,
            "quote.unclaim",
            (id),
            quote_export,
            quote::ClaimError::Unavailable,
            ok = Into::into,
            |guest, a| guest.call_unclaim(a, id)
        )
    }

    pub async fn lookup(&self, sku: String) -> Result<Option<products::Product>, products::Error> {
        call_linked!(
            self,
            "products.lookup",
            (sku),
            products_export,
            products::Error::Unavailable,
            ok = |found: Option<_>| found.map(Into::into),
            |guest, a| guest.call_lookup(a, sku)
        )
    }
}

/// The link of `interface`, or `unavailable` if this service has none; a
/// callee in this process is reached through the caller's session with it.
fn link<T, E>(
    accessor: &Accessor<T, LinksCapability>,
    interface: &str,
    unavailable: fn(String) -> E,
) -> Result<Link, E> {
    accessor
        .with(|mut access| {
            let calls = access.get();
            let mut link = calls.links.get(interface)?.clone();
            if let Callee::Local(service) = &link.callee {
                link.callee = Callee::Session(calls.sessions.of(service));
            }
            Some(link)
        })
        .ok_or_else(|| unavailable(format!("`{interface}` is not linked to a service")))
}

impl<T> stock::HostWithStore<T> for LinksCapability {
    #[tracing::instrument(level = "debug", name = "stock.check", skip_all)]
    async fn check(accessor: &Accessor<T, Self>, sku: String) -> Result<u32, stock::Error> {
        let link = link(accessor, "stock", stock::Error::Unavailable)?;
        link.check(sku).await
    }

    #[tracing::instrument(level = "debug", name = "stock.reserve", skip_all)]
    async fn reserve(
        accessor: &Accessor<T, Self>,
        reservation_id: String,
        lines: Vec<stock::Line>,
    ) -> Result<(), stock::Error> {
        let link = link(accessor, "stock", stock::Error::Unavailable)?;
        link.reserve(reservation_id, lines).await
    }

    #[tracing::instrument(level = "debug", name = "stock.confirm", skip_all)]
    async fn confirm(
        accessor: &Accessor<T, Self>,
        reservation_id: String,
    ) -> Result<(), stock::Error> {
        let link = link(accessor, "stock", stock::Error::Unavailable)?;
        link.confirm(reservation_id).await
    }

    #[tracing::instrument(level = "debug", name = "stock.release", skip_all)]
    async fn release(
        accessor: &Accessor<T, Self>,
        reservation_id: String,
    ) -> Result<(), stock::Error> {
        let link = link(accessor, "stock", stock::Error::Unavailable)?;
        link.release(reservation_id).await
    }
}

impl<T> quote::HostWithStore<T> for LinksCapability {
    #[tracing::instrument(level = "debug", name = "quote.quote", skip_all)]
    async fn quote(
        accessor: &Accessor<T, Self>,
        sku: String,
        qty: u32,
        tenant: String,
        customer: Vec<(String, String)>,
    ) -> Result<quote::Price, quote::Error> {
        let link = link(accessor, "quote", quote::Error::Unavailable)?;
        link.quote(sku, qty, tenant, customer).await
    }

    #[tracing::instrument(level = "debug", name = "quote.claim", skip_all)]
    async fn claim(
        accessor: &Accessor<T, Self>,
        claim_id: String,
        lines: Vec<quote::ClaimLine>,
    ) -> Result<(), quote::ClaimError> {
        let link = link(accessor, "quote", quote::ClaimError::Unavailable)?;
        link.claim(claim_id, lines).await
    }

    #[tracing::instrument(level = "debug", name = "quote.unclaim", skip_all)]
    async fn unclaim(
        accessor: &Accessor<T, Self>,
        claim_id: String,
    ) -> Result<(), quote::ClaimError> {
        let link = link(accessor, "quote", quote::ClaimError::Unavailable)?;
        link.unclaim(claim_id).await
    }
}

impl<T> products::HostWithStore<T> for LinksCapability {
    #[tracing::instrument(level = "debug", name = "products.lookup", skip_all)]
    async fn lookup(
        accessor: &Accessor<T, Self>,
        sku: String,
    ) -> Result<Option<products::Product>, products::Error> {
        let link = link(accessor, "products", products::Error::Unavailable)?;
        link.lookup(sku).await
    }
}

pub fn add_to_linker(linker: &mut Linker<ComponentState>) -> wasmtime::Result<()> {
    stock::add_to_linker::<_, LinksCapability>(linker, calls)?;
    quote::add_to_linker::<_, LinksCapability>(linker, calls)?;
    products::add_to_linker::<_, LinksCapability>(linker, calls)
}

fn calls(state: &mut ComponentState) -> Calls<'_> {
    Calls {
        links: &state.caps.links,
        sessions: &mut state.callees,
    }
}

//! The imported `stock` and `quote` interfaces, implemented by calling the
//! linked service's exports (see the module docs of `links`).

use super::{Link, LinksState};
use crate::bindings::linked::{quote, stock};
use crate::bindings::{quote as quote_export, stock as stock_export};
use crate::state::ComponentState;
use wasmtime::component::{Accessor, HasData, Linker};

/// Marker: the links live in `ServiceCapabilities::links`.
pub struct LinksCapability;

impl HasData for LinksCapability {
    type Data<'a> = &'a LinksState;
}

impl stock::Host for &LinksState {}
impl quote::Host for &LinksState {}

/// Calls an export of `$link`'s service in a fresh instance on a task of
/// its own: `|$guest, $a| $call` gets the loaded export and the callee
/// store's accessor. Faults are injected first. A trap or a failed
/// instantiation becomes the interface's `$unavailable` error; the callee's
/// own errors pass through.
macro_rules! call_linked {
    ($link:expr, $exports:ident, $unavailable:path, |$guest:ident, $a:ident| $call:expr) => {{
        let link: &Link = $link;
        link.faults
            .inject(&link.service.name)
            .await
            .map_err($unavailable)?;
        let service = link.service.clone();
        let callee = tokio::spawn(async move {
            let (version, mut store, instance) = service.instantiate().await?;
            let $guest = $exports::GuestIndices::new(&version.pre)?.load(&mut store, &instance)?;
            let answer = store.run_concurrent(async move |$a| $call.await).await??;
            anyhow::Ok(answer)
        });
        let name = &link.service.name;
        match callee.await {
            Ok(Ok(answer)) => answer.map_err(Into::into),
            Ok(Err(error)) => {
                tracing::error!(service = %name, error = format!("{error:#}"), "linked call failed");
                Err($unavailable(format!("{name} failed: {error}")))
            }
            Err(join) => Err($unavailable(format!("{name} failed: {join}"))),
        }
    }};
}

/// The calls behind the imports, usable by the host itself (benchmarks).
impl Link {
    pub async fn check(&self, sku: String) -> Result<u32, stock::Error> {
        call_linked!(self, stock_export, stock::Error::Unavailable, |guest, a| {
            guest.call_check(a, sku)
        })
    }

    pub async fn reserve(&self, id: String, lines: Vec<stock::Line>) -> Result<(), stock::Error> {
        let lines: Vec<stock_export::Line> = lines.into_iter().map(Into::into).collect();
        call_linked!(self, stock_export, stock::Error::Unavailable, |guest, a| {
            guest.call_reserve(a, id, lines)
        })
    }

    pub async fn release(&self, id: String) -> Result<(), stock::Error> {
        call_linked!(self, stock_export, stock::Error::Unavailable, |guest, a| {
            guest.call_release(a, id)
        })
    }

    pub async fn quote(
        &self,
        sku: String,
        qty: u32,
        tenant: String,
    ) -> Result<quote::Price, quote::Error> {
        call_linked!(self, quote_export, quote::Error::Unavailable, |guest, a| {
            guest.call_quote(a, sku, qty, tenant)
        })
        .map(Into::into)
    }

    pub async fn claim(
        &self,
        id: String,
        lines: Vec<quote::ClaimLine>,
    ) -> Result<(), quote::ClaimError> {
        let lines: Vec<quote_export::ClaimLine> = lines.into_iter().map(Into::into).collect();
        call_linked!(
            self,
            quote_export,
            quote::ClaimError::Unavailable,
            |guest, a| { guest.call_claim(a, id, lines) }
        )
    }

    pub async fn unclaim(&self, id: String) -> Result<(), quote::ClaimError> {
        call_linked!(
            self,
            quote_export,
            quote::ClaimError::Unavailable,
            |guest, a| { guest.call_unclaim(a, id) }
        )
    }
}

/// The link behind an import, or `unavailable` if this service has none.
fn link<T, E>(
    accessor: &Accessor<T, LinksCapability>,
    which: fn(&LinksState) -> &Option<Link>,
    unavailable: fn(String) -> E,
) -> Result<Link, E> {
    accessor
        .with(|mut access| which(access.get()).clone())
        .ok_or_else(|| unavailable("this import is not linked to a service in this node".into()))
}

impl<T> stock::HostWithStore<T> for LinksCapability {
    #[tracing::instrument(name = "stock.check", skip_all)]
    async fn check(accessor: &Accessor<T, Self>, sku: String) -> Result<u32, stock::Error> {
        let link = link(accessor, |l| &l.stock, stock::Error::Unavailable)?;
        link.check(sku).await
    }

    #[tracing::instrument(name = "stock.reserve", skip_all)]
    async fn reserve(
        accessor: &Accessor<T, Self>,
        reservation_id: String,
        lines: Vec<stock::Line>,
    ) -> Result<(), stock::Error> {
        let link = link(accessor, |l| &l.stock, stock::Error::Unavailable)?;
        link.reserve(reservation_id, lines).await
    }

    #[tracing::instrument(name = "stock.release", skip_all)]
    async fn release(
        accessor: &Accessor<T, Self>,
        reservation_id: String,
    ) -> Result<(), stock::Error> {
        let link = link(accessor, |l| &l.stock, stock::Error::Unavailable)?;
        link.release(reservation_id).await
    }
}

impl<T> quote::HostWithStore<T> for LinksCapability {
    #[tracing::instrument(name = "quote.quote", skip_all)]
    async fn quote(
        accessor: &Accessor<T, Self>,
        sku: String,
        qty: u32,
        tenant: String,
    ) -> Result<quote::Price, quote::Error> {
        let link = link(accessor, |l| &l.quote, quote::Error::Unavailable)?;
        link.quote(sku, qty, tenant).await
    }

    #[tracing::instrument(name = "quote.claim", skip_all)]
    async fn claim(
        accessor: &Accessor<T, Self>,
        claim_id: String,
        lines: Vec<quote::ClaimLine>,
    ) -> Result<(), quote::ClaimError> {
        let link = link(accessor, |l| &l.quote, quote::ClaimError::Unavailable)?;
        link.claim(claim_id, lines).await
    }

    #[tracing::instrument(name = "quote.unclaim", skip_all)]
    async fn unclaim(
        accessor: &Accessor<T, Self>,
        claim_id: String,
    ) -> Result<(), quote::ClaimError> {
        let link = link(accessor, |l| &l.quote, quote::ClaimError::Unavailable)?;
        link.unclaim(claim_id).await
    }
}

pub fn add_to_linker(linker: &mut Linker<ComponentState>) -> wasmtime::Result<()> {
    stock::add_to_linker::<_, LinksCapability>(linker, |s| &s.caps.links)?;
    quote::add_to_linker::<_, LinksCapability>(linker, |s| &s.caps.links)
}

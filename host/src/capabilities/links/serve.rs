//! The callee side of calls between nodes: a service's front door answers
//! `POST {CALL_PREFIX}{interface}.{function}` itself (the component never
//! sees it) for the interfaces the service exports, with the same local
//! call a linked import in this process makes. Only nodes may call it: the
//! request must carry a node token (`Authorization: Bearer`, signed with
//! the cluster secret, see `TokenKeys::for_nodes`); anything else is 401.

use super::Link;
use crate::service::Service;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// The internal route's prefix; the gateway routes nothing here.
pub const CALL_PREFIX: &str = "/_sluice/call/";

/// Largest request body the route reads.
pub const MAX_CALL_BYTES: usize = 1 << 20;

/// Answers a call of `function` (e.g. `stock.reserve`) to `service` with
/// JSON `args`: (status, JSON body). 200 carries the WIT result, `Ok` or
/// the callee's own error; 401 no or a bad node token; 404 a function the
/// service does not export; 400 arguments that do not decode.
pub async fn answer_call(
    service: &Arc<Service>,
    function: &str,
    authorization: Option<&str>,
    args: &[u8],
) -> (u16, Vec<u8>) {
    let token = authorization.and_then(|h| h.strip_prefix("Bearer "));
    let node = token.map(|t| service.caps.token.node_keys.verify(t));
    if !matches!(node, Some(Ok(_))) {
        return error(401, "unauthorized", "this route is for sluice nodes only");
    }
    let interface = function.split('.').next().unwrap_or_default();
    if crate::manifest::server_of(interface) != Some(service.name.as_str()) {
        return error(
            404,
            "not_found",
            &format!("{} does not export {function}", service.name),
        );
    }
    let link = Link::local(service.clone());
    match dispatch(&link, function, args).await {
        Some(Ok(answer)) => (200, answer),
        Some(Err(e)) => error(400, "invalid_arguments", &format!("{function}: {e}")),
        None => error(404, "not_found", &format!("no function {function}")),
    }
}

/// Decodes the arguments of `function`, calls it, and encodes its result;
/// `None` for an unknown function.
async fn dispatch(
    link: &Link,
    function: &str,
    args: &[u8],
) -> Option<Result<Vec<u8>, serde_json::Error>> {
    Some(match function {
        "stock.check" => run(args, |(sku,)| link.check(sku)).await,
        "stock.reserve" => run(args, |(id, lines)| link.reserve(id, lines)).await,
        "stock.confirm" => run(args, |(id,)| link.confirm(id)).await,
        "stock.release" => run(args, |(id,)| link.release(id)).await,
        "quote.quote" => {
            run(args, |(sku, qty, tenant, customer)| {
                link.quote(sku, qty, tenant, customer)
            })
            .await
        }
        "quote.claim" => run(args, |(id, lines)| link.claim(id, lines)).await,
        "quote.unclaim" => run(args, |(id,)| link.unclaim(id)).await,
        "products.lookup" => run(args, |(sku,)| link.lookup(sku)).await,
        _ => return None,
    })
}

async fn run<A, F, R>(args: &[u8], call: impl FnOnce(A) -> F) -> Result<Vec<u8>, serde_json::Error>
where
    A: DeserializeOwned,
    F: Future<Output = R>,
    R: Serialize,
{
    let args = serde_json::from_slice(args)?;
    serde_json::to_vec(&call(args).await)
}

fn error(status: u16, code: &str, message: &str) -> (u16, Vec<u8>) {
    let body = serde_json::json!({ "error": code, "message": message });
    (status, body.to_string().into_bytes())
}

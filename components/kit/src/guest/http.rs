//! `wasi:http/handler` in and out: the incoming request as the kit's plain
//! [`Request`] with a body read only when a route asks for it, and a
//! [`Reply`] sent as the response.

use super::bindings::wasi::http::types::{
    ErrorCode, Fields, Method, Request as WasiRequest, Response,
};
use super::bindings::{wit_future, wit_stream};
use crate::body::BodySource;
use crate::http::Request;
use crate::reply::Reply;
use wit_bindgen::{StreamReader, StreamResult};

/// The label of this build (`SLUICE_BUILD_LABEL` when it was compiled),
/// sent as `sluice-build` on every response so that which build answered
/// is visible (hot-swap tests, canaries); none by default.
const BUILD_LABEL: Option<&str> = option_env!("SLUICE_BUILD_LABEL");

/// Bytes asked for per read of the body stream.
const READ_CHUNK: usize = 16 * 1024;

/// The request as the service's handler takes it.
pub fn incoming(request: WasiRequest) -> Request<RequestBody> {
    Request {
        method: method_name(request.get_method()),
        path: request.get_path_with_query().unwrap_or_default(),
        headers: request.get_headers().copy_all(),
        body: RequestBody::Unread(request),
    }
}

fn method_name(method: Method) -> String {
    match method {
        Method::Get => "GET".into(),
        Method::Head => "HEAD".into(),
        Method::Post => "POST".into(),
        Method::Put => "PUT".into(),
        Method::Delete => "DELETE".into(),
        Method::Connect => "CONNECT".into(),
        Method::Options => "OPTIONS".into(),
        Method::Trace => "TRACE".into(),
        Method::Patch => "PATCH".into(),
        Method::Other(other) => other,
    }
}

/// Sends `reply`: the body goes through a stream written by a spawned task,
/// since the host reads it only after `handle` has returned the response.
pub fn respond(reply: Reply) -> Result<Response, ErrorCode> {
    let internal = |what: &str| ErrorCode::InternalError(Some(what.to_string()));
    let mut entries: Vec<(String, Vec<u8>)> = reply
        .headers
        .into_iter()
        .map(|(name, value)| (name, value.into_bytes()))
        .collect();
    if let Some(label) = BUILD_LABEL {
        entries.push(("sluice-build".into(), label.as_bytes().to_vec()));
    }
    let headers = Fields::from_list(&entries).map_err(|_| internal("invalid response header"))?;
    let (mut body_tx, body_rx) = wit_stream::new();
    let (trailers_tx, trailers_rx) = wit_future::new(|| Ok(None));
    let (response, _sent) = Response::new(headers, Some(body_rx), trailers_rx);
    response
        .set_status_code(reply.status)
        .map_err(|()| internal("invalid status code"))?;
    let body = reply.body;
    drop(wit_bindgen::spawn_local(async move {
        // What is left over if the client went away is of no use.
        let _unsent = body_tx.write_all(body).await;
        drop(body_tx);
        // Dropping the writer sends its default: no trailers.
        drop(trailers_tx);
    }));
    Ok(response)
}

/// The request body, consumed only when a route asks for it.
pub enum RequestBody {
    Unread(WasiRequest),
    Reading(StreamReader<u8>),
    Done,
}

impl BodySource for RequestBody {
    async fn next_chunk(&mut self) -> Option<Vec<u8>> {
        if let RequestBody::Unread(_) = self {
            let RequestBody::Unread(request) = std::mem::replace(self, RequestBody::Done) else {
                unreachable!()
            };
            // Dropping the writer reports success of our side: Ok(()).
            let (_result_tx, result_rx) = wit_future::new(|| Ok(()));
            let (stream, _trailers) = WasiRequest::consume_body(request, result_rx);
            *self = RequestBody::Reading(stream);
        }
        let RequestBody::Reading(stream) = self else {
            return None;
        };
        loop {
            let (status, chunk) = stream.read(Vec::with_capacity(READ_CHUNK)).await;
            match status {
                StreamResult::Complete(_) if chunk.is_empty() => continue,
                StreamResult::Complete(_) => return Some(chunk),
                StreamResult::Dropped | StreamResult::Cancelled => {
                    *self = RequestBody::Done;
                    return (!chunk.is_empty()).then_some(chunk);
                }
            }
        }
    }
}

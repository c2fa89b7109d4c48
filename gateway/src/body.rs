//! The body type every gateway response (and every forwarded request) uses,
//! the one constructor for JSON responses, and the wrapper that keeps a
//! request counted as in flight until its response body is done.

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue};
use http::{Response, StatusCode};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};

/// Any error a body can fail with.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A boxed streaming body: upstream bodies pass through it unbuffered, and
/// bodies the gateway writes itself are one chunk.
pub type GatewayBody = UnsyncBoxBody<Bytes, BoxError>;

/// A body of exactly these bytes.
pub fn full(bytes: impl Into<Bytes>) -> GatewayBody {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// A response with `value` as its JSON body.
pub fn json_response(status: StatusCode, value: &serde_json::Value) -> Response<GatewayBody> {
    let mut response = Response::new(full(value.to_string()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// `body`, holding `guard` until the body ends or is dropped: what counts a
/// request as in flight (shedding slots, the instance lease) lasts until its
/// response has been streamed.
pub(crate) fn guarded<G: Send + Unpin + 'static>(body: GatewayBody, guard: G) -> GatewayBody {
    Guarded {
        inner: body,
        guard: Some(guard),
    }
    .boxed_unsync()
}

struct Guarded<G> {
    inner: GatewayBody,
    guard: Option<G>,
}

impl<G: Unpin> hyper::body::Body for Guarded<G> {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, BoxError>>> {
        let polled = std::pin::Pin::new(&mut self.inner).poll_frame(cx);
        if matches!(polled, std::task::Poll::Ready(None | Some(Err(_)))) {
            self.guard = None;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

/// A 200 response with `text` as its body.
pub(crate) fn text_response(text: String, content_type: &'static str) -> Response<GatewayBody> {
    let mut response = Response::new(full(text));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

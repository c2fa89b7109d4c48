//! Request body size limits without buffering: a declared `Content-Length`
//! over the limit is refused up front, and a streamed body is cut off (and
//! the cut recorded) the moment it passes the limit.

use crate::body::BoxError;
use bytes::Buf;
use http::HeaderMap;
use http::header::CONTENT_LENGTH;
use hyper::body::{Body, Frame, SizeHint};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, ready};

/// Whether the request declares a `Content-Length` above `limit`.
pub(crate) fn declared_length_exceeds(headers: &HeaderMap, limit: u64) -> bool {
    headers
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok())
        .is_some_and(|length| length > limit)
}

/// Wraps `body` so that it fails once more than `limit` bytes went through.
/// The returned [`Overflow`] tells afterwards whether that happened, so a
/// failed upstream call can be answered 413 rather than 502.
pub(crate) fn limit_body<B>(body: B, limit: u64) -> (LimitedBody<B>, Overflow) {
    let overflow = Overflow::default();
    let limited = LimitedBody {
        inner: body,
        remaining: limit,
        overflow: overflow.clone(),
    };
    (limited, overflow)
}

/// A body that errors after `limit` bytes.
pub(crate) struct LimitedBody<B> {
    inner: B,
    remaining: u64,
    overflow: Overflow,
}

/// Set when a [`LimitedBody`] went over its limit.
#[derive(Debug, Clone, Default)]
pub(crate) struct Overflow(Arc<AtomicBool>);

impl Overflow {
    pub(crate) fn happened(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// The error a [`LimitedBody`] fails with.
#[derive(Debug)]
pub(crate) struct BodyTooLarge;

impl std::fmt::Display for BodyTooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("request body exceeds the size limit")
    }
}

impl std::error::Error for BodyTooLarge {}

impl<B> Body for LimitedBody<B>
where
    B: Body + Unpin,
    B::Error: Into<BoxError>,
{
    type Data = B::Data;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = &mut *self;
        let frame = match ready!(Pin::new(&mut this.inner).poll_frame(cx)) {
            Some(Ok(frame)) => frame,
            Some(Err(error)) => return Poll::Ready(Some(Err(error.into()))),
            None => return Poll::Ready(None),
        };
        if let Some(data) = frame.data_ref() {
            let len = data.remaining() as u64;
            if len > this.remaining {
                this.overflow.0.store(true, Ordering::Release);
                return Poll::Ready(Some(Err(BodyTooLarge.into())));
            }
            this.remaining -= len;
        }
        Poll::Ready(Some(Ok(frame)))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use http::HeaderValue;
    use http_body_util::{BodyExt, Full};

    #[test]
    fn checks_declared_length() {
        let mut headers = HeaderMap::new();
        assert!(!declared_length_exceeds(&headers, 10));
        headers.insert(CONTENT_LENGTH, HeaderValue::from_static("10"));
        assert!(!declared_length_exceeds(&headers, 10));
        headers.insert(CONTENT_LENGTH, HeaderValue::from_static("11"));
        assert!(declared_length_exceeds(&headers, 10));
    }

    #[tokio::test]
    async fn passes_bodies_within_the_limit() {
        let (body, overflow) = limit_body(Full::new(Bytes::from_static(b"0123456789")), 10);
        let bytes = body.collect().await.unwrap().to_bytes();
        assert_eq!(&bytes[..], b"0123456789");
        assert!(!overflow.happened());
    }

    #[tokio::test]
    async fn cuts_off_streams_over_the_limit() {
        let chunks = ["abcd", "efgh", "ijkl"].map(|chunk| Bytes::from_static(chunk.as_bytes()));
        let (body, overflow) = limit_body(Chunks(chunks.into()), 10);
        let error = body.collect().await.unwrap_err();
        assert!(error.is::<BodyTooLarge>());
        assert!(overflow.happened());
    }

    /// A body of several data frames of unknown total length.
    struct Chunks(std::collections::VecDeque<Bytes>);

    impl Body for Chunks {
        type Data = Bytes;
        type Error = std::convert::Infallible;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            Poll::Ready(self.0.pop_front().map(|chunk| Ok(Frame::data(chunk))))
        }
    }
}

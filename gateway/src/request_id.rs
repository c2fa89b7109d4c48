//! Request ids: the client's `x-request-id` when it is sane, a fresh UUID v4
//! otherwise. The id goes upstream and back on every response.

use http::HeaderMap;
use http::header::{HeaderName, HeaderValue};

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest client-supplied id the gateway echoes.
const MAX_LEN: usize = 128;

/// The id of one request, always a valid header value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(HeaderValue);

impl RequestId {
    /// The client's id if it sent a valid one, else a new one.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        headers
            .get(X_REQUEST_ID)
            .filter(|value| is_valid(value.as_bytes()))
            .map(|value| RequestId(value.clone()))
            .unwrap_or_else(Self::generate)
    }

    pub fn generate() -> Self {
        let id = uuid::Uuid::new_v4().hyphenated().to_string();
        RequestId(HeaderValue::from_str(&id).expect("a UUID is a valid header value"))
    }

    pub fn as_str(&self) -> &str {
        self.0.to_str().expect("a request id is visible ASCII")
    }

    /// Sets (replaces) `x-request-id` in `headers`.
    pub fn apply(&self, headers: &mut HeaderMap) {
        headers.insert(X_REQUEST_ID, self.0.clone());
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// 1 to 128 visible ASCII characters (no spaces or control characters).
fn is_valid(id: &[u8]) -> bool {
    (1..=MAX_LEN).contains(&id.len()) && id.iter().all(|byte| byte.is_ascii_graphic())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_id(id: &[u8]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(X_REQUEST_ID, HeaderValue::from_bytes(id).unwrap());
        headers
    }

    #[test]
    fn echoes_valid_ids() {
        assert_eq!(
            RequestId::from_headers(&with_id(b"abc-123")).as_str(),
            "abc-123"
        );
        let longest = "x".repeat(MAX_LEN);
        assert_eq!(
            RequestId::from_headers(&with_id(longest.as_bytes())).as_str(),
            longest
        );
    }

    #[test]
    fn replaces_invalid_ids() {
        for bad in [
            &b""[..],
            b"has space",
            b"tab\there",
            &[b'y'; MAX_LEN + 1],
            b"caf\xc3\xa9",
        ] {
            let id = RequestId::from_headers(&with_id(bad));
            assert_ne!(id.as_str().as_bytes(), bad);
            assert!(uuid::Uuid::parse_str(id.as_str()).is_ok());
        }
        assert_ne!(RequestId::generate(), RequestId::generate());
    }
}

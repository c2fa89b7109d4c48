//! An HTTP response as plain data (status, headers, JSON body): services
//! build it, the wasm glue sends it, tests inspect it.

use serde::Serialize;

/// The media type of every response body.
pub const JSON: &str = "application/json";

/// A complete response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    /// Header names and values, in order; `content-type` whenever there is
    /// a body.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    /// A response whose body is `value` as JSON.
    pub fn json(status: u16, value: &impl Serialize) -> Reply {
        // Our own plain structs always serialize; never panic if not.
        let body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
        Reply {
            status,
            headers: vec![("content-type".to_string(), JSON.to_string())],
            body,
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Reply {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_replies_carry_their_type_and_extra_headers() {
        let reply = Reply::json(201, &serde_json::json!({"a": 1})).with_header("Location", "/x");
        assert_eq!(reply.status, 201);
        assert_eq!(reply.header("Content-Type"), Some(JSON));
        assert_eq!(reply.header("location"), Some("/x"));
        assert_eq!(reply.body, br#"{"a":1}"#);
    }
}

//! Reading replies in tests: the JSON body, and the error contract every
//! error reply keeps (its status, its `error` code and a message).

use crate::reply::Reply;
use serde_json::Value;

/// The reply's body as JSON (panics, showing it, if it is not JSON).
pub fn json_of(reply: &Reply) -> Value {
    serde_json::from_slice(&reply.body).unwrap_or_else(|e| {
        panic!(
            "the body is not JSON ({e}): {}",
            String::from_utf8_lossy(&reply.body)
        )
    })
}

/// Asserts `reply` is the error `status` with `code` and a message; the
/// body, for more checks.
pub fn assert_error(reply: &Reply, status: u16, code: &str) -> Value {
    let body = json_of(reply);
    assert_eq!(reply.status, status, "{body}");
    assert_eq!(body["error"], code, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "an error says why: {body}"
    );
    body
}

//! Request bodies as JSON: an object of the expected shape or a 400
//! `invalid_json` saying why.

use crate::errors::ApiError;
use serde::de::DeserializeOwned;

/// Parses a request body as `T`; any failure (empty, malformed, not an
/// object, wrong types, missing or unknown fields) is
/// [`ApiError::InvalidJson`] with serde's reason.
pub fn parse<T: DeserializeOwned, E>(body: &[u8]) -> Result<T, ApiError<E>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::InvalidJson("the request body is empty".into()));
    }
    let invalid = |e: serde_json::Error| ApiError::InvalidJson(e.to_string());
    // Serde would also read a struct from a JSON array; the API takes objects.
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        serde_json::from_slice::<serde::de::IgnoredAny>(body).map_err(invalid)?;
        return Err(ApiError::InvalidJson("expected a JSON object".into()));
    }
    serde_json::from_slice(body).map_err(invalid)
}

/// Parses a request body as any JSON value (the caller checks its shape);
/// an empty or malformed body is [`ApiError::InvalidJson`].
pub fn parse_value<E>(body: &[u8]) -> Result<serde_json::Value, ApiError<E>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::InvalidJson("the request body is empty".into()));
    }
    serde_json::from_slice(body).map_err(|e| ApiError::InvalidJson(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Pair {
        #[allow(dead_code)] // read by the deserializer only
        a: u8,
    }

    fn why(body: &str) -> String {
        match parse::<Pair, ()>(body.as_bytes()) {
            Err(ApiError::InvalidJson(why)) => why,
            other => panic!("{body:?} gave {other:?}"),
        }
    }

    #[test]
    fn only_an_object_of_the_shape_parses() {
        assert!(parse::<Pair, ()>(br#" {"a": 1} "#).is_ok());
        assert_eq!(why("  "), "the request body is empty");
        assert_eq!(why("[1]"), "expected a JSON object");
        assert!(why("{").contains("EOF"), "malformed JSON says where");
        assert!(why(r#"{"a": 1, "b": 2}"#).contains("unknown field"));
        assert!(why(r#"{"a": "x"}"#).contains("invalid type"));
        assert!(
            why("[").contains("EOF"),
            "a malformed array is malformed first"
        );
        for not_an_object in ["null", "\"a\"", "[]", "7"] {
            assert_eq!(
                why(not_an_object),
                "expected a JSON object",
                "{not_an_object}"
            );
        }
        // A bad escape, a trailing comma, a raw NUL in a string: malformed.
        for malformed in [r#"{"a": "\x"}"#, "{\"a\": 1,}", "{\"a\u{0}\": 1}"] {
            assert_ne!(why(malformed), "expected a JSON object", "{malformed}");
        }
        let bad_utf8 = b"{\"a\": \"\xff\"}";
        assert!(matches!(
            parse::<Pair, ()>(bad_utf8),
            Err(ApiError::InvalidJson(_))
        ));
    }

    #[test]
    fn any_value_parses_unless_malformed() {
        assert!(parse_value::<()>(b"[1]").is_ok());
        assert!(matches!(
            parse_value::<()>(b""),
            Err(ApiError::InvalidJson(_))
        ));
        assert!(matches!(
            parse_value::<()>(b"{"),
            Err(ApiError::InvalidJson(_))
        ));
    }
}

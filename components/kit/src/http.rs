//! Reading requests: headers, bearer tokens, request ids, the query string
//! and percent-encoded path segments.

/// A request as the wasm glue hands it to a service's handler (tests build
/// one directly).
pub struct Request<B> {
    /// The method name, e.g. `"GET"`.
    pub method: String,
    /// Path and query, e.g. `/api/products?limit=5`.
    pub path: String,
    /// Header names and raw values, in order.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body, read only by routes that need it.
    pub body: B,
}

/// The first value of header `name` (case-insensitive), if it is UTF-8.
pub fn header<'a>(headers: &'a [(String, Vec<u8>)], name: &str) -> Option<&'a str> {
    let (_, value) = headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name))?;
    std::str::from_utf8(value).ok()
}

/// The token of an `Authorization: Bearer <token>` value (scheme
/// case-insensitive), or `None` if absent, empty or another scheme.
pub fn bearer(authorization: Option<&str>) -> Option<&str> {
    let (scheme, token) = authorization?.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Whether `value` is 1..=`max` visible ASCII characters (no spaces or
/// controls): safe to store, compare and echo (request ids, idempotency
/// keys).
pub fn is_visible_ascii(value: &str, max: usize) -> bool {
    (1..=max).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_graphic())
}

/// A request target split into its path and query (without `?` and any
/// `#fragment`).
pub fn split_target(target: &str) -> (&str, &str) {
    let target = target.split('#').next().unwrap_or(target);
    target.split_once('?').unwrap_or((target, ""))
}

/// The first value of parameter `name` in `query` (`a=1&b=2`), decoded
/// (`+` is a space); a name without `=` has the value "". A value that does
/// not decode is `Some("\u{FFFD}")`, so it fails validation instead of
/// being ignored.
pub fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let decoded = |raw: &str| percent_decode(&raw.replace('+', " "));
        (decoded(key).as_deref() == Some(name))
            .then(|| decoded(value).unwrap_or_else(|| "\u{FFFD}".into()))
    })
}

/// Percent-decodes `raw` (a `+` stays a plus, as in paths); `None` for a
/// bad escape or bytes that are not UTF-8.
pub fn percent_decode(raw: &str) -> Option<String> {
    let mut out = Vec::with_capacity(raw.len());
    let mut bytes = raw.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hi = char::from(bytes.next()?).to_digit(16)?;
            let lo = char::from(bytes.next()?).to_digit(16)?;
            out.push((hi * 16 + lo) as u8);
        } else {
            out.push(b);
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_case_insensitive_and_utf8() {
        let headers = vec![
            ("Authorization".to_string(), b"Bearer t".to_vec()),
            ("x-bin".to_string(), vec![0xff]),
        ];
        assert_eq!(header(&headers, "authorization"), Some("Bearer t"));
        assert_eq!(header(&headers, "x-bin"), None);
        assert_eq!(header(&headers, "missing"), None);
    }

    #[test]
    fn bearer_tokens() {
        assert_eq!(bearer(Some("Bearer abc.def")), Some("abc.def"));
        assert_eq!(bearer(Some("Bearer abc.def.ghi")), Some("abc.def.ghi"));
        assert_eq!(bearer(Some("bearer   abc ")), Some("abc"));
        assert_eq!(bearer(Some("Basic dXNlcjpwYXNz")), None);
        assert_eq!(bearer(Some("Bearer")), None);
        assert_eq!(bearer(Some("Bearer ")), None);
        assert_eq!(bearer(Some("abc")), None);
        assert_eq!(bearer(None), None);
    }

    #[test]
    fn visible_ascii() {
        assert!(is_visible_ascii("k-1_~!", 128));
        assert!(is_visible_ascii(&"a".repeat(128), 128));
        for bad in ["", "a b", "tab\t", "é", &"a".repeat(129)] {
            assert!(!is_visible_ascii(bad, 128), "{bad:?}");
        }
    }

    #[test]
    fn targets_and_queries() {
        assert_eq!(split_target("/a/b?x=1#f"), ("/a/b", "x=1"));
        assert_eq!(split_target("/a#f?x"), ("/a", ""));
        let q = "limit=3&scope=a%6Cl&x&plus=a+b";
        assert_eq!(query_param(q, "limit").as_deref(), Some("3"));
        assert_eq!(query_param(q, "scope").as_deref(), Some("all"));
        assert_eq!(query_param(q, "x").as_deref(), Some(""));
        assert_eq!(query_param(q, "plus").as_deref(), Some("a b"));
        assert_eq!(query_param(q, "nope"), None);
        assert_eq!(
            query_param("limit=%zz", "limit").as_deref(),
            Some("\u{FFFD}")
        );
        assert_eq!(
            query_param("limit=1&limit=2", "limit").as_deref(),
            Some("1")
        );
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%20b+c").as_deref(), Some("a b+c"));
        assert_eq!(percent_decode("%C3%A9").as_deref(), Some("é"));
        for bad in ["%", "%4", "%zz", "%ff"] {
            assert_eq!(percent_decode(bad), None, "{bad:?}");
        }
    }
}

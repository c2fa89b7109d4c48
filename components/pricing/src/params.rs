//! Request parameters: the quantity and tenant of a quote, and the query
//! string and path segments they come from.

use crate::errors::ApiError;

/// The largest quantity one quote (and one order line) may ask for.
pub const MAX_QTY: u32 = 1000;
/// Longest accepted tenant name.
pub const MAX_TENANT_CHARS: usize = 64;
/// The tenant of a caller who names none.
pub const DEFAULT_TENANT: &str = "default";

/// The quantity: `None` (no `qty` parameter) is 1; otherwise only ASCII
/// digits (no sign, no spaces, no decimals) with a value in 1..=1000.
/// Anything else is [`ApiError::InvalidQuantity`].
pub fn quantity(raw: Option<&str>) -> Result<u32, ApiError> {
    let Some(raw) = raw else { return Ok(1) };
    if raw.is_empty() || raw.len() > 10 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::InvalidQuantity);
    }
    let qty: u64 = raw.parse().map_err(|_| ApiError::InvalidQuantity)?;
    match u32::try_from(qty) {
        Ok(qty) if check_quantity(qty) => Ok(qty),
        _ => Err(ApiError::InvalidQuantity),
    }
}

/// Whether `qty` is a quantity a quote accepts: 1..=1000.
pub fn check_quantity(qty: u32) -> bool {
    (1..=MAX_QTY).contains(&qty)
}

/// Whether `tenant` is a valid tenant name: 1..=64 of `[a-z0-9_-]` (the
/// account service's rule).
pub fn check_tenant(tenant: &str) -> bool {
    let allowed = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-';
    !tenant.is_empty() && tenant.len() <= MAX_TENANT_CHARS && tenant.bytes().all(allowed)
}

/// The first value of parameter `name` in a query string (`a=1&b=2`),
/// percent-decoded (`+` is a space). A name without `=` has the value "".
/// A value that does not decode to UTF-8 is returned as `Some("\u{FFFD}")`
/// so it fails validation instead of being ignored.
pub fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (decode(key).as_deref() == Some(name))
            .then(|| decode(value).unwrap_or_else(|| "\u{FFFD}".into()))
    })
}

/// Splits a request target into its path and query (without `?` and any
/// `#fragment`).
pub fn split_target(target: &str) -> (&str, &str) {
    let target = target.split_once('#').map_or(target, |(t, _)| t);
    target.split_once('?').unwrap_or((target, ""))
}

/// Percent-decodes `raw` (`+` is a space); `None` for a bad escape or
/// bytes that are not UTF-8.
pub fn decode(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Percent-decodes a path segment (`+` stays a plus).
pub fn decode_segment(raw: &str) -> Option<String> {
    decode(&raw.replace('+', "%2B"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantity_defaults_to_one() {
        assert_eq!(quantity(None), Ok(1));
    }

    #[test]
    fn quantity_accepts_1_to_1000() {
        assert_eq!(quantity(Some("1")), Ok(1));
        assert_eq!(quantity(Some("3")), Ok(3));
        assert_eq!(quantity(Some("007")), Ok(7));
        assert_eq!(quantity(Some("1000")), Ok(1000));
    }

    #[test]
    fn quantity_rejects_zero_negative_non_numeric_and_too_many() {
        for raw in [
            "0",
            "000",
            "-1",
            "-0",
            "+5",
            "1001",
            "4294967296",
            "99999999999999999999",
            "",
            " 3",
            "3 ",
            "abc",
            "3abc",
            "1.5",
            "1e2",
            "0x10",
            "١",
        ] {
            assert_eq!(
                quantity(Some(raw)),
                Err(ApiError::InvalidQuantity),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn tenants_follow_the_account_rules() {
        assert!(check_tenant("default"));
        assert!(check_tenant("acme-1_x"));
        assert!(check_tenant(&"a".repeat(64)));
        for bad in ["", "Acme", "a b", "a/b", "é", &"a".repeat(65)] {
            assert!(!check_tenant(bad), "{bad:?}");
        }
    }

    #[test]
    fn query_params_are_found_and_decoded() {
        let q = "qty=3&tenant=acme%2D1&x&empty=&plus=a+b";
        assert_eq!(query_param(q, "qty").as_deref(), Some("3"));
        assert_eq!(query_param(q, "tenant").as_deref(), Some("acme-1"));
        assert_eq!(query_param(q, "x").as_deref(), Some(""));
        assert_eq!(query_param(q, "empty").as_deref(), Some(""));
        assert_eq!(query_param(q, "plus").as_deref(), Some("a b"));
        assert_eq!(query_param(q, "missing"), None);
        assert_eq!(query_param("qty=1&qty=2", "qty").as_deref(), Some("1"));
        assert_eq!(query_param("", "qty"), None);
        assert_eq!(query_param("qty=%zz", "qty").as_deref(), Some("\u{FFFD}"));
        assert_eq!(query_param("q%74y=4", "qty").as_deref(), Some("4"));
    }

    #[test]
    fn targets_split_into_path_and_query() {
        assert_eq!(split_target("/a/b?x=1#f"), ("/a/b", "x=1"));
        assert_eq!(split_target("/a/b#f?x"), ("/a/b", ""));
        assert_eq!(split_target("/a"), ("/a", ""));
    }

    #[test]
    fn decoding() {
        assert_eq!(decode("a%20b").as_deref(), Some("a b"));
        assert_eq!(decode("%"), None);
        assert_eq!(decode("%4"), None);
        assert_eq!(decode("%ff"), None, "not UTF-8");
        assert_eq!(decode("%C3%A9").as_deref(), Some("é"));
        assert_eq!(decode_segment("a+b%2F").as_deref(), Some("a+b/"));
    }
}

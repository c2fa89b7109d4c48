//! Header hygiene at the trust boundary: hop-by-hop headers never cross the
//! gateway, clients cannot forge `x-sluice-*` identity headers or
//! `x-forwarded-*`, and upstreams learn who the client was.

use http::HeaderMap;
use http::header::{
    CONNECTION, EXPECT, HOST, HeaderName, HeaderValue, PROXY_AUTHENTICATE, PROXY_AUTHORIZATION, TE,
    TRAILER, TRANSFER_ENCODING, UPGRADE,
};
use std::net::{IpAddr, SocketAddr};

/// Prefix of headers only the gateway may set.
pub const RESERVED_PREFIX: &str = "x-sluice-";

pub const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
pub const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
pub const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");

/// Headers meaningful for one connection only (RFC 9110 §7.6.1), plus the
/// non-standard ones still seen in the wild.
const HOP_BY_HOP: [HeaderName; 9] = [
    CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    PROXY_AUTHENTICATE,
    PROXY_AUTHORIZATION,
    TE,
    TRAILER,
    TRANSFER_ENCODING,
    UPGRADE,
];

/// Removes the hop-by-hop headers and every header `Connection` names.
pub fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in named.iter().chain(&HOP_BY_HOP) {
        headers.remove(name);
    }
}

/// Removes every `x-sluice-*` header.
pub fn strip_reserved(headers: &mut HeaderMap) {
    let reserved: Vec<HeaderName> = headers
        .keys()
        .filter(|name| name.as_str().starts_with(RESERVED_PREFIX))
        .cloned()
        .collect();
    for name in reserved {
        headers.remove(name);
    }
}

/// Turns a client's request headers into the headers sent upstream:
/// hop-by-hop and reserved headers go, `Expect` goes (the gateway already
/// answered it), `Host` goes (each attempt names its upstream with
/// [`set_host`]), and the `x-forwarded-*` headers describe the client,
/// replacing whatever the client claimed.
pub fn prepare_upstream_request(headers: &mut HeaderMap, client_ip: IpAddr) {
    strip_hop_by_hop(headers);
    strip_reserved(headers);
    headers.remove(EXPECT);
    let original_host = headers.remove(HOST);
    headers.remove(X_FORWARDED_HOST);
    if let Some(host) = original_host {
        headers.insert(X_FORWARDED_HOST, host);
    }
    headers.insert(X_FORWARDED_FOR, header_value(client_ip));
    headers.insert(X_FORWARDED_PROTO, HeaderValue::from_static("http"));
}

/// Sets `Host` to the upstream an attempt goes to.
pub fn set_host(headers: &mut HeaderMap, upstream: SocketAddr) {
    headers.insert(HOST, header_value(upstream));
}

fn header_value(value: impl ToString) -> HeaderValue {
    HeaderValue::from_str(&value.to_string()).expect("an address is a valid header value")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| {
                (
                    HeaderName::from_bytes(name.as_bytes()).unwrap(),
                    HeaderValue::from_str(value).unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn strips_hop_by_hop_and_connection_named_headers() {
        let mut map = headers(&[
            ("connection", "keep-alive, X-Secret"),
            ("keep-alive", "timeout=5"),
            ("x-secret", "1"),
            ("te", "trailers"),
            ("transfer-encoding", "chunked"),
            ("content-type", "text/plain"),
        ]);
        strip_hop_by_hop(&mut map);
        assert_eq!(map.len(), 1);
        assert!(map.contains_key("content-type"));
    }

    #[test]
    fn prepares_upstream_headers() {
        let mut map = headers(&[
            ("host", "shop.example"),
            ("x-forwarded-for", "6.6.6.6"),
            ("x-forwarded-host", "evil.example"),
            ("x-sluice-user", "admin"),
            ("X-Sluice-Role", "admin"),
            ("x-sluicey", "kept"),
            ("expect", "100-continue"),
        ]);
        let upstream: SocketAddr = "127.0.0.1:8081".parse().unwrap();
        prepare_upstream_request(&mut map, "10.0.0.7".parse().unwrap());
        assert!(!map.contains_key("host"));
        set_host(&mut map, upstream);
        assert_eq!(map["x-forwarded-for"], "10.0.0.7");
        assert_eq!(map.get_all("x-forwarded-for").iter().count(), 1);
        assert_eq!(map["x-forwarded-host"], "shop.example");
        assert_eq!(map["host"], "127.0.0.1:8081");
        assert_eq!(map["x-sluicey"], "kept");
        assert!(!map.contains_key("x-sluice-user"));
        assert!(!map.contains_key("x-sluice-role"));
        assert!(!map.contains_key("expect"));
    }
}

//! `GET /openapi.yaml`: the HTTP contract of the platform behind the
//! gateway (the repository's openapi.yaml, built into the binary), so a
//! client or an API fuzzer reads the contract of the version it talks to.

use crate::body::{GatewayBody, text_response};
use http::{Method, Response};

pub(crate) const PATH: &str = "/openapi.yaml";

/// The contract, as the repository holds it.
pub const OPENAPI_YAML: &str = include_str!("../../openapi.yaml");

/// Whether the gateway answers this request with the contract.
pub(crate) fn is_contract(method: &Method, path: &str) -> bool {
    path == PATH && (method == Method::GET || method == Method::HEAD)
}

pub(crate) fn response() -> Response<GatewayBody> {
    text_response(OPENAPI_YAML.to_owned(), "application/yaml; charset=utf-8")
}

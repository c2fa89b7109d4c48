//! A minimal WASIp3 HTTP component, used to test and measure the host's
//! front door (`sluice run`) against `wasmtime serve` on the same bytes.
//! `GET /` answers `hello`; `GET /trap` traps (a panic), so tests can check
//! that one failing request does not take the server down.

#![cfg(target_arch = "wasm32")]

wit_bindgen::generate!({
    inline: "
        package sluice:hello;
        world hello {
            export wasi:http/handler@0.3.0;
        }
    ",
    path: "../../wit",
    world: "sluice:hello/hello",
    generate_all,
});

use exports::wasi::http::handler::Guest;
use wasi::http::types::{ErrorCode, Fields, Request, Response};

struct Hello;

impl Guest for Hello {
    async fn handle(request: Request) -> Result<Response, ErrorCode> {
        if request.get_path_with_query().as_deref() == Some("/trap") {
            panic!("trap requested");
        }
        let headers = Fields::from_list(&[("content-type".into(), b"text/plain".to_vec())])
            .map_err(|e| ErrorCode::InternalError(Some(format!("{e:?}"))))?;
        let (mut body_tx, body_rx) = wit_stream::new();
        let (_trailers_tx, trailers_rx) = wit_future::new(|| Ok(None));
        let (response, _sent) = Response::new(headers, Some(body_rx), trailers_rx);
        wit_bindgen::spawn_local(async move {
            let rest = body_tx.write_all(b"hello\n".to_vec()).await;
            debug_assert!(rest.is_empty());
        });
        Ok(response)
    }
}

export!(Hello);

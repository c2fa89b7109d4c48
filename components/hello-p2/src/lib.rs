//! A minimal WASIp2 HTTP component (`wasi:http/proxy`): `GET /` answers
//! `hello`. It shows that `sluice run` serves p2 components as well as p3.

#![cfg(target_arch = "wasm32")]

use wasip2::exports::http::incoming_handler::Guest;
use wasip2::http::types::{
    Fields, IncomingRequest, OutgoingBody, OutgoingResponse, ResponseOutparam,
};

struct Hello;

impl Guest for Hello {
    fn handle(_request: IncomingRequest, out: ResponseOutparam) {
        let headers = Fields::from_list(&[("content-type".into(), b"text/plain".to_vec())])
            .expect("a valid header");
        let response = OutgoingResponse::new(headers);
        let body = response.body().expect("the body of a new response");
        ResponseOutparam::set(out, Ok(response));
        let stream = body.write().expect("the body's stream");
        stream
            .blocking_write_and_flush(b"hello from p2\n")
            .expect("writing the body");
        drop(stream);
        OutgoingBody::finish(body, None).expect("finishing the body");
    }
}

wasip2::http::proxy::export!(Hello);

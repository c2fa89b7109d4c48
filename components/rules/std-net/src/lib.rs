//! A test tenant pricing rule (world `sluice:platform/pricing-rule`), std
//! Rust for wasm32-wasip2 with wit-bindgen, that tries to open a TCP
//! connection (`127.0.0.1:9`) and answers Err with the error when it fails.
//! Using `std::net` makes the component import `wasi:sockets`, which the
//! pricing-rule sandbox does not link: the host must refuse this rule at
//! upload (422, naming the import), so `apply` should never run.

#[cfg(target_arch = "wasm32")]
mod component {
    use std::net::TcpStream;

    wit_bindgen::generate!({ path: "../../../wit", world: "sluice:platform/pricing-rule" });

    use exports::sluice::platform::rule::{Guest, Input, Output};

    struct Net;

    impl Guest for Net {
        fn apply(input: Input) -> Result<Output, String> {
            match TcpStream::connect("127.0.0.1:9") {
                Ok(_) => Ok(Output {
                    unit_price: input.unit_price,
                    reason: "connected to 127.0.0.1:9".to_string(),
                }),
                Err(e) => Err(format!("connect 127.0.0.1:9: {e}")),
            }
        }
    }

    export!(Net);
}

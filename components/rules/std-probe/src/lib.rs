//! A test tenant pricing rule (world `sluice:platform/pricing-rule`) built
//! the ordinary way: std Rust for wasm32-wasip2 with wit-bindgen, not
//! `rule-kit`. std links parts of WASI p2 in (cli, io, clocks, random; see
//! the host's rule sandbox), which is what it probes. By `input.sku`:
//!
//! - `CLOCK`: Ok, price unchanged, reason `wall=S mono=N random=R`: seconds
//!   since the Unix epoch (`SystemTime`), nanoseconds between two
//!   `Instant::now()` calls, and a hash keyed by `RandomState` (std keys it
//!   from wasi:random/insecure-seed, once per instance). The host fixes the
//!   clocks at the epoch and the seed, and runs each call in a fresh store,
//!   so two runs answer the same, with `wall=0 mono=0`.
//! - `PRINT`: prints 1 MiB to stdout, 1024 lines of 1 KiB with the newline
//!   (7.4 million fuel of the 11 million budget; 16384 lines of 64 bytes
//!   take 23 million), and a line to stderr, then answers Ok with the price
//!   less 1 and reason `printed`: the host caps the log, never failing.
//! - anything else: the loyalty-tier rule of the `sluice rule new` template
//!   (customer `tier` gold: 10% off, silver: 5% off, half up).

#[cfg(target_arch = "wasm32")]
mod component {
    use std::collections::hash_map::RandomState;
    use std::hash::BuildHasher;
    use std::time::{Instant, SystemTime, UNIX_EPOCH};

    wit_bindgen::generate!({ path: "../../../wit", world: "sluice:platform/pricing-rule" });

    use exports::sluice::platform::rule::{Guest, Input, Output};

    struct Probe;

    impl Guest for Probe {
        fn apply(input: Input) -> Result<Output, String> {
            let (unit_price, reason) = match input.sku.as_str() {
                "CLOCK" => (input.unit_price, clock()?),
                "PRINT" => {
                    let line = "x".repeat(1023);
                    for _ in 0..1024 {
                        println!("{line}");
                    }
                    eprintln!("std-rule-probe: printed 1 MiB to stdout");
                    (input.unit_price - 1, "printed".to_string())
                }
                _ => tier(&input),
            };
            Ok(Output { unit_price, reason })
        }
    }

    /// What the clocks and std's randomness say.
    fn clock() -> Result<String, String> {
        let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH);
        let wall = since_epoch
            .map_err(|e| format!("wall clock: {e}"))?
            .as_secs();
        let start = Instant::now();
        let mono = Instant::now().duration_since(start).as_nanos();
        let random = RandomState::new().hash_one(0x5eed_u64);
        Ok(format!("wall={wall} mono={mono} random={random}"))
    }

    /// Gold customers get 10% off, silver 5%, rounded half up.
    fn tier(input: &Input) -> (i64, String) {
        let tier = input.customer.iter().find(|(k, _)| k == "tier");
        let (name, pct) = match tier.map(|(_, v)| v.as_str()) {
            Some(t @ "gold") => (t, 10),
            Some(t @ "silver") => (t, 5),
            _ => return (input.unit_price, "no tier discount".to_string()),
        };
        let scaled = i128::from(input.unit_price) * (100 - pct) + 50;
        let price = i64::try_from(scaled.div_euclid(100)).unwrap_or(input.unit_price);
        (price, format!("tier {name}: {pct}% off"))
    }

    export!(Probe);
}

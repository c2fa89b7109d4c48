//! A sluice tenant pricing rule (world `pricing-rule`, see `wit/rule.wit`):
//! a loyalty tier discount. A customer whose `tier` attribute is `gold` gets
//! 10% off the unit price, `silver` 5%, rounded half up to the minor unit;
//! anyone else pays the price unchanged.
//!
//! Build, check, try and upload it:
//!
//! ```sh
//! rustup target add wasm32-wasip2            # once
//! cargo build --release --target wasm32-wasip2
//! sluice rule check target/wasm32-wasip2/release/{{name}}.wasm
//! sluice rule test target/wasm32-wasip2/release/{{name}}.wasm --input quote.json
//! curl -XPUT https://SLUICE/admin/tenants/{tenant}/pricing-rule \
//!      -H "authorization: Bearer $TOKEN" \
//!      --data-binary @target/wasm32-wasip2/release/{{name}}.wasm
//! ```
//!
//! (Cargo writes the file with any `-` of the package name as `_`.)
//!
//! The host runs the rule sandboxed: an instruction budget, a memory cap and
//! a deadline; clocks stand at the Unix epoch, randomness comes from a fixed
//! seed, there are no files and no network, and what it prints goes to a
//! short log. Keep it a pure function of its input.

wit_bindgen::generate!({ path: "wit", world: "pricing-rule" });

use exports::sluice::platform::rule::{Guest, Input, Output};

struct TierRule;

impl Guest for TierRule {
    fn apply(input: Input) -> Result<Output, String> {
        let tier = input.customer.iter().find(|(key, _)| key == "tier");
        let (name, percent) = match tier.map(|(_, value)| value.as_str()) {
            Some(name @ "gold") => (name, 10),
            Some(name @ "silver") => (name, 5),
            _ => {
                return Ok(Output {
                    unit_price: input.unit_price,
                    reason: "no tier discount".to_string(),
                });
            }
        };
        Ok(Output {
            unit_price: percent_off(input.unit_price, percent),
            reason: format!("tier {name}: {percent}% off"),
        })
    }
}

/// `unit_price` (minor units) less `percent` per cent, rounded half up:
/// 1990 less 5% is 1890.5, so 1891.
fn percent_off(unit_price: i64, percent: i64) -> i64 {
    let scaled = i128::from(unit_price) * i128::from(100 - percent) + 50;
    i64::try_from(scaled.div_euclid(100)).unwrap_or(unit_price)
}

export!(TierRule);

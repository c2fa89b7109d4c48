//! Fault injection for linked calls, after Envoy's fault filter: a fixed
//! delay before every call, and a share of calls failed outright (as the
//! callee's `unavailable` error), both per callee service, optionally only
//! for some callers (Envoy's `downstream_nodes`) and some functions (e.g.
//! only `stock.confirm`, to hold an order between reserve and confirm).

use serde::Deserialize;
use std::time::Duration;

/// `[services.NAME.faults]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LinkFaults {
    /// Added before every call into the service, in milliseconds.
    pub delay_ms: u64,
    /// Share of calls failed without reaching the service, 0.0..=1.0.
    pub error_rate: f64,
    /// Only calls from these services (e.g. `["order"]`); empty: from all.
    pub callers: Vec<String>,
    /// Only calls of these functions (e.g. `["stock.confirm"]`); empty: all.
    pub functions: Vec<String>,
}

impl LinkFaults {
    /// Rejects an error rate outside 0.0..=1.0.
    pub fn validate(&self) -> Result<(), String> {
        if (0.0..=1.0).contains(&self.error_rate) {
            Ok(())
        } else {
            Err(format!(
                "faults.error_rate must be within 0.0..=1.0, not {}",
                self.error_rate
            ))
        }
    }

    /// These faults for calls from `caller`: none unless it is a listed
    /// caller (or none are listed).
    pub fn for_caller(&self, caller: &str) -> LinkFaults {
        if self.callers.is_empty() || self.callers.iter().any(|c| c == caller) {
            self.clone()
        } else {
            LinkFaults::default()
        }
    }

    /// Waits the configured delay, then fails the call with the configured
    /// probability (`Err` carries the message for the callee's error), if
    /// `function` (`interface.function`) is one the faults apply to.
    pub async fn inject(&self, service: &str, function: &str) -> Result<(), String> {
        if !self.functions.is_empty() && !self.functions.iter().any(|f| f == function) {
            return Ok(());
        }
        if self.delay_ms > 0 {
            tokio::time::sleep(Duration::from_millis(self.delay_ms)).await;
        }
        if self.error_rate > 0.0 && rand::random::<f64>() < self.error_rate {
            return Err(format!("fault injected into calls to {service}"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn delay_then_error_rate() {
        let none = LinkFaults::default();
        assert_eq!(none.inject("catalog", "stock.check").await, Ok(()));

        let always = LinkFaults {
            delay_ms: 30,
            error_rate: 1.0,
            ..LinkFaults::default()
        };
        let start = std::time::Instant::now();
        let error = always.inject("catalog", "stock.check").await.unwrap_err();
        assert!(start.elapsed() >= Duration::from_millis(30));
        assert!(error.contains("catalog"), "{error}");
        assert!(always.validate().is_ok());
        let bad = LinkFaults {
            error_rate: 1.5,
            ..LinkFaults::default()
        };
        assert!(bad.validate().unwrap_err().contains("error_rate"));
    }

    #[test]
    fn parses_from_toml() {
        let faults: LinkFaults = toml::from_str("delay_ms = 5\nerror_rate = 0.25").unwrap();
        assert_eq!(faults.delay_ms, 5);
        assert_eq!(faults.error_rate, 0.25);
        assert_eq!(faults.for_caller("pricing"), faults, "every caller");
    }

    #[test]
    fn only_for_the_listed_callers() {
        let faults: LinkFaults = toml::from_str("delay_ms = 5\ncallers = [\"order\"]").unwrap();
        assert_eq!(faults.for_caller("order").delay_ms, 5);
        assert_eq!(faults.for_caller("pricing"), LinkFaults::default());
    }

    #[tokio::test]
    async fn only_for_the_listed_functions() {
        let faults: LinkFaults =
            toml::from_str("error_rate = 1.0\nfunctions = [\"stock.confirm\"]").unwrap();
        assert!(faults.inject("catalog", "stock.confirm").await.is_err());
        assert_eq!(faults.inject("catalog", "stock.reserve").await, Ok(()));
    }
}

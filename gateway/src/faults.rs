//! Fault injection for resilience testing: a route's `faults` delay a share
//! of its requests and abort another share with a chosen status, before any
//! upstream is chosen. Routes without `faults` (the default) skip this.

use crate::config::FaultConfig;
use crate::errors::GatewayError;
use http::StatusCode;

/// Applies `faults` to one request: sleeps if it drew a delay, fails if it
/// drew an abort.
pub(crate) async fn inject(faults: &FaultConfig) -> Result<(), GatewayError> {
    if drawn(faults.delay_percent) && !faults.delay.is_zero() {
        tokio::time::sleep(faults.delay).await;
    }
    if drawn(faults.abort_percent) {
        let status =
            StatusCode::from_u16(faults.abort_status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        return Err(GatewayError::FaultInjected { status });
    }
    Ok(())
}

/// True for `percent` % of calls.
fn drawn(percent: f64) -> bool {
    percent > 0.0 && rand::random::<f64>() * 100.0 < percent
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn aborts_and_delays_the_configured_share() {
        let always = FaultConfig {
            delay: Duration::from_millis(20),
            delay_percent: 100.0,
            abort_status: 418,
            abort_percent: 100.0,
        };
        let started = tokio::time::Instant::now();
        let error = inject(&always).await.unwrap_err();
        assert!(started.elapsed() >= Duration::from_millis(20));
        assert_eq!(error.status(), 418);
        assert_eq!(error.code(), "fault_injected");
        assert!(inject(&FaultConfig::default()).await.is_ok());
        let half = FaultConfig {
            abort_status: 503,
            abort_percent: 50.0,
            ..FaultConfig::default()
        };
        let mut aborted = 0;
        for _ in 0..1000 {
            aborted += usize::from(inject(&half).await.is_err());
        }
        assert!((350..650).contains(&aborted), "{aborted}");
    }
}

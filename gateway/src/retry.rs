//! Retries: only for idempotent methods, only after failures that say
//! nothing about the request itself (connection failure, 502/503/504), and
//! only within a budget: every request deposits `budget_ratio` of a retry,
//! each retry withdraws one, plus `min_retries_per_sec` free each second.
//! So a failing upstream sees at most ~`budget_ratio` extra load instead of
//! a retry storm.

use crate::config::RetryConfig;
use http::{Method, StatusCode};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Whether a method may be sent twice with the effect of once.
pub(crate) fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
    )
}

/// Whether an upstream status is worth another instance's try.
pub(crate) fn is_retryable_status(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::BAD_GATEWAY | StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT
    )
}

/// Most retries banked at once (so a quiet hour does not fund a storm).
const MAX_BALANCE: f64 = 100.0;
/// The balance is kept in thousandths of a retry.
const MILLI: u64 = 1000;

pub(crate) struct RetryBudget {
    /// Thousandths of a retry each request deposits.
    deposit_milli: u64,
    /// Banked thousandths of a retry (lock-free: every request deposits).
    balance_milli: AtomicU64,
    min_per_sec: u32,
    /// The free retries of the current second (only retries lock it).
    free: Mutex<FreeWindow>,
}

struct FreeWindow {
    start: Instant,
    used: u32,
}

impl RetryBudget {
    pub(crate) fn new(config: &RetryConfig) -> Self {
        let ratio = config.budget_ratio.clamp(0.0, MAX_BALANCE);
        RetryBudget {
            deposit_milli: (ratio * MILLI as f64).round() as u64,
            balance_milli: AtomicU64::new(0),
            min_per_sec: config.min_retries_per_sec,
            free: Mutex::new(FreeWindow {
                start: Instant::now(),
                used: 0,
            }),
        }
    }

    /// A request came in (call once per request, not per attempt).
    pub(crate) fn deposit(&self) {
        if self.deposit_milli == 0 {
            return;
        }
        let cap = MAX_BALANCE as u64 * MILLI;
        let _ = self
            .balance_milli
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |balance| {
                (balance < cap).then(|| (balance + self.deposit_milli).min(cap))
            });
    }

    /// Takes one retry from the budget if it has one.
    pub(crate) fn try_withdraw(&self) -> bool {
        {
            let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
            if free.start.elapsed() >= Duration::from_secs(1) {
                free.start = Instant::now();
                free.used = 0;
            }
            if free.used < self.min_per_sec {
                free.used += 1;
                return true;
            }
        }
        self.balance_milli
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |balance| {
                balance.checked_sub(MILLI)
            })
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_idempotent_methods_and_gateway_statuses() {
        assert!(is_idempotent(&Method::GET) && is_idempotent(&Method::PUT));
        assert!(!is_idempotent(&Method::POST) && !is_idempotent(&Method::PATCH));
        assert!(is_retryable_status(StatusCode::SERVICE_UNAVAILABLE));
        assert!(!is_retryable_status(StatusCode::INTERNAL_SERVER_ERROR));
        assert!(!is_retryable_status(StatusCode::NOT_FOUND));
    }

    #[test]
    fn budget_follows_traffic() {
        let budget = RetryBudget::new(&RetryConfig {
            budget_ratio: 0.5,
            min_retries_per_sec: 1,
        });
        assert!(budget.try_withdraw(), "the free retry of this second");
        assert!(!budget.try_withdraw());
        for _ in 0..4 {
            budget.deposit();
        }
        assert!(budget.try_withdraw() && budget.try_withdraw());
        assert!(!budget.try_withdraw(), "four requests fund two retries");
    }
}

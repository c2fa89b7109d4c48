//! The service's settings (`[services.order.settings]`, read through the
//! host's `config`). Anything unusable means the default: a typo must not
//! make housekeeping settle orders that are still being placed.

use crate::idempotency::ABANDONED_AFTER_MS;
use crate::ports::Settings;
use std::ops::RangeInclusive;

/// Milliseconds after which a pending order counts as abandoned: its
/// request died or stalled, so housekeeping settles it and a request with
/// the same idempotency key takes it over.
pub const ABANDONED_AFTER: &str = "abandoned_after_ms";
/// Usable values of [`ABANDONED_AFTER`]: one second to one day.
pub const ABANDONED_AFTER_RANGE: RangeInclusive<i64> = 1_000..=86_400_000;

/// The `abandoned_after_ms` setting, or [`ABANDONED_AFTER_MS`] when it is
/// unset, not a whole number or outside [`ABANDONED_AFTER_RANGE`].
pub fn abandoned_after_ms(host: &impl Settings) -> i64 {
    host.setting(ABANDONED_AFTER)
        .and_then(|v| v.trim().parse::<i64>().ok())
        .filter(|ms| ABANDONED_AFTER_RANGE.contains(ms))
        .unwrap_or(ABANDONED_AFTER_MS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_kit::testing::TestHost;

    #[test]
    fn abandoned_after_is_the_setting_in_range_else_the_default() {
        let host = TestHost::new(&[]);
        assert_eq!(abandoned_after_ms(&host), 60_000);
        for (raw, want) in [
            ("5000", 5_000),
            (" 1000 ", 1_000),
            ("86400000", 86_400_000),
            ("999", 60_000),
            ("86400001", 60_000),
            ("-5", 60_000),
            ("1.5", 60_000),
            ("soon", 60_000),
            ("", 60_000),
        ] {
            host.set(ABANDONED_AFTER, raw);
            assert_eq!(abandoned_after_ms(&host), want, "{raw:?}");
        }
    }
}

//! Times in the APIs: milliseconds since the Unix epoch inside, RFC 3339
//! UTC (`Z`) outside, written by hand so no component needs a date crate
//! to print one.

/// `ms` since the Unix epoch in RFC 3339 UTC, always to the millisecond,
/// e.g. `2023-11-14T22:13:20.250Z`: fixed width, so later times also sort
/// later as strings (from year 0 to 9999; outside, the number of ms).
pub fn rfc3339_millis(ms: i64) -> String {
    format(ms, true)
}

/// `ms` since the Unix epoch in RFC 3339 UTC, with milliseconds only when
/// they are not zero, e.g. `2030-01-01T12:00:00Z` or
/// `2030-01-01T12:00:00.250Z` (from year 0 to 9999; outside, the number of
/// ms).
pub fn rfc3339(ms: i64) -> String {
    format(ms, false)
}

/// [`rfc3339_millis`] if `always_millis`, else [`rfc3339`].
fn format(ms: i64, always_millis: bool) -> String {
    // 0000-01-01 and 9999-12-31T23:59:59.999, in ms since the epoch.
    const MIN: i64 = -62_167_219_200_000;
    const MAX: i64 = 253_402_300_799_999;
    if !(MIN..=MAX).contains(&ms) {
        return ms.to_string();
    }
    let (days, ms_of_day) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let (year, month, day) = civil_from_days(days);
    let (secs, millis) = (ms_of_day / 1000, ms_of_day % 1000);
    let mut out = format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    );
    if always_millis || millis != 0 {
        out.push_str(&format!(".{millis:03}"));
    }
    out.push('Z');
    out
}

/// The proleptic Gregorian (year, month, day) of `days` since 1970-01-01
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_utc_to_the_millisecond() {
        assert_eq!(rfc3339_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            rfc3339_millis(1_700_000_000_000),
            "2023-11-14T22:13:20.000Z"
        );
        assert_eq!(
            rfc3339_millis(1_700_000_000_250),
            "2023-11-14T22:13:20.250Z"
        );
        assert_eq!(
            rfc3339_millis(1_700_000_000_007),
            "2023-11-14T22:13:20.007Z"
        );
        assert_eq!(rfc3339_millis(951_782_400_007), "2000-02-29T00:00:00.007Z");
        assert_eq!(
            rfc3339_millis(4_107_542_399_999),
            "2100-02-28T23:59:59.999Z"
        );
        assert_eq!(rfc3339_millis(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(
            rfc3339_millis(253_402_300_799_999),
            "9999-12-31T23:59:59.999Z"
        );
        assert_eq!(
            rfc3339_millis(-62_167_219_200_000),
            "0000-01-01T00:00:00.000Z"
        );
        assert_eq!(rfc3339_millis(i64::MAX), i64::MAX.to_string());
    }

    #[test]
    fn times_are_rfc3339_utc_with_millis_when_needed() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_893_499_200_000), "2030-01-01T12:00:00Z");
        assert_eq!(rfc3339(1_893_499_200_250), "2030-01-01T12:00:00.250Z");
        assert_eq!(rfc3339(1_893_499_200_007), "2030-01-01T12:00:00.007Z");
    }
}

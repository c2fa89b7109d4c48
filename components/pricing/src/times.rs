//! RFC 3339 times in the API, milliseconds since the Unix epoch inside.
//! Input may carry any UTC offset; output is always UTC (`Z`), with
//! milliseconds only when they are not zero
//! ([`sluice_kit::times::rfc3339`]).

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Milliseconds since the Unix epoch for an RFC 3339 time such as
/// `2030-01-01T12:00:00Z` or `2030-01-01T13:00:00.250+01:00`, or `None` if
/// it is not one. Sub-millisecond digits are dropped (truncated).
pub fn parse_ms(text: &str) -> Option<i64> {
    let at = OffsetDateTime::parse(text, &Rfc3339).ok()?;
    i64::try_from(at.unix_timestamp_nanos().div_euclid(1_000_000)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_kit::times::rfc3339;

    #[test]
    fn parses_utc_and_offsets() {
        assert_eq!(parse_ms("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_ms("2030-01-01T12:00:00Z"), Some(1_893_499_200_000));
        assert_eq!(
            parse_ms("2030-01-01T13:00:00+01:00"),
            Some(1_893_499_200_000)
        );
        assert_eq!(
            parse_ms("2030-01-01T12:00:00.250Z"),
            Some(1_893_499_200_250)
        );
        assert_eq!(
            parse_ms("2030-01-01T12:00:00.2509Z"),
            Some(1_893_499_200_250)
        );
        assert_eq!(parse_ms("2030-01-01t12:00:00z"), Some(1_893_499_200_000));
    }

    #[test]
    fn rejects_what_is_not_rfc_3339() {
        for bad in [
            "",
            "2030-01-01",
            "2030-01-01 12:00:00",
            "2030-01-01T12:00:00",
            "2030-13-01T12:00:00Z",
            "2030-02-30T12:00:00Z",
            "tomorrow",
            "1893499200000",
        ] {
            assert_eq!(parse_ms(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn round_trips() {
        for ms in [
            0,
            1,
            999,
            1_700_000_000_000,
            1_893_499_200_250,
            4_102_444_800_000,
        ] {
            assert_eq!(parse_ms(&rfc3339(ms)), Some(ms), "{ms}");
        }
    }
}

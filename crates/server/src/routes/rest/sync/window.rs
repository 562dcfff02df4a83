//! The time window of a replication request (`start` and `end`), with Salesforce's rules: both bounds are
//! UTC datetimes with an offset, seconds ignored; `end` at least a minute after `start`; `start` no more
//! than 30 days back and not in the future. What is covered ends at `end` or at the current minute,
//! whichever comes first: a minute still under way is never reported as covered, so a client that starts
//! its next call at `latestDateCovered` misses nothing.

use bulkforce_core::ApiError;
use chrono::{DateTime, FixedOffset, TimeDelta, Timelike, Utc};

/// How far back both `updated` and `deleted` answer. Salesforce documents 30 days for `updated` and 15
/// (the recycle bin) for `deleted`, yet integrators see refusals only past 30 days for both.
pub const LOOK_BACK_DAYS: i64 = 30;

/// The error code of every window problem.
const INVALID_DATE: &str = "INVALID_REPLICATION_DATE";

/// The minutes a replication call answers for: records stamped at or after `start` and before `covered_end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// The requested start, to the minute.
    pub start: DateTime<Utc>,
    /// `latestDateCovered`: the requested end to the minute, or the current minute if earlier (never
    /// before `start`).
    pub covered_end: DateTime<Utc>,
    /// The oldest minute the server answers for: the current minute less [`LOOK_BACK_DAYS`].
    pub floor: DateTime<Utc>,
}

/// Reads `start` and `end` from the (still encoded) query string and applies the rules at `now`.
pub fn window(uri_query: &str, now: DateTime<Utc>) -> Result<Window, ApiError> {
    let start = to_minute(bound(uri_query, "start")?);
    let end = to_minute(bound(uri_query, "end")?);
    if end <= start {
        // Salesforce's own wording, which reads the wrong way round.
        return Err(invalid(
            "startDate must be at least one minute greater than endDate",
        ));
    }
    let current_minute = to_minute(now);
    if start > current_minute {
        return Err(invalid("startDate cannot be later than the current time"));
    }
    let floor = current_minute
        .checked_sub_signed(TimeDelta::days(LOOK_BACK_DAYS))
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    if start < floor {
        return Err(invalid("startDate before org replication enabled date"));
    }
    Ok(Window {
        start,
        covered_end: end.min(current_minute),
        floor,
    })
}

/// One required bound, parsed.
fn bound(uri_query: &str, name: &str) -> Result<DateTime<Utc>, ApiError> {
    let text = crate::wire::query_param(uri_query, name)
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| {
            ApiError::new(
                400,
                "MISSING_ARGUMENT",
                format!("Missing required parameter: {name}"),
            )
        })?;
    parse_bound(&text).ok_or_else(|| {
        invalid(format!(
            "Unable to parse {name} date: '{text}'. Expected a UTC date and time with an offset, \
             such as 2027-01-01T00:00:00+00:00"
        ))
    })
}

/// `yyyy-MM-ddTHH:mm:ss[.SSS]` followed by `Z`, `±HH:MM` or `±HHMM`. A `+` sent unencoded in a query string
/// arrives as a space (form decoding), so a space is read back as the `+` it was.
fn parse_bound(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim().replace(' ', "+");
    DateTime::parse_from_rfc3339(&text)
        .or_else(|_| DateTime::<FixedOffset>::parse_from_str(&text, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// Seconds and fractions dropped: Salesforce ignores them (12:30:15 is 12:30:00).
pub fn to_minute(t: DateTime<Utc>) -> DateTime<Utc> {
    t.with_second(0)
        .and_then(|t| t.with_nanosecond(0))
        .expect("second 0 and nanosecond 0 exist in every minute")
}

/// A datetime as the replication answers write it: `2013-05-07T22:07:19.000+0000`.
pub fn rest_datetime(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string()
}

/// A datetime as a SOQL literal (window bounds are whole minutes, so no fraction is lost).
pub fn soql_datetime(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(400, INVALID_DATE, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn query(start: &str, end: &str) -> String {
        let encode = |v: &str| form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
        format!("start={}&end={}", encode(start), encode(end))
    }

    #[test]
    fn every_offset_form_parses_and_seconds_are_dropped() {
        let now = at("2027-01-10T12:00:30Z");
        for (start, expected) in [
            ("2027-01-05T10:30:15+00:00", "2027-01-05T10:30:00Z"),
            ("2027-01-05T10:30:59.999Z", "2027-01-05T10:30:00Z"),
            ("2027-01-05T12:30:00+02:00", "2027-01-05T10:30:00Z"),
            ("2027-01-05T12:30:00+0200", "2027-01-05T10:30:00Z"),
            ("2027-01-05T05:30:00.250-05:00", "2027-01-05T10:30:00Z"),
        ] {
            let w = window(&query(start, "2027-01-06T00:00:00Z"), now).unwrap();
            assert_eq!(w.start, at(expected), "{start}");
        }
        // An unencoded `+` arrives as a space.
        let w = window(
            "start=2027-01-05T10:30:00+00:00&end=2027-01-06T00:00:00+00:00",
            now,
        )
        .unwrap();
        assert_eq!(w.start, at("2027-01-05T10:30:00Z"));
        assert_eq!(w.covered_end, at("2027-01-06T00:00:00Z"));
        assert_eq!(w.floor, at("2026-12-11T12:00:00Z"));
    }

    #[test]
    fn the_covered_end_stops_at_the_current_minute() {
        let now = at("2027-01-10T12:00:30Z");
        let w = window(&query("2027-01-10T11:00:00Z", "2027-01-11T00:00:00Z"), now).unwrap();
        assert_eq!(w.covered_end, at("2027-01-10T12:00:00Z"));
        // A start in the current minute covers nothing yet.
        let w = window(&query("2027-01-10T12:00:00Z", "2027-01-10T12:05:00Z"), now).unwrap();
        assert_eq!((w.start, w.covered_end), (w.start, w.start));
    }

    #[test]
    fn bad_windows_are_refused_with_salesforces_codes() {
        let now = at("2027-01-10T12:00:00Z");
        let refused = |q: &str| window(q, now).unwrap_err();
        let e = refused(&query("2027-01-05T10:30:00Z", "2027-01-05T10:30:45Z"));
        assert_eq!(
            (e.status, e.error_code.as_str(), e.message.as_str()),
            (
                400,
                INVALID_DATE,
                "startDate must be at least one minute greater than endDate"
            )
        );
        let e = refused(&query("2027-01-05T10:31:00Z", "2027-01-05T10:30:00Z"));
        assert_eq!(e.error_code, INVALID_DATE);
        let e = refused(&query("2026-12-11T11:59:00Z", "2027-01-01T00:00:00Z"));
        assert_eq!(e.message, "startDate before org replication enabled date");
        assert!(window(&query("2026-12-11T12:00:00Z", "2027-01-01T00:00:00Z"), now).is_ok());
        let e = refused(&query("2027-01-10T12:01:00Z", "2027-01-10T13:00:00Z"));
        assert_eq!(e.message, "startDate cannot be later than the current time");
        let e = refused("end=2027-01-10T12:00:00Z");
        assert_eq!(
            (e.error_code.as_str(), e.message.as_str()),
            ("MISSING_ARGUMENT", "Missing required parameter: start")
        );
        for bad in [
            "2027-01-05",
            "2027-01-05T10:30:00",
            "2027-01-05T10:30:00%3A",
            "yesterday",
        ] {
            let e = refused(&format!("start={bad}&end=2027-01-06T00:00:00Z"));
            assert_eq!(e.error_code, INVALID_DATE, "{bad}");
            assert!(e.message.starts_with("Unable to parse start date"), "{bad}");
        }
    }

    #[test]
    fn datetimes_are_written_as_salesforce_writes_them() {
        let t = at("2013-05-07T22:07:19.5Z");
        assert_eq!(rest_datetime(t), "2013-05-07T22:07:19.500+0000");
        assert_eq!(soql_datetime(to_minute(t)), "2013-05-07T22:07:00Z");
    }
}

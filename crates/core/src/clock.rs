//! The emulator's clock: what "now" is for record and job timestamps, SOQL date literals, token expiry and
//! the rolling API counters.
//!
//! A test suite can freeze it or shift it (the control API's `/_bulkforce/clock`) so that time-dependent
//! behaviour, such as an incremental sync on `SystemModstamp > :lastRun`, is deterministic. Everything that
//! reads "now" for the domain reads it from one shared [`Clock`]; elapsed-time measurements (timeouts,
//! latencies) keep using the monotonic `Instant`, which the clock never affects.
//!
//! This is the one place in core that reads the system time, and only through [`Clock::now`] in real or
//! offset mode; a frozen clock never does.

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, PoisonError, RwLock};

/// The largest shift accepted, either way: about a hundred years, far beyond any test's needs and well
/// inside what dates can represent.
pub const MAX_OFFSET_SECONDS: i64 = 100 * 366 * 24 * 60 * 60;

/// The earliest and latest frozen times accepted: Salesforce's own range of date-time values.
const EARLIEST_YEAR: &str = "1700-01-01T00:00:00Z";
const LATEST_YEAR_END: &str = "4000-12-31T23:59:59.999Z";

/// How the clock tells the time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClockSetting {
    /// The system's time.
    #[default]
    Real,
    /// Always this instant, until changed.
    Frozen(DateTime<Utc>),
    /// The system's time shifted by this many seconds (negative: the past).
    Offset(i64),
}

/// Why a clock setting was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClockError {
    #[error("'{0}' is not an RFC 3339 date-time such as 2027-01-01T00:00:00Z")]
    NotATime(String),
    #[error("the time {0} is outside 1700-01-01 .. 4000-12-31")]
    OutOfRange(String),
    #[error("an offset of {0} seconds is more than {MAX_OFFSET_SECONDS} seconds either way")]
    OffsetTooLarge(i64),
    #[error("'{0}' is not a stored clock setting")]
    NotASetting(String),
}

impl ClockSetting {
    /// A frozen clock at `text` (RFC 3339, any offset), kept to the millisecond as every stored time is.
    pub fn frozen_at(text: &str) -> Result<ClockSetting, ClockError> {
        let at = DateTime::parse_from_rfc3339(text.trim())
            .map_err(|_| ClockError::NotATime(text.to_owned()))?
            .with_timezone(&Utc);
        ClockSetting::frozen(at)
    }

    /// A frozen clock at `at`, truncated to the millisecond; refused outside Salesforce's date range.
    pub fn frozen(at: DateTime<Utc>) -> Result<ClockSetting, ClockError> {
        let earliest = fixed(EARLIEST_YEAR);
        let latest = fixed(LATEST_YEAR_END);
        if at < earliest || at > latest {
            return Err(ClockError::OutOfRange(format_instant(at)));
        }
        let millis = DateTime::from_timestamp_millis(at.timestamp_millis())
            .expect("a time inside 1700..4000 has a millisecond timestamp");
        Ok(ClockSetting::Frozen(millis))
    }

    /// Real time shifted by `seconds`; refused beyond [`MAX_OFFSET_SECONDS`] either way.
    pub fn offset(seconds: i64) -> Result<ClockSetting, ClockError> {
        if seconds.unsigned_abs() > MAX_OFFSET_SECONDS.unsigned_abs() {
            return Err(ClockError::OffsetTooLarge(seconds));
        }
        Ok(ClockSetting::Offset(seconds))
    }

    /// The mode's name as the control API shows it: `real`, `frozen` or `offset`.
    pub fn mode(&self) -> &'static str {
        match self {
            ClockSetting::Real => "real",
            ClockSetting::Frozen(_) => "frozen",
            ClockSetting::Offset(_) => "offset",
        }
    }

    /// The time under this setting when the system's time is `real`.
    pub fn at(&self, real: DateTime<Utc>) -> DateTime<Utc> {
        match *self {
            ClockSetting::Real => real,
            ClockSetting::Frozen(at) => at,
            // Offsets are bounded when made, so this only saturates for a hand-built extreme value.
            ClockSetting::Offset(seconds) => TimeDelta::try_seconds(seconds)
                .and_then(|delta| real.checked_add_signed(delta))
                .unwrap_or(real),
        }
    }
}

/// The stored form (one line of text): `real`, `frozen <RFC 3339 with milliseconds>`, `offset <seconds>`.
impl fmt::Display for ClockSetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClockSetting::Real => f.write_str("real"),
            ClockSetting::Frozen(at) => write!(f, "frozen {}", format_instant(*at)),
            ClockSetting::Offset(seconds) => write!(f, "offset {seconds}"),
        }
    }
}

impl FromStr for ClockSetting {
    type Err = ClockError;

    /// Reads the stored form [`fmt::Display`] writes, with the same checks as the constructors.
    fn from_str(text: &str) -> Result<ClockSetting, ClockError> {
        let not_a_setting = || ClockError::NotASetting(text.to_owned());
        match text.trim().split_once(' ') {
            None if text.trim() == "real" => Ok(ClockSetting::Real),
            Some(("frozen", at)) => ClockSetting::frozen_at(at).map_err(|_| not_a_setting()),
            Some(("offset", seconds)) => {
                let seconds = seconds.trim().parse().map_err(|_| not_a_setting())?;
                ClockSetting::offset(seconds).map_err(|_| not_a_setting())
            }
            _ => Err(not_a_setting()),
        }
    }
}

/// A time as control answers and the stored setting write it: RFC 3339, UTC, milliseconds.
pub fn format_instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn fixed(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("the range bounds are valid RFC 3339")
        .with_timezone(&Utc)
}

/// The shared clock: a cheap handle (clones share one setting), safe to use from any thread.
#[derive(Clone, Default)]
pub struct Clock {
    setting: Arc<RwLock<ClockSetting>>,
}

impl Clock {
    /// A clock on the system's time.
    pub fn real() -> Clock {
        Clock::default()
    }

    /// A clock with `setting` from the start.
    pub fn with_setting(setting: ClockSetting) -> Clock {
        Clock {
            setting: Arc::new(RwLock::new(setting)),
        }
    }

    /// What time it is for the emulated org.
    pub fn now(&self) -> DateTime<Utc> {
        match self.setting() {
            ClockSetting::Frozen(at) => at,
            setting => setting.at(Utc::now()),
        }
    }

    /// The current setting.
    pub fn setting(&self) -> ClockSetting {
        // A panic while holding the lock cannot leave a Copy value half-written: the value is usable.
        *self.setting.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Changes the setting for every clone of this clock.
    pub fn set(&self, setting: ClockSetting) {
        *self.setting.write().unwrap_or_else(PoisonError::into_inner) = setting;
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Clock").field(&self.setting()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> DateTime<Utc> {
        fixed(text)
    }

    #[test]
    fn a_real_clock_follows_the_system_time() {
        let before = Utc::now();
        let now = Clock::real().now();
        assert!(now >= before && now <= Utc::now());
        assert_eq!(Clock::real().setting(), ClockSetting::Real);
    }

    #[test]
    fn a_frozen_clock_does_not_move() {
        let clock = Clock::with_setting(ClockSetting::frozen_at("2027-01-01T00:00:00Z").unwrap());
        assert_eq!(clock.now(), t("2027-01-01T00:00:00Z"));
        assert_eq!(clock.now(), clock.now());
    }

    #[test]
    fn an_offset_clock_shifts_the_system_time() {
        let clock = Clock::with_setting(ClockSetting::offset(-3600).unwrap());
        let before = Utc::now();
        let now = clock.now();
        let after = Utc::now();
        assert!(now >= before - TimeDelta::hours(1) && now <= after - TimeDelta::hours(1));
    }

    #[test]
    fn clones_share_one_setting() {
        let clock = Clock::real();
        let clone = clock.clone();
        clone.set(ClockSetting::Frozen(t("2030-05-06T07:08:09Z")));
        assert_eq!(clock.now(), t("2030-05-06T07:08:09Z"));
        clock.set(ClockSetting::Real);
        assert_eq!(clone.setting(), ClockSetting::Real);
    }

    #[test]
    fn frozen_times_are_kept_to_the_millisecond_in_utc() {
        let setting = ClockSetting::frozen_at("2027-01-01T02:00:00.123456+02:00").unwrap();
        assert_eq!(setting, ClockSetting::Frozen(t("2027-01-01T00:00:00.123Z")));
    }

    #[test]
    fn bad_settings_are_refused_with_what_is_wrong() {
        assert_eq!(
            ClockSetting::frozen_at("tomorrow"),
            Err(ClockError::NotATime("tomorrow".into()))
        );
        assert!(matches!(
            ClockSetting::frozen_at("1600-01-01T00:00:00Z"),
            Err(ClockError::OutOfRange(_))
        ));
        assert!(matches!(
            ClockSetting::frozen_at("4001-01-01T00:00:00Z"),
            Err(ClockError::OutOfRange(_))
        ));
        assert_eq!(
            ClockSetting::offset(MAX_OFFSET_SECONDS + 1),
            Err(ClockError::OffsetTooLarge(MAX_OFFSET_SECONDS + 1))
        );
        assert_eq!(
            ClockSetting::offset(i64::MIN),
            Err(ClockError::OffsetTooLarge(i64::MIN))
        );
        assert!(ClockSetting::offset(-MAX_OFFSET_SECONDS).is_ok());
    }

    #[test]
    fn the_stored_form_round_trips() {
        for setting in [
            ClockSetting::Real,
            ClockSetting::frozen_at("2027-01-01T00:00:00.250Z").unwrap(),
            ClockSetting::Offset(-86_400),
            ClockSetting::Offset(7200),
        ] {
            assert_eq!(setting.to_string().parse::<ClockSetting>(), Ok(setting));
        }
        assert_eq!(
            ClockSetting::Frozen(t("2027-01-01T00:00:00Z")).to_string(),
            "frozen 2027-01-01T00:00:00.000Z"
        );
        for bad in [
            "",
            "unreal",
            "frozen",
            "frozen never",
            "offset x",
            "offset 99999999999999",
        ] {
            assert!(bad.parse::<ClockSetting>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn modes_have_the_control_api_names() {
        assert_eq!(ClockSetting::Real.mode(), "real");
        assert_eq!(
            ClockSetting::Frozen(t("2027-01-01T00:00:00Z")).mode(),
            "frozen"
        );
        assert_eq!(ClockSetting::Offset(1).mode(), "offset");
    }
}

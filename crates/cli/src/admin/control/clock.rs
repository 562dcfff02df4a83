//! `admin clock [show|freeze TIME|offset SHIFT|real]`: the server's time, which drives record and job
//! dates, SOQL date literals, token expiry and the API counters.

use super::output::print_json;
use crate::commands::{CliError, CommandResult, Finished};
use bulkforce_client::control::{ClockMode, ClockState, ControlClient};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use clap::Subcommand;

/// What to do with the clock.
#[derive(Subcommand, Debug, Clone)]
pub enum ClockCommand {
    /// Show the server's time and how it runs (the default).
    Show,
    /// Stop time at TIME until changed: RFC 3339 (2027-01-01T00:00:00Z), or a UTC date or date-time
    /// (2027-01-01, 2027-01-01T09:30:00).
    Freeze {
        /// The instant time stops at.
        time: String,
    },
    /// Shift real time by SHIFT: seconds, or a number with s, m, h or d (-3600, 90m, -2d).
    Offset {
        /// The shift; negative is the past.
        #[arg(allow_negative_numbers = true, allow_hyphen_values = true)]
        shift: String,
    },
    /// Back to real time.
    Real,
}

/// Runs a clock command (`show` when none).
pub async fn run(
    client: &ControlClient,
    command: Option<ClockCommand>,
    json: bool,
) -> CommandResult {
    let state = match command.unwrap_or(ClockCommand::Show) {
        ClockCommand::Show => client.clock().await?,
        ClockCommand::Freeze { time } => client.freeze_clock(parse_time(&time)?).await?,
        ClockCommand::Offset { shift } => client.offset_clock(parse_shift(&shift)?).await?,
        ClockCommand::Real => client.real_clock().await?,
    };
    if json {
        print_json(&state);
    } else {
        println!("{}", describe(&state));
    }
    Ok(Finished::Ok)
}

/// `frozen at 2027-01-01T00:00:00.000Z`, `offset by -3600 s: now …`, `real time: now …`.
fn describe(state: &ClockState) -> String {
    match state.mode {
        ClockMode::Frozen => format!("frozen at {}", state.now),
        ClockMode::Offset => format!(
            "offset by {} s: now {}",
            state.offset_seconds.unwrap_or(0),
            state.now
        ),
        ClockMode::Real => format!("real time: now {}", state.now),
        ClockMode::Unknown => format!("now {}", state.now),
    }
}

/// An RFC 3339 instant, or a date or date-time without a zone, taken as UTC.
fn parse_time(text: &str) -> Result<DateTime<Utc>, CliError> {
    let text = text.trim();
    if let Ok(instant) = DateTime::parse_from_rfc3339(text) {
        return Ok(instant.with_timezone(&Utc));
    }
    if let Ok(local) = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f") {
        return Ok(local.and_utc());
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(date.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    Err(CliError::usage(format!(
        "{text:?} is not a time: give RFC 3339 (2027-01-01T00:00:00Z) or a UTC date (2027-01-01)"
    )))
}

/// Seconds from `-3600`, `90s`, `15m`, `-2h`, `3d`.
fn parse_shift(text: &str) -> Result<i64, CliError> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().last() {
        Some((at, suffix @ ('s' | 'm' | 'h' | 'd'))) => (&text[..at], suffix),
        _ => (text, 's'),
    };
    let seconds_per = match unit {
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        _ => 1,
    };
    number
        .parse::<i64>()
        .ok()
        .and_then(|n| n.checked_mul(seconds_per))
        .ok_or_else(|| {
            CliError::usage(format!(
                "{text:?} is not a shift: give seconds (-3600) or a number with s, m, h or d (90m, -2d)"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc_3339_or_utc_dates() {
        let at = |text| parse_time(text).unwrap().to_rfc3339();
        assert_eq!(at("2027-01-01T01:00:00+01:00"), "2027-01-01T00:00:00+00:00");
        assert_eq!(at("2027-01-01"), "2027-01-01T00:00:00+00:00");
        assert_eq!(at("2027-01-01T09:30:00.5"), "2027-01-01T09:30:00.500+00:00");
        assert_eq!(parse_time("tomorrow").unwrap_err().exit_code(), 64);
    }

    #[test]
    fn shifts_are_seconds_or_a_number_with_a_unit() {
        assert_eq!(parse_shift("-3600").unwrap(), -3600);
        assert_eq!(parse_shift("90m").unwrap(), 5400);
        assert_eq!(parse_shift("-2d").unwrap(), -172_800);
        assert_eq!(parse_shift("+1h").unwrap(), 3600);
        assert!(parse_shift("1w").is_err());
        assert!(parse_shift("m").is_err());
        assert!(parse_shift("99999999999999999d").is_err());
    }
}

//! How long the recycle bin keeps soft-deleted records: 15 days of the org's clock, as Salesforce's
//! recycle bin does ("placed in the Recycle Bin for 15 days", Apex Developer Guide, Deleting Records).
//! Once a record's deletion (its `SystemModstamp`, stamped by the delete) is older, it is purged.

use chrono::{DateTime, Duration, Utc};

/// Days a soft-deleted record stays in the recycle bin.
pub const RETENTION_DAYS: i64 = 15;

/// Records deleted before this time, on a clock that reads `now`, are due to be purged.
pub fn purge_cutoff(now: DateTime<Utc>) -> DateTime<Utc> {
    now - Duration::days(RETENTION_DAYS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn records_deleted_more_than_15_days_ago_are_due() {
        let now = Utc.with_ymd_and_hms(2026, 3, 20, 12, 0, 0).unwrap();
        assert_eq!(
            purge_cutoff(now),
            Utc.with_ymd_and_hms(2026, 3, 5, 12, 0, 0).unwrap()
        );
    }
}

//! API usage: per org and counter, over the 24 hours ending at the time the caller gives.

use super::{Backend, Fixture};
use crate::{ApiCounter, Result};
use chrono::{DateTime, Duration, TimeZone, Utc};

fn noon() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
        .single()
        .expect("a valid fixed time")
}

pub fn usage_adds_up_per_counter(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let (store, org, now) = (&f.store, f.org(), noon());
    assert_eq!(store.api_usage(org, ApiCounter::ApiRequests, now)?, 0);
    assert_eq!(
        store.add_api_usage(org, ApiCounter::ApiRequests, 1, now)?,
        1
    );
    assert_eq!(
        store.add_api_usage(org, ApiCounter::ApiRequests, 1, now)?,
        2
    );
    let later = now + Duration::minutes(90);
    assert_eq!(
        store.add_api_usage(org, ApiCounter::ApiRequests, 5, later)?,
        7
    );
    assert_eq!(
        store.add_api_usage(org, ApiCounter::QueryJobs, 1, later)?,
        1
    );
    assert_eq!(store.api_usage(org, ApiCounter::ApiRequests, later)?, 7);
    assert_eq!(store.api_usage(org, ApiCounter::QueryJobs, later)?, 1);
    assert_eq!(store.api_usage(org, ApiCounter::IngestBatches, later)?, 0);
    Ok(())
}

pub fn usage_is_counted_per_org(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let other = f
        .store
        .create_org("Other", "admin@usage.test", Some("pw"))?;
    let now = noon();
    f.store
        .add_api_usage(f.org(), ApiCounter::ApiRequests, 3, now)?;
    assert_eq!(
        f.store
            .add_api_usage(other.org_id, ApiCounter::ApiRequests, 1, now)?,
        1
    );
    assert_eq!(f.store.api_usage(f.org(), ApiCounter::ApiRequests, now)?, 3);
    Ok(())
}

pub fn usage_older_than_24_hours_drops_out(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let (store, org, start) = (&f.store, f.org(), noon());
    store.add_api_usage(org, ApiCounter::IngestBatches, 2, start)?;
    let an_hour_on = start + Duration::hours(1);
    store.add_api_usage(org, ApiCounter::IngestBatches, 3, an_hour_on)?;
    let almost_a_day = start + Duration::hours(24) - Duration::minutes(1);
    assert_eq!(
        store.api_usage(org, ApiCounter::IngestBatches, almost_a_day)?,
        5
    );
    let a_day_on = start + Duration::hours(24);
    assert_eq!(
        store.api_usage(org, ApiCounter::IngestBatches, a_day_on)?,
        3
    );
    let past_both = an_hour_on + Duration::hours(24);
    assert_eq!(
        store.api_usage(org, ApiCounter::IngestBatches, past_both)?,
        0
    );
    assert_eq!(
        store.add_api_usage(org, ApiCounter::IngestBatches, 1, past_both)?,
        1
    );
    Ok(())
}

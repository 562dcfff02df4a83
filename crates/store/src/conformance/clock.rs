//! The store's clock: every timestamp the store writes (records' audit fields, jobs' system modstamp) and
//! every expiry it checks (tokens) follows [`Store::clock`], and a setting made through the store holds
//! across a restart. This is what lets a test suite freeze or shift time through the control API.
//!
//! [`Store::clock`]: crate::Store::clock

use super::{Backend, Fixture, succeeded};
use crate::{Result, TokenKind};
use bulkforce_core::clock::ClockSetting;
use bulkforce_core::job::{JobState, Operation};
use chrono::{DateTime, TimeDelta, Utc};

fn frozen_at(text: &str) -> (ClockSetting, DateTime<Utc>) {
    let setting = ClockSetting::frozen_at(text).expect("the cases freeze valid times");
    let ClockSetting::Frozen(at) = setting else {
        unreachable!("frozen_at makes a frozen setting")
    };
    (setting, at)
}

pub fn the_clock_is_real_until_set(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    assert_eq!(f.store.clock_setting()?, ClockSetting::Real);
    assert_eq!(f.store.clock().setting(), ClockSetting::Real);
    let before = Utc::now();
    let now = f.store.clock().now();
    assert!(
        now >= before && now <= Utc::now(),
        "a real clock reads the system time"
    );
    Ok(())
}

pub fn a_set_clock_is_stored_and_applied_at_once(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let (frozen, at) = frozen_at("2027-01-01T00:00:00Z");
    f.store.set_clock_setting(frozen)?;
    assert_eq!(f.store.clock_setting()?, frozen);
    assert_eq!(f.store.clock().now(), at);
    f.store.set_clock_setting(ClockSetting::Offset(-86_400))?;
    assert_eq!(f.store.clock_setting()?, ClockSetting::Offset(-86_400));
    let now = f.store.clock().now();
    assert!(now <= Utc::now() - TimeDelta::hours(23), "a day ago: {now}");
    f.store.set_clock_setting(ClockSetting::Real)?;
    assert_eq!(f.store.clock_setting()?, ClockSetting::Real);
    assert_eq!(f.store.clock().setting(), ClockSetting::Real);
    Ok(())
}

pub fn the_clock_setting_survives_a_restart(backend: &dyn Backend) -> Result<()> {
    let (frozen, at) = frozen_at("2031-07-08T09:10:11.123Z");
    {
        let f = Fixture::open(backend)?;
        f.store.set_clock_setting(frozen)?;
    }
    let f = Fixture::open(backend)?;
    assert_eq!(f.store.clock_setting()?, frozen);
    assert_eq!(
        f.store.clock().now(),
        at,
        "the reopened store is on the stored setting"
    );
    f.store.set_clock_setting(ClockSetting::Offset(7200))?;
    drop(f);
    let f = Fixture::open(backend)?;
    assert_eq!(f.store.clock().setting(), ClockSetting::Offset(7200));
    f.store.set_clock_setting(ClockSetting::Real)?;
    drop(f);
    let f = Fixture::open(backend)?;
    assert_eq!(f.store.clock().setting(), ClockSetting::Real);
    Ok(())
}

pub fn a_frozen_clock_stamps_records_and_jobs(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let (frozen, at) = frozen_at("2027-01-01T00:00:00Z");
    f.store.set_clock_setting(frozen)?;
    let job = f.claimed(Operation::Insert)?;
    assert_eq!(job.system_modstamp, at, "the claim stamps the job");
    let outcomes = f
        .apply(&job, Operation::Insert, 0, vec![f.insert("Frozen Inc")])?
        .expect("an InProgress job takes its chunk");
    let id = succeeded(&outcomes[0]).expect("created");
    for field in ["CreatedDate", "LastModifiedDate", "SystemModstamp"] {
        assert_eq!(
            f.account_field(id, field)?.as_deref(),
            Some("2027-01-01T00:00:00.000Z"),
            "{field}"
        );
    }

    let (later, later_at) = frozen_at("2027-01-02T03:04:05Z");
    f.store.set_clock_setting(later)?;
    assert!(
        f.store
            .finish_job(f.org(), job.id, JobState::JobComplete, None, None)?
    );
    assert_eq!(f.job(job.id)?.system_modstamp, later_at);
    Ok(())
}

pub fn updates_are_stamped_with_the_clock_of_their_chunk(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let (first, _) = frozen_at("2027-01-01T00:00:00Z");
    f.store.set_clock_setting(first)?;
    let insert = f.claimed(Operation::Insert)?;
    let outcomes = f
        .apply(&insert, Operation::Insert, 0, vec![f.insert("Acme")])?
        .expect("an InProgress job takes its chunk");
    let id = succeeded(&outcomes[0]).expect("created");
    f.store
        .finish_job(f.org(), insert.id, JobState::JobComplete, None, None)?;

    let (second, _) = frozen_at("2027-03-01T12:00:00Z");
    f.store.set_clock_setting(second)?;
    let update = f.claimed(Operation::Update)?;
    let row = Ok(bulkforce_core::ingest::RowOp::Update {
        id,
        values: f.values(&[("Name", "Acme Two")]),
    });
    f.apply(&update, Operation::Update, 0, vec![row])?
        .expect("an InProgress job takes its chunk");
    assert_eq!(
        f.account_field(id, "CreatedDate")?.as_deref(),
        Some("2027-01-01T00:00:00.000Z")
    );
    for field in ["LastModifiedDate", "SystemModstamp"] {
        assert_eq!(
            f.account_field(id, field)?.as_deref(),
            Some("2027-03-01T12:00:00.000Z"),
            "{field}"
        );
    }
    Ok(())
}

pub fn token_expiry_follows_the_clock(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    let expires = (Utc::now() + TimeDelta::hours(2)).timestamp_millis();
    f.store.save_token(
        &f.admin,
        "expiring-token-0123456789",
        TokenKind::Access,
        None,
        Some(expires),
    )?;
    assert_eq!(
        f.store.authenticate("expiring-token-0123456789")?,
        Some(f.admin.clone())
    );
    f.store.set_clock_setting(ClockSetting::Offset(3 * 3600))?;
    assert_eq!(
        f.store.authenticate("expiring-token-0123456789")?,
        None,
        "three hours on, a two-hour token has expired"
    );
    f.store.set_clock_setting(ClockSetting::Real)?;
    assert_eq!(
        f.store.authenticate("expiring-token-0123456789")?,
        Some(f.admin.clone()),
        "expiry is checked against the clock, not recorded"
    );
    Ok(())
}

pub fn concurrent_settings_leave_the_clock_on_the_stored_one(backend: &dyn Backend) -> Result<()> {
    let f = Fixture::open(backend)?;
    for round in 0..20 {
        std::thread::scope(|scope| {
            let setters: Vec<_> = (0..8_i64)
                .map(|n| {
                    let store = &f.store;
                    scope.spawn(move || {
                        store.set_clock_setting(ClockSetting::Offset(round * 100 + n))
                    })
                })
                .collect();
            setters
                .into_iter()
                .try_for_each(|setter| setter.join().expect("a setter does not panic"))
        })?;
        assert_eq!(
            f.store.clock().setting(),
            f.store.clock_setting()?,
            "round {round}: the clock is on the stored setting"
        );
    }
    Ok(())
}

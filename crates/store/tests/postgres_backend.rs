//! What only the PostgreSQL backend promises: several `PgStore` instances over one database are one
//! service. Each test gets a database of its own on the test server (`scripts/services`).

use bulkforce_core::clock::Clock;
use bulkforce_store::Result;
use bulkforce_store::conformance::pg_database::TestDatabase;
use bulkforce_store::postgres::{PgOptions, PgStore};

/// An instance named `instance` over `database`, as `serve --database-url` opens one.
fn instance(database: &TestDatabase, instance: &str) -> Result<PgStore> {
    let options = PgOptions::new(database.url.clone(), instance);
    PgStore::connect(
        options,
        bulkforce_store::conformance::schema(),
        Clock::real(),
    )
}

mod control_plane {
    use super::instance;
    use bulkforce_core::clock::ClockSetting;
    use bulkforce_store::conformance::pg_database::TestDatabase;
    use bulkforce_store::{
        ApiCounter, LockoutPolicy, LoginOutcome, Result, Store, StoreError, TokenKind,
    };
    use chrono::Utc;

    #[test]
    fn instances_starting_at_once_make_one_default_org() -> Result<()> {
        let database = TestDatabase::create();
        let admins: Vec<_> = std::thread::scope(|scope| {
            let starts: Vec<_> = (0..4)
                .map(|i| {
                    let database = &database;
                    scope.spawn(move || {
                        instance(database, &format!("start-{i}"))?.ensure_default_org()
                    })
                })
                .collect();
            starts
                .into_iter()
                .map(|s| s.join().expect("a starting instance panicked"))
                .collect::<Result<_>>()
        })?;
        assert!(admins.iter().all(|a| *a == admins[0]), "{admins:?}");
        let orgs = instance(&database, "check")?.list_orgs()?;
        assert_eq!(orgs.len(), 1, "{orgs:?}");
        assert!(orgs[0].is_default);
        Ok(())
    }

    #[test]
    fn instances_see_each_others_orgs_users_apps_and_tokens() -> Result<()> {
        let database = TestDatabase::create();
        let (a, b) = (instance(&database, "a")?, instance(&database, "b")?);
        let admin = a.ensure_default_org()?;
        assert_eq!(b.ensure_default_org()?, admin);

        let boss = a.create_org("Second", "boss@second.test", Some("s3cret"))?;
        assert_eq!(b.find_user("BOSS@second.test")?, Some(boss.clone()));
        assert_eq!(
            b.login(
                "boss@second.test",
                "s3cret",
                &LockoutPolicy::NEVER,
                Utc::now()
            )?,
            LoginOutcome::Accepted(boss.clone())
        );
        let (app, secret) = b.create_app(boss.org_id, "Loader", None)?;
        assert_eq!(a.check_app(&app.client_id, &secret)?, Some(app.clone()));

        a.save_token(&boss, "issued-on-a", TokenKind::Access, Some(app.id), None)?;
        assert_eq!(
            b.token_principal("issued-on-a", TokenKind::Access)?,
            Some((boss.clone(), Some(app.id)))
        );
        assert!(b.revoke_token("issued-on-a")?);
        assert_eq!(a.token_principal("issued-on-a", TokenKind::Access)?, None);
        assert!(
            !a.revoke_token("issued-on-a")?,
            "revoked once, on any instance"
        );
        Ok(())
    }

    #[test]
    fn instances_count_api_usage_together() -> Result<()> {
        let database = TestDatabase::create();
        let (a, b) = (instance(&database, "a")?, instance(&database, "b")?);
        let org = a.ensure_default_org()?.org_id;
        let now = Utc::now();
        assert_eq!(a.add_api_usage(org, ApiCounter::ApiRequests, 3, now)?, 3);
        assert_eq!(b.add_api_usage(org, ApiCounter::ApiRequests, 2, now)?, 5);
        assert_eq!(a.api_usage(org, ApiCounter::ApiRequests, now)?, 5);

        // Many requests on both at once: none is lost.
        std::thread::scope(|scope| {
            for store in [&a, &b] {
                for _ in 0..4 {
                    scope.spawn(move || {
                        for _ in 0..25 {
                            store
                                .add_api_usage(org, ApiCounter::ApiRequests, 1, now)
                                .expect("usage is counted");
                        }
                    });
                }
            }
        });
        assert_eq!(b.api_usage(org, ApiCounter::ApiRequests, now)?, 205);
        assert_eq!(a.api_usage(org, ApiCounter::QueryJobs, now)?, 0);
        Ok(())
    }

    /// The lockout counts every instance's attempts: 32 wrong logins at once, half on each instance,
    /// get exactly the policy's ten checks.
    #[test]
    fn concurrent_wrong_logins_on_two_instances_get_no_more_checks_than_the_policy_allows()
    -> Result<()> {
        let database = TestDatabase::create();
        let (a, b) = (instance(&database, "a")?, instance(&database, "b")?);
        a.ensure_default_org()?;
        a.create_org("Second", "boss@second.test", Some("s3cret"))?;
        let policy = LockoutPolicy {
            attempts: 10,
            duration: Some(std::time::Duration::from_secs(15 * 60)),
        };
        let t0 = Utc::now();
        let outcomes: Vec<LoginOutcome> = std::thread::scope(|scope| {
            let logins: Vec<_> = (0..32)
                .map(|i| {
                    let store = if i % 2 == 0 { &a } else { &b };
                    let policy = &policy;
                    scope.spawn(move || {
                        loop {
                            match store.login("boss@second.test", "wrong", policy, t0) {
                                // Refused as busy is not counted: try again.
                                Err(StoreError::Busy) => std::thread::yield_now(),
                                outcome => return outcome,
                            }
                        }
                    })
                })
                .collect();
            logins
                .into_iter()
                .map(|l| l.join().expect("a login thread panicked"))
                .collect::<Result<_>>()
        })?;
        let checked = outcomes
            .iter()
            .filter(|o| **o == LoginOutcome::Refused)
            .count();
        assert_eq!(
            (checked, outcomes.len() - checked),
            (10, 22),
            "{outcomes:?}"
        );
        assert_eq!(
            b.login("boss@second.test", "s3cret", &policy, t0)?,
            LoginOutcome::LockedOut
        );
        assert_eq!(a.locked_users(t0)?.len(), 1);
        Ok(())
    }

    /// A clock set through one instance holds on the others from their next authenticated request
    /// (a token's lookup, or the default admin's for `--access-token`), as it holds after a restart.
    #[test]
    fn a_clock_set_on_one_instance_holds_on_the_others_from_their_next_request() -> Result<()> {
        let database = TestDatabase::create();
        let (a, b) = (instance(&database, "a")?, instance(&database, "b")?);
        let admin = a.ensure_default_org()?;
        a.save_token(&admin, "bearer", TokenKind::Access, None, None)?;
        let frozen = ClockSetting::frozen_at("2027-01-01T00:00:00Z").expect("a valid time");
        let ClockSetting::Frozen(at) = frozen else {
            unreachable!("frozen_at makes a frozen setting")
        };

        a.set_clock_setting(frozen)?;
        assert_eq!(b.clock_setting()?, frozen, "stored for all");
        assert_eq!(
            b.token_principal("bearer", TokenKind::Access)?
                .map(|(p, _)| p),
            Some(admin.clone())
        );
        assert_eq!(b.clock().now(), at, "followed on a token's lookup");

        b.set_clock_setting(ClockSetting::Offset(-3600))?;
        assert_eq!(a.ensure_default_org()?, admin);
        assert_eq!(
            a.clock().setting(),
            ClockSetting::Offset(-3600),
            "and on the admin's"
        );
        Ok(())
    }

    /// Every text column of every shared table, scanned for the secrets the control plane was given
    /// or made: none is stored in clear (their hashes are, which the scan also finds).
    #[test]
    fn no_secret_is_stored_in_clear() -> Result<()> {
        let database = TestDatabase::create();
        let store = instance(&database, "a")?;
        let admin = store.ensure_default_org()?;
        let password = "correct-horse-battery-staple-7";
        let boss = store.create_org("Second", "boss@second.test", Some(password))?;
        store.create_user(
            boss.org_id,
            "clerk@second.test",
            Some("clerk-Passw0rd-9"),
            "C",
            "",
        )?;
        assert!(store.set_password("boss@second.test", "n3w-Passw0rd-after-reset")?);
        let (app, app_secret) = store.create_app(boss.org_id, "Loader", None)?;
        let access = "00Dxx0000001gPL!AR8AQ-access-token-in-clear";
        let refresh = "5Aep861-refresh-token-in-clear";
        store.save_token(&boss, access, TokenKind::Access, Some(app.id), None)?;
        store.save_token(&admin, refresh, TokenKind::Refresh, Some(app.id), None)?;
        assert!(store.token_principal(access, TokenKind::Access)?.is_some());

        let secrets = [
            password,
            "clerk-Passw0rd-9",
            "n3w-Passw0rd-after-reset",
            app_secret.as_str(),
            access,
            refresh,
        ];
        let mut client = postgres::Client::connect(&database.url, postgres::NoTls)?;
        let columns = client.query(
            "SELECT table_name::text, column_name::text FROM information_schema.columns
             WHERE table_schema = 'bulkforce' AND data_type = 'text'",
            &[],
        )?;
        assert!(
            columns.len() >= 10,
            "the text columns are found: {}",
            columns.len()
        );
        let mut scanned = 0;
        for column in &columns {
            let (table, name): (String, String) = (column.get(0), column.get(1));
            let values = client.query(
                &format!(
                    "SELECT \"{name}\" FROM bulkforce.\"{table}\" WHERE \"{name}\" IS NOT NULL"
                ),
                &[],
            )?;
            for value in values {
                let value: String = value.get(0);
                scanned += 1;
                for secret in secrets {
                    assert!(
                        !value.contains(secret),
                        "bulkforce.{table}.{name} holds a secret in clear"
                    );
                }
            }
        }
        assert!(scanned > 20, "the control rows were scanned: {scanned}");
        let hashed: i64 = client
            .query_one(
                "SELECT count(*) FROM bulkforce.users WHERE password_hash LIKE '$argon2id$%'",
                &[],
            )?
            .get(0);
        assert_eq!(hashed, 2, "passwords are stored as argon2 hashes");
        Ok(())
    }
}

/// Job ownership across instances: a claim is a lease (owner, epoch, expiry on the database's clock)
/// that its owner renews while it lives; another instance takes the job over only once the lease lapsed,
/// from the checkpoint the owner committed, and the old owner can never commit after that.
mod leases {
    use bulkforce_core::clock::Clock;
    use bulkforce_core::id::SfId;
    use bulkforce_core::ingest::{IngestPlan, RowOp, RowValues};
    use bulkforce_core::job::{Job, JobState, Operation};
    use bulkforce_core::value::Value;
    use bulkforce_store::conformance::pg_database::TestDatabase;
    use bulkforce_store::conformance::{Feed, chunk_of, new_job, schema};
    use bulkforce_store::postgres::{PgOptions, PgStore};
    use bulkforce_store::{ChunkCommit, ClaimedJob, Result, Store, StoreError, UploadStart};
    use std::time::{Duration, Instant};

    /// Short enough for a test to see a lease lapse, long enough that renewals (every third of it)
    /// keep it alive on a busy machine.
    const LEASE: Duration = Duration::from_secs(2);

    /// How long a test waits for something that must happen (a lapse, a renewal) before failing.
    const DEADLINE: Duration = Duration::from_secs(30);

    fn instance(database: &TestDatabase, id: &str) -> Result<PgStore> {
        let mut options = PgOptions::new(database.url.clone(), id);
        options.lease = LEASE;
        options.pool_size = 4;
        PgStore::connect(options, schema(), Clock::real())
    }

    /// An uploaded Account insert job of the default org, waiting to be claimed.
    fn waiting_job(store: &PgStore) -> Result<(SfId, Job)> {
        let admin = store.ensure_default_org()?;
        let job = store.create_job(
            admin.org_id,
            new_job(&admin, Operation::Insert, "Account", None),
        )?;
        store.begin_upload(admin.org_id, job.id)?;
        store.end_upload(admin.org_id, job.id, Some(100))?;
        let (job, moved) = store
            .transition(
                admin.org_id,
                job.id,
                &[JobState::Open],
                JobState::UploadComplete,
                None,
            )?
            .ok_or_else(|| StoreError::Invalid("the job just created is gone".into()))?;
        assert!(moved);
        Ok((admin.org_id, job))
    }

    /// Applies chunk `index` (one Account named `name`) as `store`'s worker would.
    fn apply(store: &PgStore, org: SfId, job: &Job, index: u64, name: &str) -> Result<ChunkCommit> {
        let schema = store.schema();
        let account = schema.object("Account").expect("Account is built in");
        let name_field = account.field_index("Name").expect("Account has a Name");
        let plan = IngestPlan::new(
            schema,
            account.clone(),
            Operation::Insert,
            None,
            &["Name".to_owned()],
        )
        .expect("Name is an Account field");
        let row = RowOp::Insert(RowValues {
            assignments: vec![(name_field, Value::Text(name.to_owned()))],
            lookups: Vec::new(),
        });
        store.apply_chunks(
            org,
            job,
            &plan,
            chunk_of(index, vec![Ok(row)]),
            &mut Feed::default(),
        )
    }

    /// `store`'s first successful claim, polled until `DEADLINE`.
    fn claim_within_deadline(store: &PgStore) -> Result<ClaimedJob> {
        let deadline = Instant::now() + DEADLINE;
        loop {
            if let Some(claim) = store.claim_job()? {
                return Ok(claim);
            }
            assert!(Instant::now() < deadline, "no job became claimable");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The job's lease as stored: owner, and whether it runs past the database's now.
    fn lease_of(database: &TestDatabase, job: SfId) -> Result<(Option<String>, bool)> {
        let mut client = postgres::Client::connect(&database.url, postgres::NoTls)?;
        let row = client.query_one(
            "SELECT lease_owner, coalesce(lease_until > now(), false) FROM bulkforce.jobs WHERE id = $1",
            &[&job.as_str()],
        )?;
        Ok((row.get(0), row.get(1)))
    }

    #[test]
    fn a_renewing_owner_keeps_its_job_past_the_first_lease() -> Result<()> {
        let database = TestDatabase::create();
        let (a, b) = (instance(&database, "a")?, instance(&database, "b")?);
        let (_, job) = waiting_job(&a)?;
        assert_eq!(a.claim_job()?.map(|c| c.job.id), Some(job.id));
        let mut client = postgres::Client::connect(&database.url, postgres::NoTls)?;
        let first_until: std::time::SystemTime = client
            .query_one(
                "SELECT lease_until FROM bulkforce.jobs WHERE id = $1",
                &[&job.id.as_str()],
            )?
            .get(0);
        // Wait (on the database's clock) until the first lease would have lapsed without renewal.
        let deadline = Instant::now() + DEADLINE;
        while client
            .query_one("SELECT now() <= $1", &[&first_until])?
            .get::<_, bool>(0)
        {
            assert!(Instant::now() < deadline, "the database clock stands still");
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(
            b.claim_job()?.is_none(),
            "A renews its lease: B claims nothing"
        );
        assert_eq!(lease_of(&database, job.id)?, (Some("a".to_owned()), true));
        Ok(())
    }

    #[test]
    fn a_dead_owners_job_is_taken_over_from_its_checkpoint_and_the_stale_owner_commits_nothing()
    -> Result<()> {
        let database = TestDatabase::create();
        let (a, b) = (instance(&database, "a")?, instance(&database, "b")?);
        let (org, job) = waiting_job(&a)?;
        let on_a = a.claim_job()?.expect("the job waits");
        assert_eq!(
            apply(&a, org, &on_a.job, 0, "Applied by A")?,
            ChunkCommit::Committed
        );
        assert!(b.claim_job()?.is_none(), "A's lease is live");

        // A stops renewing, as an instance that died or hangs: after the lease, B takes the job over.
        a.stop_renewing_leases();
        let on_b = claim_within_deadline(&b)?;
        assert_eq!(on_b.job.id, job.id);
        assert_eq!(on_b.job.state, JobState::InProgress);
        assert_eq!(on_b.job.number_records_processed, 1);
        assert_eq!(
            (
                on_b.checkpoint.chunks_done,
                on_b.checkpoint.next_offset,
                on_b.checkpoint.next_line
            ),
            (1, 100, 10),
            "B resumes after the chunk A committed"
        );
        assert_eq!(lease_of(&database, job.id)?, (Some("b".to_owned()), true));

        // A wakes up: its next chunk and its finish are fenced off, and commit nothing.
        assert_eq!(
            apply(&a, org, &on_a.job, 1, "Stale A")?,
            ChunkCommit::JobStopped
        );
        assert!(!a.finish_job(org, job.id, JobState::JobComplete, None, None)?);
        assert_eq!(a.count_records(org, "Account", true)?, 1);
        assert_eq!(a.checkpoint(org, job.id)?.map(|c| c.chunks_done), Some(1));

        assert_eq!(
            apply(&b, org, &on_b.job, 1, "Applied by B")?,
            ChunkCommit::Committed
        );
        assert!(b.finish_job(org, job.id, JobState::JobComplete, None, None)?);
        let done = b.get_job(org, job.id)?.expect("the job is kept");
        assert_eq!(done.state, JobState::JobComplete);
        assert_eq!(done.number_records_processed, 2);
        assert_eq!(b.count_records(org, "Account", true)?, 2);
        let states: Vec<JobState> = b
            .job_timeline(org, job.id)?
            .into_iter()
            .map(|change| change.state)
            .collect();
        assert_eq!(
            states,
            [
                JobState::Open,
                JobState::UploadComplete,
                JobState::InProgress,
                JobState::JobComplete
            ],
            "a takeover enters no state"
        );
        Ok(())
    }

    #[test]
    fn a_dropped_instance_stops_renewing_and_its_job_moves_on() -> Result<()> {
        let database = TestDatabase::create();
        let b = instance(&database, "b")?;
        let job = {
            let a = instance(&database, "a")?;
            let (_, job) = waiting_job(&a)?;
            assert_eq!(a.claim_job()?.map(|c| c.job.id), Some(job.id));
            job.id
            // A is dropped here without releasing anything.
        };
        assert_eq!(claim_within_deadline(&b)?.job.id, job);
        Ok(())
    }

    #[test]
    fn releasing_claims_leaves_other_instances_claims_and_uploads_alone() -> Result<()> {
        let database = TestDatabase::create();
        let (a, b) = (instance(&database, "a")?, instance(&database, "b")?);
        let (org, a_job) = waiting_job(&a)?;
        let (_, b_job) = waiting_job(&b)?;
        assert_eq!(a.claim_job()?.map(|c| c.job.id), Some(a_job.id));
        assert_eq!(b.claim_job()?.map(|c| c.job.id), Some(b_job.id));
        let admin = a.ensure_default_org()?;
        let a_upload = a.create_job(org, new_job(&admin, Operation::Insert, "Account", None))?;
        let b_upload = b.create_job(org, new_job(&admin, Operation::Insert, "Account", None))?;
        assert_eq!(
            a.begin_upload(org, a_upload.id)?,
            Some(UploadStart::Started)
        );
        assert_eq!(
            b.begin_upload(org, b_upload.id)?,
            Some(UploadStart::Started)
        );

        // B restarts: its own claim and upload are released, A's stay A's.
        b.release_claims()?;
        assert_eq!(
            b.claim_job()?.map(|c| c.job.id),
            Some(b_job.id),
            "B's released job waits again"
        );
        assert!(
            b.claim_job()?.is_none(),
            "A's live claim is not B's to take"
        );
        assert_eq!(lease_of(&database, a_job.id)?, (Some("a".to_owned()), true));
        assert_eq!(
            b.begin_upload(org, b_upload.id)?,
            Some(UploadStart::Started),
            "B's interrupted upload is uploadable again"
        );
        assert_eq!(
            b.begin_upload(org, a_upload.id)?,
            Some(UploadStart::AlreadyUploaded),
            "A's upload in flight stays reserved"
        );
        assert!(a.finish_job(org, a_job.id, JobState::JobComplete, None, None)?);
        Ok(())
    }
}

/// Upload reservations against instance liveness: a reservation is its owner's while the owner's
/// heartbeat is younger than the lease, and free once it is older or gone.
mod liveness {
    use bulkforce_core::clock::Clock;
    use bulkforce_core::id::SfId;
    use bulkforce_core::job::Operation;
    use bulkforce_store::conformance::pg_database::TestDatabase;
    use bulkforce_store::conformance::{new_job, schema};
    use bulkforce_store::postgres::{PgOptions, PgStore};
    use bulkforce_store::{Result, Store, UploadStart};
    use std::time::{Duration, Instant};

    /// Short enough for a test to see a heartbeat lapse, long enough that renewals (every third of it)
    /// keep a live instance's heartbeat fresh on a busy machine.
    const LEASE: Duration = Duration::from_secs(3);

    /// How long a test waits for something that must happen (a lapse, a renewal) before failing.
    const DEADLINE: Duration = Duration::from_secs(30);

    fn instance(database: &TestDatabase, id: &str, lease: Duration) -> Result<PgStore> {
        let mut options = PgOptions::new(database.url.clone(), id);
        options.lease = lease;
        options.pool_size = 4;
        PgStore::connect(options, schema(), Clock::real())
    }

    /// An Open Account insert job of the default org, as `store` creates one.
    fn open_job(store: &PgStore) -> Result<(SfId, SfId)> {
        let admin = store.ensure_default_org()?;
        let job = store.create_job(
            admin.org_id,
            new_job(&admin, Operation::Insert, "Account", None),
        )?;
        Ok((admin.org_id, job.id))
    }

    /// `instance`'s heartbeat as the database holds it (None: no row).
    fn heartbeat(client: &mut postgres::Client, instance: &str) -> Result<Option<String>> {
        Ok(client
            .query_opt(
                "SELECT heartbeat::text FROM bulkforce.instances WHERE id = $1",
                &[&instance],
            )?
            .map(|row| row.get(0)))
    }

    /// Whether `instance`'s heartbeat is older than `LEASE` on the database's clock, or gone.
    fn lapsed(client: &mut postgres::Client, instance: &str) -> Result<bool> {
        let row = client.query_opt(
            "SELECT heartbeat < now() - make_interval(secs => $2) FROM bulkforce.instances WHERE id = $1",
            &[&instance, &LEASE.as_secs_f64()],
        )?;
        Ok(row.is_none_or(|row| row.get(0)))
    }

    fn upload_of(client: &mut postgres::Client, job: SfId) -> Result<(String, Option<String>)> {
        let row = client.query_one(
            "SELECT upload_state, upload_owner FROM bulkforce.jobs WHERE id = $1",
            &[&job.as_str()],
        )?;
        Ok((row.get(0), row.get(1)))
    }

    #[test]
    fn a_silent_instances_upload_is_free_once_its_heartbeat_is_older_than_the_lease() -> Result<()>
    {
        let database = TestDatabase::create();
        let mut client = postgres::Client::connect(&database.url, postgres::NoTls)?;
        let (a, b) = (
            instance(&database, "a", LEASE)?,
            instance(&database, "b", LEASE)?,
        );
        let (org, job) = open_job(&a)?;
        assert_eq!(a.begin_upload(org, job)?, Some(UploadStart::Started));
        assert_eq!(
            b.begin_upload(org, job)?,
            Some(UploadStart::AlreadyUploaded),
            "a live instance's upload stays reserved"
        );

        // A's renewal rounds keep its heartbeat fresh (and its reservation with it).
        let first = heartbeat(&mut client, "a")?;
        let deadline = Instant::now() + DEADLINE;
        while heartbeat(&mut client, "a")? == first {
            assert!(Instant::now() < deadline, "A's heartbeat was never renewed");
            std::thread::sleep(Duration::from_millis(50));
        }

        // A dies without releasing anything: refused while its heartbeat is young, free once it is old.
        a.stop_renewing_leases();
        let deadline = Instant::now() + DEADLINE;
        loop {
            let lapsed_before = lapsed(&mut client, "a")?;
            let answer = b.begin_upload(org, job)?;
            if answer == Some(UploadStart::Started) {
                assert!(
                    lapsed(&mut client, "a")?,
                    "taken while A's heartbeat was younger than the lease"
                );
                break;
            }
            assert_eq!(answer, Some(UploadStart::AlreadyUploaded));
            assert!(!lapsed_before, "refused although A's heartbeat had lapsed");
            assert!(Instant::now() < deadline, "A's upload was never freed");
            std::thread::sleep(Duration::from_millis(50));
        }
        assert_eq!(
            upload_of(&mut client, job)?,
            ("receiving".into(), Some("b".into()))
        );

        // A's request ending late changes nothing of B's upload; B's own end counts.
        a.end_upload(org, job, Some(100))?;
        a.end_upload(org, job, None)?;
        assert_eq!(
            upload_of(&mut client, job)?,
            ("receiving".into(), Some("b".into()))
        );
        b.end_upload(org, job, Some(42))?;
        assert_eq!(b.get_job(org, job)?.and_then(|j| j.upload_bytes), Some(42));
        assert_eq!(
            a.begin_upload(org, job)?,
            Some(UploadStart::AlreadyUploaded),
            "a finished upload refuses a second"
        );
        Ok(())
    }

    #[test]
    fn a_dropped_instances_upload_is_free_at_once() -> Result<()> {
        let database = TestDatabase::create();
        let mut client = postgres::Client::connect(&database.url, postgres::NoTls)?;
        // Leases far longer than the test: only the removed heartbeat can free the upload.
        let long = Duration::from_secs(600);
        let b = instance(&database, "b", long)?;
        let (org, job) = {
            let a = instance(&database, "a", long)?;
            let (org, job) = open_job(&a)?;
            assert_eq!(a.begin_upload(org, job)?, Some(UploadStart::Started));
            assert!(heartbeat(&mut client, "a")?.is_some());
            (org, job)
            // A is dropped here, its upload unfinished.
        };
        assert_eq!(heartbeat(&mut client, "a")?, None);
        assert!(heartbeat(&mut client, "b")?.is_some());
        assert_eq!(b.begin_upload(org, job)?, Some(UploadStart::Started));
        Ok(())
    }
}

/// Defects a review found, each with the test that failed before its fix (a file of its own, beside
/// this one, so that cargo does not take it for a test target).
#[path = "postgres_backend/review_fixes.rs"]
mod review_fixes;

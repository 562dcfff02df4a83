//! Defects a review found in the PostgreSQL backend, each pinned by a test that failed before its fix:
//! two writers of one org at once, lease renewal behind a long chunk transaction, per-org migrations
//! locking up-to-date tables, contention failing jobs, and -0.0 against 0.0 in a unique field.

use bulkforce_core::clock::Clock;
use bulkforce_core::id::SfId;
use bulkforce_core::ingest::{IngestPlan, RowOp, RowValues, UpsertKey};
use bulkforce_core::job::{Job, JobState, Operation};
use bulkforce_core::schema::Schema;
use bulkforce_core::value::Value;
use bulkforce_store::conformance::pg_database::TestDatabase;
use bulkforce_store::conformance::{Feed, chunk_of, new_job};
use bulkforce_store::postgres::{PgOptions, PgStore};
use bulkforce_store::{Chunk, ChunkCommit, ChunkSource, Result, RowOutcome, Store, StoreError};
use postgres::error::SqlState;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Short enough for a test to see a lease lapse, long enough that renewals (every third of it) keep
/// a live one on a busy machine.
const LEASE: Duration = Duration::from_secs(2);

/// How long a test waits for something that must happen before failing.
const DEADLINE: Duration = Duration::from_secs(30);

/// A non-unique external id on Account (`Code__c`), a unique number (`Score__c`), and an external id
/// whose index name is longer than PostgreSQL keeps (63 bytes), beside the conformance schema's fields.
fn schema() -> Arc<Schema> {
    let mut schema = (*bulkforce_store::conformance::schema()).clone();
    schema
        .merge_describe(
            r#"{"name":"Account","fields":[
                {"name":"Code__c","type":"string","length":80,"externalId":true,"unique":false,
                 "nillable":true,"createable":true,"updateable":true},
                {"name":"Score__c","type":"double","precision":18,"scale":2,"unique":true,
                 "nillable":true,"createable":true,"updateable":true},
                {"name":"External_Identifier_With_A_Rather_Long_Name_For_Tests__c","type":"string",
                 "length":80,"externalId":true,"nillable":true,"createable":true,"updateable":true}]}"#,
        )
        .expect("the review describe is valid");
    Arc::new(schema)
}

fn instance(database: &TestDatabase, id: &str) -> Result<PgStore> {
    let mut options = PgOptions::new(database.url.clone(), id);
    options.lease = LEASE;
    options.pool_size = 6;
    PgStore::connect(options, schema(), Clock::real())
}

fn client(database: &TestDatabase) -> Result<postgres::Client> {
    Ok(postgres::Client::connect(&database.url, postgres::NoTls)?)
}

/// An Account job of `operation` in the default org, uploaded and waiting to be claimed.
fn uploaded(store: &dyn Store, operation: Operation, key: Option<&str>) -> Result<(SfId, Job)> {
    let admin = store.ensure_default_org()?;
    let mut job = new_job(&admin, operation, "Account", None);
    job.external_id_field_name = key.map(str::to_owned);
    let job = store.create_job(admin.org_id, job)?;
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

/// Claims the next waiting job, as a worker does: InProgress, held by `store`.
fn claim(store: &dyn Store) -> Result<Job> {
    Ok(store
        .claim_job()?
        .ok_or_else(|| StoreError::Invalid("no job to claim".into()))?
        .job)
}

fn plan(store: &dyn Store, operation: Operation, key: Option<&str>, header: &[&str]) -> IngestPlan {
    let schema = store.schema();
    let account = schema.object("Account").expect("Account is built in");
    let header: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
    IngestPlan::new(schema, account.clone(), operation, key, &header)
        .expect("the review headers name Account fields")
}

fn field(store: &dyn Store, name: &str) -> usize {
    store
        .schema()
        .object("Account")
        .and_then(|o| o.field_index(name))
        .expect("the review names Account fields")
}

/// One writer per org: two jobs of one org whose transactions overlap behave as if they ran one after
/// the other, as on SQLite (one writer per org database).
mod org_writers {
    use super::*;

    /// Where each job's transaction waits before committing, until the other job's transaction either
    /// reached this point too or waits for a lock: so the two overlap as far as the store lets them.
    struct Rendezvous {
        arrived: std::sync::atomic::AtomicUsize,
        watcher: parking_lot::Mutex<postgres::Client>,
    }

    impl Rendezvous {
        fn meet(&self) -> Result<()> {
            use std::sync::atomic::Ordering;
            self.arrived.fetch_add(1, Ordering::SeqCst);
            let deadline = Instant::now() + DEADLINE;
            loop {
                if self.arrived.load(Ordering::SeqCst) >= 2 {
                    return Ok(());
                }
                let waiting: bool = self
                    .watcher
                    .lock()
                    .query_one(
                        "SELECT EXISTS (SELECT 1 FROM pg_stat_activity
                                        WHERE datname = current_database() AND wait_event_type = 'Lock')",
                        &[],
                    )?
                    .get(0);
                if waiting {
                    return Ok(());
                }
                if Instant::now() > deadline {
                    return Err(StoreError::Invalid(
                        "the other job neither came to commit nor waited".into(),
                    ));
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    /// A one-chunk run that meets the other before committing.
    struct MeetingFeed<'a> {
        feed: Feed,
        rendezvous: &'a Rendezvous,
    }

    impl ChunkSource for MeetingFeed<'_> {
        fn next_chunk(&mut self) -> Option<Chunk> {
            self.feed.next_chunk()
        }

        fn chunk_applied(
            &mut self,
            chunk: u64,
            outcomes: Vec<RowOutcome>,
            spent: Vec<RowValues>,
        ) -> Result<()> {
            self.feed.chunk_applied(chunk, outcomes, spent)
        }

        fn before_commit(&mut self) -> Result<()> {
            self.rendezvous.meet()
        }
    }

    fn upsert_keys(
        store: &PgStore,
        org: SfId,
        job: &Job,
        keys: &[String],
        rendezvous: &Rendezvous,
    ) -> Result<Vec<RowOutcome>> {
        let plan = plan(
            store,
            Operation::Upsert,
            Some("Code__c"),
            &["Code__c", "Name"],
        );
        let (code, name) = (field(store, "Code__c"), field(store, "Name"));
        let rows = keys
            .iter()
            .map(|key| {
                Ok(RowOp::Upsert {
                    key: UpsertKey::External {
                        field: code,
                        value: Value::Text(key.clone()),
                        text: key.clone(),
                    },
                    values: RowValues {
                        assignments: vec![(name, Value::Text(format!("By {}", job.id)))],
                        lookups: Vec::new(),
                    },
                })
            })
            .collect();
        let mut source = MeetingFeed {
            feed: Feed::default(),
            rendezvous,
        };
        let ending = store.apply_chunks(org, job, &plan, chunk_of(0, rows), &mut source)?;
        assert_eq!(ending, ChunkCommit::Committed);
        Ok(source.feed.applied.pop().expect("the chunk was applied").1)
    }

    /// Before: under READ COMMITTED both saw no record with these keys and both inserted them all.
    #[test]
    fn two_jobs_upserting_the_same_new_keys_of_a_non_unique_external_id_at_once_make_each_record_once()
    -> Result<()> {
        let database = TestDatabase::create();
        let store = instance(&database, "a")?;
        let (org, _) = uploaded(&store, Operation::Upsert, Some("Code__c"))?;
        uploaded(&store, Operation::Upsert, Some("Code__c"))?;
        // Two workers of this instance hold one job each.
        let jobs = [claim(&store)?, claim(&store)?];
        let before = store.count_records(org, "Account", true)?;
        let keys: Vec<String> = (0..200).map(|k| format!("K{k:03}")).collect();
        let rendezvous = Rendezvous {
            arrived: Default::default(),
            watcher: parking_lot::Mutex::new(client(&database)?),
        };
        let outcomes: Vec<Vec<RowOutcome>> = std::thread::scope(|scope| {
            let runs: Vec<_> = jobs
                .iter()
                .map(|job| scope.spawn(|| upsert_keys(&store, org, job, &keys, &rendezvous)))
                .collect();
            runs.into_iter()
                .map(|run| run.join().expect("a job's run panicked"))
                .collect::<Result<_>>()
        })?;

        assert_eq!(
            store.count_records(org, "Account", true)?,
            before + 200,
            "one record per key"
        );
        // As on SQLite: whichever job wrote first created every record, the other updated them.
        let created = |outcomes: &[RowOutcome]| -> Option<Vec<SfId>> {
            outcomes
                .iter()
                .map(|o| match o {
                    RowOutcome::Created(id) => Some(*id),
                    _ => None,
                })
                .collect()
        };
        let updated = |outcomes: &[RowOutcome]| -> Option<Vec<SfId>> {
            outcomes
                .iter()
                .map(|o| match o {
                    RowOutcome::Updated(id) => Some(*id),
                    _ => None,
                })
                .collect()
        };
        let (inserts, updates) = match (created(&outcomes[0]), created(&outcomes[1])) {
            (Some(ids), None) => (ids, updated(&outcomes[1])),
            (None, Some(ids)) => (ids, updated(&outcomes[0])),
            _ => panic!("exactly one job creates the records: {outcomes:?}"),
        };
        assert_eq!(
            Some(inserts),
            updates,
            "the other job updates the same records"
        );
        for job in &jobs {
            assert!(store.finish_job(org, job.id, JobState::JobComplete, None, None)?);
        }
        Ok(())
    }

    /// A transaction PostgreSQL gives up over contention is the store being momentarily unavailable:
    /// a worker pauses the job and resumes it from its checkpoint, never fails it.
    #[test]
    fn lock_timeouts_and_deadlocks_are_unavailable_never_a_failure() -> Result<()> {
        let database = TestDatabase::create();
        client(&database)?.batch_execute(
            "CREATE TABLE pair (id INTEGER PRIMARY KEY); INSERT INTO pair VALUES (1), (2)",
        )?;
        let (mut a, mut b) = (client(&database)?, client(&database)?);

        let mut holder = a.transaction()?;
        holder.execute("UPDATE pair SET id = id WHERE id = 1", &[])?;
        let mut waiter = b.transaction()?;
        waiter.batch_execute("SET LOCAL lock_timeout = 50")?;
        let timed_out = waiter
            .execute("UPDATE pair SET id = id WHERE id = 1", &[])
            .expect_err("row 1 is locked");
        assert_eq!(timed_out.code(), Some(&SqlState::LOCK_NOT_AVAILABLE));
        assert!(matches!(
            StoreError::from(timed_out),
            StoreError::Unavailable(_)
        ));
        drop(waiter);

        // Each locks one row, then wants the other's: PostgreSQL breaks the cycle by failing one.
        let mut other = b.transaction()?;
        other.execute("UPDATE pair SET id = id WHERE id = 2", &[])?;
        let cross = |mut tx: postgres::Transaction<'_>, id: i32| {
            let result = tx.execute("UPDATE pair SET id = id WHERE id = $1", &[&id]);
            // The loser's locks go with its transaction, so the winner goes on.
            drop(tx);
            result
        };
        let (first, second) = std::thread::scope(|scope| {
            let first = scope.spawn(|| cross(holder, 2));
            let second = cross(other, 1);
            (
                first.join().expect("a transaction's thread panicked"),
                second,
            )
        });
        let deadlocked = match (first, second) {
            (Err(e), Ok(_)) | (Ok(_), Err(e)) => e,
            other => panic!("exactly one transaction is the deadlock's victim: {other:?}"),
        };
        assert_eq!(deadlocked.code(), Some(&SqlState::T_R_DEADLOCK_DETECTED));
        assert!(matches!(
            StoreError::from(deadlocked),
            StoreError::Unavailable(_)
        ));
        Ok(())
    }
}

/// Lease renewal never waits behind this instance's own chunk transactions.
mod renewal {
    use super::*;
    use std::sync::mpsc;

    /// A one-chunk run that holds its transaction open before committing until told to go on.
    struct HeldFeed {
        feed: Feed,
        holding: mpsc::Sender<()>,
        go_on: mpsc::Receiver<()>,
    }

    impl ChunkSource for HeldFeed {
        fn next_chunk(&mut self) -> Option<Chunk> {
            self.feed.next_chunk()
        }

        fn chunk_applied(
            &mut self,
            chunk: u64,
            outcomes: Vec<RowOutcome>,
            spent: Vec<RowValues>,
        ) -> Result<()> {
            self.feed.chunk_applied(chunk, outcomes, spent)
        }

        fn before_commit(&mut self) -> Result<()> {
            let _ = self.holding.send(());
            self.go_on
                .recv_timeout(DEADLINE)
                .map_err(|_| StoreError::Invalid("the test never let the commit go on".into()))
        }
    }

    /// The job's lease as stored: owner, and whether it runs past the database's now.
    fn lease_of(client: &mut postgres::Client, job: SfId) -> Result<(Option<String>, bool)> {
        let row = client.query_one(
            "SELECT lease_owner, coalesce(lease_until > now(), false) FROM bulkforce.jobs WHERE id = $1",
            &[&job.as_str()],
        )?;
        Ok((row.get(0), row.get(1)))
    }

    /// Before: the renewal's one UPDATE of all owned jobs waited for the held job's row, so the other
    /// job's lease lapsed (and the heartbeat, written in the same round, aged) until the commit.
    #[test]
    fn a_chunk_transaction_held_open_past_the_lease_leaves_the_instances_other_jobs_leased()
    -> Result<()> {
        let database = TestDatabase::create();
        let mut watcher = client(&database)?;
        let (a, b) = (instance(&database, "a")?, instance(&database, "b")?);
        let (org, _) = uploaded(&a, Operation::Insert, None)?;
        uploaded(&a, Operation::Insert, None)?;
        let (held, other) = (claim(&a)?, claim(&a)?);
        let plan = plan(&a, Operation::Insert, None, &["Name"]);
        let row = Ok(RowOp::Insert(RowValues {
            assignments: vec![(field(&a, "Name"), Value::Text("Held".into()))],
            lookups: Vec::new(),
        }));
        let (holding_tx, holding) = mpsc::channel();
        let (go_on, go_on_rx) = mpsc::channel();
        std::thread::scope(|scope| -> Result<()> {
            let run = scope.spawn(|| {
                let mut source = HeldFeed {
                    feed: Feed::default(),
                    holding: holding_tx,
                    go_on: go_on_rx,
                };
                a.apply_chunks(org, &held, &plan, chunk_of(0, vec![row]), &mut source)
            });
            holding
                .recv_timeout(DEADLINE)
                .expect("the chunk reaches its commit");
            // Hold the transaction (and the held job's row) open past a whole lease, on the
            // database's clock: every lease this instance took before would have lapsed unrenewed.
            let until: std::time::SystemTime = watcher
                .query_one(
                    "SELECT now() + make_interval(secs => $1)",
                    &[&LEASE.as_secs_f64()],
                )?
                .get(0);
            let deadline = Instant::now() + DEADLINE;
            while watcher
                .query_one("SELECT now() <= $1", &[&until])?
                .get::<_, bool>(0)
            {
                assert!(Instant::now() < deadline, "the database clock stands still");
                std::thread::sleep(Duration::from_millis(50));
            }
            assert_eq!(
                lease_of(&mut watcher, other.id)?,
                (Some("a".to_owned()), true),
                "the other job's lease is renewed"
            );
            let fresh: bool = watcher
                .query_one(
                    "SELECT heartbeat >= now() - make_interval(secs => $2)
                     FROM bulkforce.instances WHERE id = $1",
                    &[&"a", &LEASE.as_secs_f64()],
                )?
                .get(0);
            assert!(fresh, "the instance's heartbeat stays fresh");
            assert!(
                b.claim_job()?.is_none(),
                "nothing of A's is B's to take: the other job is leased, the held one locked"
            );
            go_on.send(()).expect("the run waits");
            let ending = run.join().expect("the held run panicked")?;
            assert_eq!(ending, ChunkCommit::Committed);
            Ok(())
        })?;
        assert_eq!(
            lease_of(&mut watcher, held.id)?,
            (Some("a".to_owned()), true),
            "the commit extended the held job's lease"
        );
        assert!(b.claim_job()?.is_none());
        assert_eq!(a.checkpoint(org, held.id)?.map(|c| c.chunks_done), Some(1));
        Ok(())
    }
}

/// A per-org migration of an org already up to date takes no lock on its tables.
mod org_migration {
    use super::*;

    /// Before: the first use of an org by a second instance ran `ALTER TABLE … ADD COLUMN IF NOT
    /// EXISTS` for every column, which waits for ACCESS EXCLUSIVE behind any open reader (an export's
    /// cursor) and makes every later statement on the table queue behind it.
    #[test]
    fn an_up_to_date_org_is_used_by_a_new_instance_while_a_reader_holds_its_table() -> Result<()> {
        let database = TestDatabase::create();
        let a = instance(&database, "a")?;
        let org = a.ensure_default_org()?.org_id;
        assert_eq!(a.count_records(org, "Account", true)?, 0);
        let table = format!("org_{}.\"Account\"", org.as_str().to_ascii_lowercase());
        // Any wait for a lock now fails at once instead of hanging the test.
        let mut admin = client(&database)?;
        admin.batch_execute(
            "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET lock_timeout = 2000', current_database()); END $$",
        )?;

        let mut reader = client(&database)?;
        let mut reading = reader.transaction()?;
        reading.query(&format!("SELECT count(*) FROM {table}"), &[])?;
        let b = instance(&database, "b")?;
        assert_eq!(
            b.count_records(org, "Account", true)?,
            0,
            "B's first use of the org waits for no lock"
        );
        reading.rollback()?;

        // What is missing is still made: a dropped column and its index come back on the next
        // instance's first use.
        admin.batch_execute(&format!("ALTER TABLE {table} DROP COLUMN \"Code__c\""))?;
        let c = instance(&database, "c")?;
        assert_eq!(c.count_records(org, "Account", true)?, 0);
        let schema_name = format!("org_{}", org.as_str().to_ascii_lowercase());
        let column: i64 = admin
            .query_one(
                "SELECT count(*) FROM information_schema.columns
                 WHERE table_schema = $1 AND table_name = 'Account' AND column_name = 'Code__c'",
                &[&schema_name],
            )?
            .get(0);
        let index: i64 = admin
            .query_one(
                "SELECT count(*) FROM pg_indexes WHERE schemaname = $1 AND indexname = 'Account__Code__c'",
                &[&schema_name],
            )?
            .get(0);
        assert_eq!((column, index), (1, 1));
        Ok(())
    }
}

/// -0.0 and 0.0 are one value to a unique index, on both backends.
mod signed_zero {
    use super::*;

    /// Inserts Accounts with these scores as one chunk of a new job; the outcomes' codes (None: success).
    fn insert_scores(store: &dyn Store, scores: &[f64]) -> Result<Vec<Option<&'static str>>> {
        let (org, waiting) = uploaded(store, Operation::Insert, None)?;
        let job = claim(store)?;
        assert_eq!(job.id, waiting.id, "the only waiting job is claimed");
        let plan = plan(store, Operation::Insert, None, &["Name", "Score__c"]);
        let (name, score) = (field(store, "Name"), field(store, "Score__c"));
        let rows = scores
            .iter()
            .map(|s| {
                Ok(RowOp::Insert(RowValues {
                    assignments: vec![
                        (name, Value::Text(format!("Scored {s}"))),
                        (score, Value::Real(*s)),
                    ],
                    lookups: Vec::new(),
                }))
            })
            .collect();
        let mut feed = Feed::default();
        store.apply_chunks(org, &job, &plan, chunk_of(0, rows), &mut feed)?;
        assert!(store.finish_job(org, job.id, JobState::JobComplete, None, None)?);
        Ok(feed
            .applied
            .pop()
            .expect("the chunk was applied")
            .1
            .iter()
            .map(bulkforce_store::conformance::failure_code)
            .collect())
    }

    /// Before: PostgreSQL's checks told -0.0 from 0.0 by their bits, the insert met the index, and the
    /// conflict's explanation found no holder: `Corrupt`, and the job failed.
    #[test]
    fn minus_zero_clashes_with_zero_in_a_unique_field_as_on_sqlite() -> Result<()> {
        let database = TestDatabase::create();
        let postgres = instance(&database, "a")?;
        let dir = tempfile::tempdir()?;
        let sqlite = bulkforce_store::sqlite::SqliteStore::open(dir.path(), schema())?;
        let duplicate = Some("DUPLICATE_VALUE");
        for store in [&postgres as &dyn Store, &sqlite] {
            assert_eq!(insert_scores(store, &[0.0, -0.0])?, [None, duplicate]);
            assert_eq!(insert_scores(store, &[-0.0])?, [duplicate]);
            assert_eq!(insert_scores(store, &[1.5, -1.5])?, [None, None]);
        }
        Ok(())
    }
}

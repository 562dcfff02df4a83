//! bulkforce-store: everything that persists. The only crate that speaks SQL or touches blob files.
//!
//! The [`Store`] trait is what the server and the worker see; [`sqlite::SqliteStore`] is the embedded
//! implementation (one control database for orgs, users and tokens, and one database per org holding its
//! jobs and records, so orgs are isolated by construction). The trait is synchronous: callers on an async
//! runtime run it on blocking threads, and the worker is blocking code anyway (CSV parsing, file I/O).
//!
//! [`blob::BlobStore`] keeps uploads and result parts out of the database.
//!
//! With the `conformance` feature, `conformance` holds the trait's contract as tests that every backend
//! runs unchanged (`store_conformance_tests!`); `tests/conformance_sqlite.rs` runs them against SQLite.

mod auth;
mod auto_fields;
pub mod blob;
mod cascade;
#[cfg(feature = "conformance")]
pub mod conformance;
mod control_types;
mod error;
mod hold_requests;
mod job_row;
mod org_schema;
pub mod postgres;
pub mod private_fs;
mod rows;
mod rules;
pub mod s3;
pub mod snapshot;
mod soql_render;
pub mod sqlite;
pub mod usage;

use bulkforce_core::clock::{Clock, ClockSetting};
use bulkforce_core::error::RowError;
use bulkforce_core::id::SfId;
use bulkforce_core::ingest::{IngestPlan, RowFailure, RowOp, RowValues};
use bulkforce_core::job::{Job, JobKind, JobState, Operation};
use bulkforce_core::schema::Schema;
use chrono::{DateTime, Utc};
pub use control_types::{App, LockedUser, LockoutPolicy, LoginOutcome, Org, Principal, TokenKind};
pub use error::{Result, StoreError, Unreachable};
pub use snapshot::SnapshotInfo;
use std::sync::Arc;
pub use usage::ApiCounter;

/// One page of a job list, oldest first.
#[derive(Debug, Clone)]
pub struct JobPage {
    pub jobs: Vec<Job>,
    /// Where the next page starts, when there is one.
    pub next: Option<SfId>,
}

/// How many of an org's jobs have one operation and state (what `Store::count_jobs` returns; states and
/// operations without jobs are left out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobCount {
    pub operation: Operation,
    pub state: JobState,
    pub count: u64,
}

/// A job as the control API shows it: with its org (a job id does not name it) and whether it is held.
/// `held` is the emulator's own notion, never part of the Salesforce job JSON.
#[derive(Debug, Clone)]
pub struct JobSummary {
    pub org_id: SfId,
    pub job: Job,
    /// Held jobs are not claimed: an UploadComplete one stays so, an InProgress one stops after its
    /// current chunk until released.
    pub held: bool,
}

/// Which jobs `Store::list_job_summaries` returns (every `None` matches all), newest first.
#[derive(Debug, Clone, Default)]
pub struct JobFilter {
    pub org: Option<SfId>,
    pub kind: Option<JobKind>,
    pub state: Option<JobState>,
    /// The job's object, case-insensitive.
    pub object: Option<String>,
    pub limit: usize,
}

/// What a hold or a release came to.
#[derive(Debug, Clone)]
pub enum HoldChange {
    /// The job is now held (or released) as asked.
    Done(JobSummary),
    /// The job is in a final state: there is nothing left to hold, and it was left alone.
    Finished(JobSummary),
}

/// One state a job entered, and when: a job's timeline lists them oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateChange {
    pub state: JobState,
    pub at: DateTime<Utc>,
}

/// A record's stored columns as text, by column name.
pub type RecordFields = Vec<(String, Option<String>)>;

/// What the ingest worker needs to resume a job where it stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Checkpoint {
    /// Chunks committed so far; their result parts are final.
    pub chunks_done: u64,
    /// Byte offset of the first data row not yet committed (0: processing has not started).
    pub next_offset: u64,
    /// Physical line number of that row.
    pub next_line: u64,
}

/// The progress one chunk commits along with its records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkProgress {
    /// Index of this chunk; it must equal the job's `chunks_done`.
    pub chunk: u64,
    pub next_offset: u64,
    pub next_line: u64,
    pub active_ms: u64,
}

/// What happened to one row.
#[derive(Debug, Clone, PartialEq)]
pub enum RowOutcome {
    Created(SfId),
    Updated(SfId),
    Deleted(SfId),
    Failed { id: Option<SfId>, error: RowError },
}

impl RowOutcome {
    pub fn is_failure(&self) -> bool {
        matches!(self, RowOutcome::Failed { .. })
    }
}

impl From<RowFailure> for RowOutcome {
    fn from(f: RowFailure) -> Self {
        RowOutcome::Failed {
            id: f.id,
            error: f.error,
        }
    }
}

/// How a run of chunks ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkCommit {
    /// Every chunk the source handed over was applied and committed.
    Committed,
    /// The job left `InProgress` (aborted or deleted) meanwhile: the chunks applied before that was seen
    /// are committed, the one that saw it and any later ones are not.
    JobStopped,
}

/// One chunk of an ingest job: its rows and the progress it commits.
pub struct Chunk {
    pub rows: Vec<Result<RowOp, RowFailure>>,
    pub progress: ChunkProgress,
}

/// Where [`Store::apply_chunks`] takes its chunks from, and where it reports their outcomes.
///
/// Several chunks share one transaction: a commit writes every page the transaction dirtied to the WAL,
/// and at a million rows the pages of a random-order unique index are dirtied again by every chunk, so
/// committing each chunk alone rewrites most of that index each time. The source decides when the
/// transaction ends by returning `None`: typically when a time budget is spent, or when no chunk is ready
/// (so the writer never holds the database while waiting for input).
pub trait ChunkSource {
    /// The next chunk to apply in the open transaction, or `None` to commit now.
    fn next_chunk(&mut self) -> Option<Chunk>;

    /// The outcomes of the chunk `next_chunk` last returned (to write the chunk's result parts). Takes
    /// them by value so that the writing can go on elsewhere; an error rolls the whole transaction back.
    /// `spent` holds the values of the applied rows: freeing them is work the single writer need not do,
    /// so a source with another thread at hand drops them there.
    fn chunk_applied(
        &mut self,
        chunk: u64,
        outcomes: Vec<RowOutcome>,
        spent: Vec<RowValues>,
    ) -> Result<()>;

    /// Called once before the commit: whatever `chunk_applied` started must be durable when this returns,
    /// so that a committed chunk always has its result parts. An error rolls the transaction back.
    fn before_commit(&mut self) -> Result<()>;
}

/// The answer to the start of an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadStart {
    Started,
    NotOpen(JobState),
    AlreadyUploaded,
}

/// A job the worker has claimed, with where to resume it.
#[derive(Debug, Clone)]
pub struct ClaimedJob {
    pub org_id: SfId,
    pub job: Job,
    pub checkpoint: Checkpoint,
}

/// How a query runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryOptions {
    /// `queryAll`: soft-deleted rows too.
    pub include_deleted: bool,
    /// First month of the fiscal year (1 = January), for FISCAL_* date functions.
    pub fiscal_year_start_month: u32,
}

impl Default for QueryOptions {
    fn default() -> Self {
        QueryOptions {
            include_deleted: false,
            fiscal_year_start_month: 1,
        }
    }
}

/// The persistence the server needs.
pub trait Store: Send + Sync {
    /// The schema every org's records follow.
    fn schema(&self) -> &Arc<Schema>;

    /// Creates the default org and its admin user on first start; returns them on every start.
    fn ensure_default_org(&self) -> Result<Principal>;

    /// Creates an org with its admin user (password optional: token-only users cannot log in).
    fn create_org(&self, name: &str, username: &str, password: Option<&str>) -> Result<Principal>;

    /// Adds a user to an org (a User record too).
    fn create_user(
        &self,
        org: SfId,
        username: &str,
        password: Option<&str>,
        last_name: &str,
        first_name: &str,
    ) -> Result<Principal>;

    /// Sets a user's password; false if there is no such user.
    fn set_password(&self, username: &str, password: &str) -> Result<bool>;

    /// The user whose username and password these are (no lockout counted; see [`Store::login`]).
    fn login_password(&self, username: &str, password: &str) -> Result<Option<Principal>> {
        Ok(
            match self.login(
                username,
                password,
                &LockoutPolicy::NEVER,
                self.clock().now(),
            )? {
                LoginOutcome::Accepted(principal) => Some(principal),
                LoginOutcome::Refused | LoginOutcome::LockedOut => None,
            },
        )
    }

    /// A password login at `now` under `policy`: a wrong password counts towards a lockout, a right one
    /// restarts the count, a locked-out user is refused whatever the password. An unknown username takes
    /// as long to refuse as a wrong password. `StoreError::Busy` when too many checks run at once (that
    /// attempt is not counted).
    fn login(
        &self,
        username: &str,
        password: &str,
        policy: &LockoutPolicy,
        now: DateTime<Utc>,
    ) -> Result<LoginOutcome>;

    /// Users locked out at `now`, in every org.
    fn locked_users(&self, now: DateTime<Utc>) -> Result<Vec<LockedUser>>;

    /// Ends a user's lockout and restarts their count of wrong passwords; false if there is no such user.
    fn unlock_user(&self, username: &str) -> Result<bool>;

    /// A user by username (case-insensitive).
    fn find_user(&self, username: &str) -> Result<Option<Principal>>;

    /// Creates a connected app; returns it and its client secret (shown once, stored hashed).
    fn create_app(&self, org: SfId, name: &str, certificate: Option<&str>)
    -> Result<(App, String)>;

    /// A connected app by client id.
    fn find_app(&self, client_id: &str) -> Result<Option<App>>;

    /// A connected app by client id and secret.
    fn check_app(&self, client_id: &str, secret: &str) -> Result<Option<App>>;

    /// Stores a token (hashed) for `principal`; `expires_ms` is a Unix time in milliseconds.
    fn save_token(
        &self,
        principal: &Principal,
        token: &str,
        kind: TokenKind,
        app: Option<SfId>,
        expires_ms: Option<i64>,
    ) -> Result<()>;

    /// The principal (and app) of a live token of `kind`: not expired, not revoked.
    fn token_principal(
        &self,
        token: &str,
        kind: TokenKind,
    ) -> Result<Option<(Principal, Option<SfId>)>>;

    /// Revokes a token of either kind; false if it was unknown or already revoked.
    fn revoke_token(&self, token: &str) -> Result<bool>;

    fn list_orgs(&self) -> Result<Vec<Org>>;
    fn list_users(&self, org: SfId) -> Result<Vec<Principal>>;
    fn list_apps(&self, org: SfId) -> Result<Vec<App>>;

    /// Registers a long-lived access token for `principal` (the default admin token).
    fn register_token(&self, principal: &Principal, token: &str) -> Result<()> {
        self.save_token(principal, token, TokenKind::Access, None, None)
    }

    /// The principal a bearer token stands for.
    fn authenticate(&self, token: &str) -> Result<Option<Principal>> {
        Ok(self
            .token_principal(token, TokenKind::Access)?
            .map(|(p, _)| p))
    }

    /// Mints a job id and stores `job` under it; returns the stored job.
    fn create_job(&self, org: SfId, job: Job) -> Result<Job> {
        self.create_job_holding(org, job, false)
    }

    /// As [`Store::create_job`], the job held from the start when `hold` is set (`serve --hold-jobs`
    /// holds a query job at creation, before any worker can claim it).
    fn create_job_holding(&self, org: SfId, job: Job, hold: bool) -> Result<Job>;

    fn get_job(&self, org: SfId, id: SfId) -> Result<Option<Job>>;

    /// Jobs of one kind, oldest first, starting after `after`.
    fn list_jobs(
        &self,
        org: SfId,
        kind: JobKind,
        after: Option<SfId>,
        limit: usize,
    ) -> Result<JobPage>;

    /// The org's jobs counted by operation and state, in operation then state order: one cheap grouped
    /// count, for metrics scraped often.
    fn count_jobs(&self, org: SfId) -> Result<Vec<JobCount>>;

    /// Moves a job to `to` if its state is one of `from`; returns the job as it is afterwards, and whether
    /// it moved. `None` if the job does not exist.
    fn transition(
        &self,
        org: SfId,
        id: SfId,
        from: &[JobState],
        to: JobState,
        error_message: Option<&str>,
    ) -> Result<Option<(Job, bool)>> {
        self.transition_holding(org, id, from, to, error_message, false)
    }

    /// As [`Store::transition`], holding the job in the same transaction when it moves and `hold` is set
    /// (`serve --hold-jobs` holds each ingest job as it becomes UploadComplete, so no worker can claim it
    /// in between).
    fn transition_holding(
        &self,
        org: SfId,
        id: SfId,
        from: &[JobState],
        to: JobState,
        error_message: Option<&str>,
        hold: bool,
    ) -> Result<Option<(Job, bool)>>;

    /// Holds (`held`) or releases a job. A job in a final state is not held ([`HoldChange::Finished`]);
    /// releasing is always allowed. `None` if the job does not exist. Callers wake the workers after a
    /// release.
    fn set_job_held(&self, org: SfId, id: SfId, held: bool) -> Result<Option<HoldChange>>;

    /// Whether a hold of the job is being written right now ([`Store::set_job_held`] waiting for the org's
    /// writer, which a worker applying chunks keeps for a transaction): the worker's chunk source asks
    /// before each chunk, so that a hold takes effect after the current chunk, not the whole transaction.
    /// A job asked to be held counts as held for [`Store::give_up_held_job`].
    fn hold_requested(&self, org: SfId, id: SfId) -> bool;

    /// The job with whether it is held.
    fn job_summary(&self, org: SfId, id: SfId) -> Result<Option<JobSummary>>;

    /// A job by id in whichever org holds it.
    fn find_job(&self, id: SfId) -> Result<Option<JobSummary>>;

    /// [`Store::find_job`] with the job's timeline, both as of one moment (the job detail of the control
    /// API: its state and the last state of its timeline never disagree).
    fn find_job_detail(&self, id: SfId) -> Result<Option<(JobSummary, Vec<StateChange>)>>;

    /// Jobs of every org (or one) matching `filter`, newest first, at most `filter.limit`.
    fn list_job_summaries(&self, filter: &JobFilter) -> Result<Vec<JobSummary>>;

    /// Every state the job entered, oldest first (empty for jobs stored before timelines were kept).
    fn job_timeline(&self, org: SfId, id: SfId) -> Result<Vec<StateChange>>;

    /// Called by the worker between transactions: if the job is held, drops its claim (the job stays
    /// InProgress with its checkpoint, to be claimed again once released) and returns true; else false
    /// and the worker goes on.
    fn give_up_held_job(&self, org: SfId, id: SfId) -> Result<bool>;

    /// Reserves the job's single upload.
    fn begin_upload(&self, org: SfId, id: SfId) -> Result<Option<UploadStart>>;

    /// Records a finished upload of `bytes` bytes, or (`None`) releases a failed one. Only while the
    /// reservation [`Store::begin_upload`] made is still there: false when it is gone (released by
    /// [`Store::release_claims`] as the server shut down, or taken over), and then nothing is recorded:
    /// the caller must not answer the upload as received.
    fn end_upload(&self, org: SfId, id: SfId, bytes: Option<u64>) -> Result<bool>;

    /// Removes a job's metadata. Blobs are the caller's to remove.
    fn delete_job(&self, org: SfId, id: SfId) -> Result<bool>;

    /// Takes the oldest job waiting for processing (UploadComplete, or InProgress and unclaimed after a
    /// restart or a hold), ingest or query, not held, marks it InProgress and claimed.
    fn claim_job(&self) -> Result<Option<ClaimedJob>>;

    /// Makes every InProgress job claimable again, and every Open job whose upload was being received
    /// uploadable again: called once at start, when no worker can hold a job and no upload is in flight.
    fn release_claims(&self) -> Result<()>;

    /// Drops this process's claim of the InProgress job `id` (a worker that ended without recording the
    /// job's end, as when it panicked): the job is claimable again at once and resumes from its
    /// checkpoint. Nothing happens when this process does not hold the claim.
    fn release_claim(&self, org: SfId, id: SfId) -> Result<()>;

    /// Whether this process still holds its claim of the InProgress job `id`: false once the job left
    /// InProgress, a restore took it from its worker, or (PostgreSQL) the lease went to another
    /// instance. A cheap check for work that writes outside the database before its fenced end.
    fn holds_claim(&self, org: SfId, id: SfId) -> Result<bool>;

    /// Applies `first`, then the chunks `source` hands over, in one transaction, each with its progress
    /// (so a restart resumes after the last committed chunk), then commits. The org's database is held for
    /// writing until then: sources end the run within a short time budget.
    fn apply_chunks(
        &self,
        org: SfId,
        job: &Job,
        plan: &IngestPlan,
        first: Chunk,
        source: &mut dyn ChunkSource,
    ) -> Result<ChunkCommit>;

    /// Ends processing: JobComplete or Failed (with its message), if the job is still InProgress.
    /// `processed` replaces the record count when given (query jobs count their rows at the end).
    fn finish_job(
        &self,
        org: SfId,
        id: SfId,
        state: JobState,
        error_message: Option<&str>,
        processed: Option<u64>,
    ) -> Result<bool>;

    /// Where processing of a job stands.
    fn checkpoint(&self, org: SfId, id: SfId) -> Result<Option<Checkpoint>>;

    /// Runs a bound query, calling `visit` with each row's values (in SELECT order) until it returns false.
    /// Returns the number of rows visited.
    fn run_query(
        &self,
        org: SfId,
        query: &bulkforce_soql::bound::Query,
        options: QueryOptions,
        visit: &mut dyn FnMut(&[bulkforce_core::value::Value]) -> Result<bool>,
    ) -> Result<u64>;

    /// The number of rows a query returns, ignoring its OFFSET.
    fn count_query(
        &self,
        org: SfId,
        query: &bulkforce_soql::bound::Query,
        options: QueryOptions,
    ) -> Result<u64>;

    /// Counts the records of `object` (all, or only live ones); used by tests and the bench.
    fn count_records(&self, org: SfId, object: &str, include_deleted: bool) -> Result<u64>;

    /// Reads one record's stored values by field name, for checks.
    fn get_record(&self, org: SfId, object: &str, id: SfId) -> Result<Option<RecordFields>>;

    /// Empties the recycle bin of what was deleted before `deleted_before` (a soft-deleted record's
    /// `SystemModstamp` is its deletion time): those records are removed for good. Returns how many.
    /// Cheap when nothing is due (an index of the deleted records per table), so it may run often.
    /// Never opens an org's storage for it: on SQLite an org whose database is not open answers 0 (its
    /// database is purged when it opens), on PostgreSQL an org without a watermark of soft deletes
    /// not yet purged answers 0 after one lookup.
    fn purge_recycle_bin(&self, org: SfId, deleted_before: DateTime<Utc>) -> Result<u64>;

    /// [`Store::purge_recycle_bin`] of every org that may hold something due, as the server's
    /// background purge runs it every minute: it stays cheap with many orgs, touching only orgs with
    /// soft deletes possibly due (PostgreSQL: one query over a per-org watermark of the earliest
    /// delete not yet purged) and never opening an org's database for it (SQLite: the org databases
    /// already open; an org is purged when its database opens). Returns how many records were removed.
    fn purge_recycle_bins(&self, deleted_before: DateTime<Utc>) -> Result<u64>;

    /// Resets one org, as a test suite does between tests: its records (except the User records of its
    /// users and its Organization record), its jobs with their results (`blobs` under the org's folder)
    /// and its API counters are gone; the org, its users, apps and tokens stay, and so do its id
    /// sequences (an id is never minted twice). A worker processing one of its jobs finds the job gone and
    /// stops. Resetting the default org forgets its seed marker ([`Store::seed_marker`]). False for an
    /// unknown org.
    fn reset_org(&self, org: SfId, blobs: &dyn blob::BlobStore) -> Result<bool>;

    /// [`Store::reset_org`] for every org.
    fn reset_all(&self, blobs: &dyn blob::BlobStore) -> Result<()>;

    /// Takes a snapshot named `name` ([`snapshot::check_name`]) of every org's records and jobs, each org
    /// consistent as of one moment even while jobs run, with the blobs its jobs reference.
    /// `StoreError::Duplicate` if the name is taken, `StoreError::Invalid` for a bad name.
    fn create_snapshot(&self, name: &str, blobs: &dyn blob::BlobStore) -> Result<SnapshotInfo>;

    /// The complete snapshots, oldest first.
    fn list_snapshots(&self) -> Result<Vec<SnapshotInfo>>;

    /// Puts every org's records, jobs and blobs back as the snapshot holds them (an org the snapshot does
    /// not hold is reset); users, apps, tokens, API counters and id sequences stay as they are. Jobs that
    /// were InProgress in the snapshot resume from their checkpoint, as after a restart; a worker
    /// processing a job of a restored org stops at its next call to the store. Callers wake the workers
    /// after it. `StoreError::NotFound` for an unknown snapshot.
    fn restore_snapshot(&self, name: &str, blobs: &dyn blob::BlobStore) -> Result<SnapshotInfo>;

    /// Deletes a snapshot; `StoreError::NotFound` for an unknown one.
    fn delete_snapshot(&self, name: &str) -> Result<()>;

    /// Counts `n` of `counter` for `org` at `now` and returns the org's total over the 24 hours ending
    /// then. Every server instance sharing the store sees the same totals.
    fn add_api_usage(
        &self,
        org: SfId,
        counter: ApiCounter,
        n: u64,
        now: DateTime<Utc>,
    ) -> Result<u64>;

    /// The org's total of `counter` over the 24 hours ending at `now`.
    fn api_usage(&self, org: SfId, counter: ApiCounter, now: DateTime<Utc>) -> Result<u64>;

    /// The clock every timestamp the store writes or checks follows (records, jobs, token expiry), shared
    /// with the server so that both tell the same time.
    fn clock(&self) -> &Clock;

    /// The clock setting as stored (what every process sharing the store starts with).
    fn clock_setting(&self) -> Result<ClockSetting>;

    /// Stores a clock setting, then applies it to [`Store::clock`]: it holds from now on and across
    /// restarts, until set again. Settings made at once leave the clock on the one stored last.
    fn set_clock_setting(&self, setting: ClockSetting) -> Result<()>;

    /// The marker of the seed (`serve --seed`) loaded into the default org: what the seed wrote once its
    /// last file loaded, until the default org is reset ([`Store::reset_org`], [`Store::reset_all`]).
    fn seed_marker(&self) -> Result<Option<String>>;

    /// Stores the seed marker (a digest of the seed's files): the default org now holds that seed.
    fn set_seed_marker(&self, marker: &str) -> Result<()>;

    /// What `org`'s administrator switched on (everything off for an org never set). Settings are the
    /// org's configuration, not its data: resets and restores leave them as they are.
    fn org_settings(&self, org: SfId) -> Result<bulkforce_core::org::audit_fields::OrgSettings>;

    /// Stores `org`'s settings; every instance sharing the store follows them from its next request or
    /// job on. The caller checks that the org exists.
    fn set_org_settings(
        &self,
        org: SfId,
        settings: bulkforce_core::org::audit_fields::OrgSettings,
    ) -> Result<()>;

    /// The schema `org`'s writes and describes follow: [`Store::schema`], with the audit fields
    /// createable when the org lets clients set them on insert.
    fn org_schema(&self, org: SfId) -> Result<Arc<Schema>> {
        Ok(org_schema::org_schema(
            self.schema(),
            self.org_settings(org)?,
        ))
    }

    /// Runs `work` over one unit of REST record writes on `org` (a single record, a collection, a
    /// composite request, a tree): everything it applies commits together when it returns
    /// [`UnitEnd::Commit`], and nothing of it is kept when it returns [`UnitEnd::Rollback`] or an error.
    /// The org's database is held for writing meanwhile, so `work` must be short (REST bodies are small).
    /// `user` is who writes: records it creates or changes are stamped with that user's id (CreatedById,
    /// LastModifiedById, and OwnerId when a row does not set it), as an ingest job stamps its creator's.
    fn write_unit(
        &self,
        org: SfId,
        user: SfId,
        work: &mut dyn FnMut(&mut dyn RecordUnit) -> Result<UnitEnd>,
    ) -> Result<()>;
}

/// How a [`Store::write_unit`] ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitEnd {
    Commit,
    Rollback,
}

/// One open unit of REST record writes (see [`Store::write_unit`]): the same row rules as bulk ingest
/// (rows built by `IngestPlan`, outcomes as [`RowOutcome`]), and reads that see the unit's own writes, so a
/// composite request can read what an earlier subrequest wrote before anything commits.
pub trait RecordUnit {
    /// Applies rows of the plan's object and operation in order; a failed row is not applied and does not
    /// stop the others. Outcomes in row order.
    fn apply(
        &mut self,
        plan: &IngestPlan,
        rows: Vec<Result<RowOp, RowFailure>>,
    ) -> Result<Vec<RowOutcome>>;

    /// One record's stored values by field name (live or in the recycle bin), as the unit sees it.
    fn get_record(&mut self, object: &str, id: SfId) -> Result<Option<RecordFields>>;

    /// Runs a bound query as the unit sees it (see [`Store::run_query`]).
    fn run_query(
        &mut self,
        query: &bulkforce_soql::bound::Query,
        options: QueryOptions,
        visit: &mut dyn FnMut(&[bulkforce_core::value::Value]) -> Result<bool>,
    ) -> Result<u64>;

    /// Marks a point the unit can go back to; savepoints nest.
    fn savepoint(&mut self) -> Result<()>;

    /// Undoes everything applied since the latest savepoint, and forgets that savepoint.
    fn rollback_to_savepoint(&mut self) -> Result<()>;

    /// Keeps everything applied since the latest savepoint, and forgets that savepoint.
    fn release_savepoint(&mut self) -> Result<()>;

    /// Where the caller may keep what it derived from this unit's reads for the unit's life: a unit that
    /// wraps another to remember such things (and forget them when a write could change them) answers
    /// its memo; a plain unit keeps none, and the caller reads again each time.
    fn memo(&mut self) -> Option<&mut dyn std::any::Any> {
        None
    }
}

//! The shared store: PostgreSQL for everything that persists (see `ddl` for the layout), for any number
//! of `serve` instances at once.
//!
//! - Connections come from an r2d2 pool of synchronous `postgres` clients (the `Store` trait is
//!   synchronous; callers run it on blocking threads). A connection PostgreSQL closed or cannot open is
//!   [`StoreError::Unavailable`], which the server answers with 503 and the worker waits out.
//! - Jobs are claimed with `SELECT … FOR UPDATE SKIP LOCKED` and a lease (owner, epoch, expiry on the
//!   database's clock) that this instance renews while it works (`leases`). Every chunk commit is fenced on
//!   the lease in the same transaction: an owner that lost its lease can never commit.
//! - Each module adds the methods of one concern to [`PgStore`]; the `Store` impl below only forwards.

mod control;
mod data_ops;
pub(crate) mod ddl;
mod ids;
mod instances;
mod jobs;
mod leases;
mod org_lock;
mod query;
mod records;

use crate::blob::BlobStore;
use crate::snapshot::SnapshotInfo;
use crate::usage::ApiCounter;
use crate::{
    App, Checkpoint, Chunk, ChunkCommit, ChunkSource, ClaimedJob, HoldChange, JobCount, JobFilter,
    JobPage, JobSummary, LockedUser, LockoutPolicy, LoginOutcome, Org, Principal, QueryOptions,
    RecordFields, RecordUnit, Result, StateChange, Store, StoreError, TokenKind, UnitEnd,
    UploadStart,
};
use bulkforce_core::clock::{Clock, ClockSetting};
use bulkforce_core::id::SfId;
use bulkforce_core::ingest::IngestPlan;
use bulkforce_core::job::{Job, JobKind, JobState};
use bulkforce_core::schema::Schema;
use chrono::{DateTime, Utc};
use parking_lot::RwLock;
use r2d2_postgres::PostgresConnectionManager;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// A pooled connection.
pub(crate) type PgConn = r2d2::PooledConnection<PostgresConnectionManager<postgres::NoTls>>;

/// How this instance uses the shared database.
#[derive(Debug, Clone)]
pub struct PgOptions {
    /// `postgres://USER[:PASS]@HOST:PORT/DB`.
    pub url: String,
    /// Who owns the jobs this instance claims (`--instance-id`; default host name + pid).
    pub instance_id: String,
    /// How long a claim lasts without renewal (`--lease-seconds`): another instance takes a job over
    /// this long after its owner stopped renewing.
    pub lease: Duration,
    /// Connections kept open at most.
    pub pool_size: u32,
}

impl PgOptions {
    pub fn new(url: impl Into<String>, instance_id: impl Into<String>) -> PgOptions {
        PgOptions {
            url: url.into(),
            instance_id: instance_id.into(),
            lease: Duration::from_secs(30),
            pool_size: 16,
        }
    }
}

pub struct PgStore {
    pool: r2d2::Pool<PostgresConnectionManager<postgres::NoTls>>,
    schema: Arc<Schema>,
    clock: Clock,
    options: PgOptions,
    /// Orgs whose schema this process has brought up to date, with their id shard.
    orgs: RwLock<HashMap<SfId, u16>>,
    /// The leases this instance holds, renewed in the background while it works.
    leases: leases::Leases,
    /// Resets and snapshots: one at a time in this instance (instances serialize on an advisory lock).
    data_ops: parking_lot::Mutex<()>,
    /// Holds asked for and not yet written (see `crate::hold_requests`).
    hold_requests: crate::hold_requests::HoldRequests,
    /// Held while a clock setting is stored and applied, so the clock always matches the stored row.
    clock_setting_lock: parking_lot::Mutex<()>,
}

impl PgStore {
    /// Connects, runs the migrations, and sets `clock` to the stored clock setting. An unreachable
    /// database is [`StoreError::Unavailable`] with the reason (never a panic).
    pub fn connect(options: PgOptions, schema: Arc<Schema>, clock: Clock) -> Result<PgStore> {
        let config: postgres::Config = options
            .url
            .parse()
            .map_err(|e| StoreError::Invalid(format!("invalid database URL: {e}")))?;
        let manager = PostgresConnectionManager::new(config, postgres::NoTls);
        let pool = r2d2::Pool::builder()
            .max_size(options.pool_size)
            .connection_timeout(Duration::from_secs(10))
            .build(manager)
            .map_err(|e| StoreError::Unavailable(format!("cannot connect to PostgreSQL: {e}")))?;
        {
            let mut conn = pool.get().map_err(|e| {
                StoreError::Unavailable(format!("cannot connect to PostgreSQL: {e}"))
            })?;
            ddl::migrate(&mut conn)?;
            // Alive from the start: an upload this instance reserves is never taken for a dead one's.
            instances::arrive(&mut *conn, &options.instance_id, options.lease)?;
        }
        let store = PgStore {
            pool,
            schema,
            clock,
            leases: leases::Leases::new(&options),
            options,
            orgs: RwLock::new(HashMap::new()),
            data_ops: parking_lot::Mutex::new(()),
            hold_requests: crate::hold_requests::HoldRequests::default(),
            clock_setting_lock: parking_lot::Mutex::new(()),
        };
        store.clock.set(store.stored_clock_setting()?);
        store.leases.start_renewing(store.pool.clone());
        Ok(store)
    }

    /// A pooled connection; [`StoreError::Unavailable`] when none can be had.
    pub(crate) fn conn(&self) -> Result<PgConn> {
        self.pool
            .get()
            .map_err(|e| StoreError::Unavailable(format!("no PostgreSQL connection: {e}")))
    }

    /// Now on the store's clock, in Unix milliseconds as the tables keep domain times.
    pub(crate) fn now_ms(&self) -> i64 {
        self.clock.now().timestamp_millis()
    }

    /// The id shard of `org`, its schema migrated on first use in this process.
    pub(crate) fn org(&self, org: SfId) -> Result<u16> {
        if let Some(shard) = self.orgs.read().get(&org) {
            return Ok(*shard);
        }
        let mut conn = self.conn()?;
        let shard: i32 = conn
            .query_opt(
                "SELECT shard FROM bulkforce.orgs WHERE id = $1",
                &[&org.as_str()],
            )?
            .ok_or_else(|| StoreError::Invalid(format!("unknown org {org}")))?
            .get(0);
        ddl::migrate_org(&mut *conn, &self.schema, org)?;
        let shard = shard as u16;
        self.orgs.write().insert(org, shard);
        Ok(shard)
    }

    /// Every org's id, in id order.
    pub(crate) fn org_ids(&self) -> Result<Vec<SfId>> {
        let mut conn = self.conn()?;
        conn.query("SELECT id FROM bulkforce.orgs ORDER BY id", &[])?
            .iter()
            .map(|row| {
                let id: String = row.get(0);
                SfId::parse(&id).map_err(|e| StoreError::Corrupt(e.to_string()))
            })
            .collect()
    }

    /// The options this instance runs with.
    pub fn options(&self) -> &PgOptions {
        &self.options
    }
}

impl Store for PgStore {
    fn schema(&self) -> &Arc<Schema> {
        &self.schema
    }

    fn ensure_default_org(&self) -> Result<Principal> {
        self.pg_ensure_default_org()
    }

    fn create_org(&self, name: &str, username: &str, password: Option<&str>) -> Result<Principal> {
        self.pg_create_org(name, username, password)
    }

    fn create_user(
        &self,
        org: SfId,
        username: &str,
        password: Option<&str>,
        last_name: &str,
        first_name: &str,
    ) -> Result<Principal> {
        self.pg_create_user(org, username, password, last_name, first_name)
    }

    fn set_password(&self, username: &str, password: &str) -> Result<bool> {
        self.pg_set_password(username, password)
    }

    fn login(
        &self,
        username: &str,
        password: &str,
        policy: &LockoutPolicy,
        now: DateTime<Utc>,
    ) -> Result<LoginOutcome> {
        self.pg_login(username, password, policy, now)
    }

    fn locked_users(&self, now: DateTime<Utc>) -> Result<Vec<LockedUser>> {
        self.pg_locked_users(now)
    }

    fn unlock_user(&self, username: &str) -> Result<bool> {
        self.pg_unlock_user(username)
    }

    fn find_user(&self, username: &str) -> Result<Option<Principal>> {
        self.pg_find_user(username)
    }

    fn create_app(
        &self,
        org: SfId,
        name: &str,
        certificate: Option<&str>,
    ) -> Result<(App, String)> {
        self.pg_create_app(org, name, certificate)
    }

    fn find_app(&self, client_id: &str) -> Result<Option<App>> {
        self.pg_find_app(client_id)
    }

    fn check_app(&self, client_id: &str, secret: &str) -> Result<Option<App>> {
        self.pg_check_app(client_id, secret)
    }

    fn save_token(
        &self,
        principal: &Principal,
        token: &str,
        kind: TokenKind,
        app: Option<SfId>,
        expires_ms: Option<i64>,
    ) -> Result<()> {
        self.pg_save_token(principal, token, kind, app, expires_ms)
    }

    fn token_principal(
        &self,
        token: &str,
        kind: TokenKind,
    ) -> Result<Option<(Principal, Option<SfId>)>> {
        self.pg_token_principal(token, kind)
    }

    fn revoke_token(&self, token: &str) -> Result<bool> {
        self.pg_revoke_token(token)
    }

    fn list_orgs(&self) -> Result<Vec<Org>> {
        self.pg_list_orgs()
    }

    fn list_users(&self, org: SfId) -> Result<Vec<Principal>> {
        self.pg_list_users(org)
    }

    fn list_apps(&self, org: SfId) -> Result<Vec<App>> {
        self.pg_list_apps(org)
    }

    fn create_job_holding(&self, org: SfId, job: Job, hold: bool) -> Result<Job> {
        self.pg_create_job(org, job, hold)
    }

    fn get_job(&self, org: SfId, id: SfId) -> Result<Option<Job>> {
        self.pg_get_job(org, id)
    }

    fn list_jobs(
        &self,
        org: SfId,
        kind: JobKind,
        after: Option<SfId>,
        limit: usize,
    ) -> Result<JobPage> {
        self.pg_list_jobs(org, kind, after, limit)
    }

    fn count_jobs(&self, org: SfId) -> Result<Vec<JobCount>> {
        self.pg_count_jobs(org)
    }

    fn transition_holding(
        &self,
        org: SfId,
        id: SfId,
        from: &[JobState],
        to: JobState,
        error_message: Option<&str>,
        hold: bool,
    ) -> Result<Option<(Job, bool)>> {
        self.pg_transition(org, id, from, to, error_message, hold)
    }

    fn set_job_held(&self, org: SfId, id: SfId, held: bool) -> Result<Option<HoldChange>> {
        self.pg_set_job_held(org, id, held)
    }

    fn hold_requested(&self, org: SfId, id: SfId) -> bool {
        self.pg_hold_requested(org, id)
    }

    fn job_summary(&self, org: SfId, id: SfId) -> Result<Option<JobSummary>> {
        self.pg_job_summary(org, id)
    }

    fn find_job(&self, id: SfId) -> Result<Option<JobSummary>> {
        self.pg_find_job(id)
    }

    fn find_job_detail(&self, id: SfId) -> Result<Option<(JobSummary, Vec<StateChange>)>> {
        self.pg_find_job_detail(id)
    }

    fn list_job_summaries(&self, filter: &JobFilter) -> Result<Vec<JobSummary>> {
        self.pg_list_job_summaries(filter)
    }

    fn job_timeline(&self, org: SfId, id: SfId) -> Result<Vec<StateChange>> {
        self.pg_job_timeline(org, id)
    }

    fn give_up_held_job(&self, org: SfId, id: SfId) -> Result<bool> {
        self.pg_give_up_held_job(org, id)
    }

    fn begin_upload(&self, org: SfId, id: SfId) -> Result<Option<UploadStart>> {
        self.pg_begin_upload(org, id)
    }

    fn end_upload(&self, org: SfId, id: SfId, bytes: Option<u64>) -> Result<bool> {
        self.pg_end_upload(org, id, bytes)
    }

    fn delete_job(&self, org: SfId, id: SfId) -> Result<bool> {
        self.pg_delete_job(org, id)
    }

    fn claim_job(&self) -> Result<Option<ClaimedJob>> {
        self.pg_claim_job()
    }

    fn release_claims(&self) -> Result<()> {
        self.pg_release_claims()
    }

    fn release_claim(&self, org: SfId, id: SfId) -> Result<()> {
        self.pg_release_claim(org, id)
    }

    fn holds_claim(&self, org: SfId, id: SfId) -> Result<bool> {
        self.pg_holds_claim(org, id)
    }

    fn apply_chunks(
        &self,
        org: SfId,
        job: &Job,
        plan: &IngestPlan,
        first: Chunk,
        source: &mut dyn ChunkSource,
    ) -> Result<ChunkCommit> {
        self.pg_apply_chunks(org, job, plan, first, source)
    }

    fn finish_job(
        &self,
        org: SfId,
        id: SfId,
        state: JobState,
        error_message: Option<&str>,
        processed: Option<u64>,
    ) -> Result<bool> {
        self.pg_finish_job(org, id, state, error_message, processed)
    }

    fn checkpoint(&self, org: SfId, id: SfId) -> Result<Option<Checkpoint>> {
        self.pg_checkpoint(org, id)
    }

    fn run_query(
        &self,
        org: SfId,
        query: &bulkforce_soql::bound::Query,
        options: QueryOptions,
        visit: &mut dyn FnMut(&[bulkforce_core::value::Value]) -> Result<bool>,
    ) -> Result<u64> {
        self.pg_run_query(org, query, options, visit)
    }

    fn count_query(
        &self,
        org: SfId,
        query: &bulkforce_soql::bound::Query,
        options: QueryOptions,
    ) -> Result<u64> {
        self.pg_count_query(org, query, options)
    }

    fn count_records(&self, org: SfId, object: &str, include_deleted: bool) -> Result<u64> {
        self.pg_count_records(org, object, include_deleted)
    }

    fn get_record(&self, org: SfId, object: &str, id: SfId) -> Result<Option<RecordFields>> {
        self.pg_get_record(org, object, id)
    }

    fn purge_recycle_bin(&self, org: SfId, deleted_before: DateTime<Utc>) -> Result<u64> {
        self.pg_purge_recycle_bin(org, deleted_before)
    }

    fn purge_recycle_bins(&self, deleted_before: DateTime<Utc>) -> Result<u64> {
        self.pg_purge_recycle_bins(deleted_before)
    }

    fn reset_org(&self, org: SfId, blobs: &dyn BlobStore) -> Result<bool> {
        self.pg_reset_org(org, blobs)
    }

    fn reset_all(&self, blobs: &dyn BlobStore) -> Result<()> {
        self.pg_reset_all(blobs)
    }

    fn create_snapshot(&self, name: &str, blobs: &dyn BlobStore) -> Result<SnapshotInfo> {
        self.pg_create_snapshot(name, blobs)
    }

    fn list_snapshots(&self) -> Result<Vec<SnapshotInfo>> {
        self.pg_list_snapshots()
    }

    fn restore_snapshot(&self, name: &str, blobs: &dyn BlobStore) -> Result<SnapshotInfo> {
        self.pg_restore_snapshot(name, blobs)
    }

    fn delete_snapshot(&self, name: &str) -> Result<()> {
        self.pg_delete_snapshot(name)
    }

    fn add_api_usage(
        &self,
        org: SfId,
        counter: ApiCounter,
        n: u64,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        self.pg_add_api_usage(org, counter, n, now)
    }

    fn api_usage(&self, org: SfId, counter: ApiCounter, now: DateTime<Utc>) -> Result<u64> {
        self.pg_api_usage(org, counter, now)
    }

    fn clock(&self) -> &Clock {
        &self.clock
    }

    fn clock_setting(&self) -> Result<ClockSetting> {
        self.stored_clock_setting()
    }

    fn set_clock_setting(&self, setting: ClockSetting) -> Result<()> {
        self.pg_set_clock_setting(setting)
    }

    fn seed_marker(&self) -> Result<Option<String>> {
        self.pg_seed_marker()
    }

    fn set_seed_marker(&self, marker: &str) -> Result<()> {
        self.pg_set_seed_marker(marker)
    }

    fn org_settings(&self, org: SfId) -> Result<bulkforce_core::org::audit_fields::OrgSettings> {
        self.pg_org_settings(org)
    }

    fn set_org_settings(
        &self,
        org: SfId,
        settings: bulkforce_core::org::audit_fields::OrgSettings,
    ) -> Result<()> {
        self.pg_set_org_settings(org, settings)
    }

    fn write_unit(
        &self,
        org: SfId,
        user: SfId,
        work: &mut dyn FnMut(&mut dyn RecordUnit) -> Result<UnitEnd>,
    ) -> Result<()> {
        self.pg_write_unit(org, user, work)
    }
}

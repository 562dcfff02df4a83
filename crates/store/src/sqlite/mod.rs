//! The embedded store: SQLite files under the data directory.
//!
//! - `control.db`: orgs, users and (hashed) tokens.
//! - `orgs/<orgId>.db`: one database per org with its jobs, id sequences and one table per sObject.
//!
//! Each database has one writer connection (SQLite has a single writer) and a small pool of readers; WAL
//! lets readers run while a chunk is being written.

mod auth;
mod data_ops;
mod ddl;
pub(crate) mod functions;
use crate::hold_requests;
mod holds;
mod jobs;
pub(crate) mod query;
mod records;
mod recycle_bin;
mod reset;
mod settings;
mod snapshot;
mod timeline;

use crate::auth::{DEFAULT_ADMIN_USERNAME, DEFAULT_ORG_NAME};
use crate::blob::BlobStore;
use crate::snapshot::SnapshotInfo;
use crate::usage::{ApiCounter, RollingUsage};
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
use parking_lot::{Mutex, RwLock};
use rusqlite::{Connection, OptionalExtension};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Page cache of the writer connection: holds the hot index pages of large tables while bounding memory.
const WRITER_CACHE_KIB: i64 = 64 * 1024;
const READER_CACHE_KIB: i64 = 16 * 1024;
const POOLED_READERS: usize = 8;

pub struct SqliteStore {
    dir: PathBuf,
    schema: Arc<Schema>,
    control: Mutex<Connection>,
    orgs: RwLock<HashMap<SfId, Arc<OrgDb>>>,
    /// API usage, in memory: an embedded store serves one process, and Salesforce's own counters are
    /// approximate too; a restart starts the 24-hour window afresh.
    usage: RollingUsage,
    /// What "now" is for every timestamp the store writes or checks; its setting is persisted in
    /// `control.db` (see `settings`) and shared with whoever opened the store with it.
    clock: Clock,
    /// Resets and snapshots: one at a time, and the claims a restore took from workers.
    data_ops: data_ops::DataOps,
    /// Holds asked for and waiting for their org's writer, seen by the worker before each chunk.
    hold_requests: hold_requests::HoldRequests,
}

/// One org's database.
pub(crate) struct OrgDb {
    pub(crate) shard: u16,
    /// The store's clock, for the record and job timestamps written in this org.
    pub(crate) clock: Clock,
    path: PathBuf,
    pub(crate) writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
}

impl OrgDb {
    /// Runs `f` on a pooled read connection.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = match self.readers.lock().pop() {
            Some(conn) => conn,
            None => open_connection(&self.path, READER_CACHE_KIB)?,
        };
        let out = f(&conn);
        let mut pool = self.readers.lock();
        if pool.len() < POOLED_READERS {
            pool.push(conn);
        }
        out
    }
}

fn open_connection(path: &Path, cache_kib: i64) -> Result<Connection> {
    // Owner-only before SQLite creates it: its -wal and -shm files then get the same mode.
    crate::private_fs::create_private_file_if_missing(path)?;
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    functions::register(&conn)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "cache_size", -cache_kib)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // Checkpoint the WAL every 64 MiB rather than every 4 MiB: hot B-tree pages are copied back to the
    // database far less often during big jobs.
    conn.pragma_update(None, "wal_autocheckpoint", 16384)?;
    conn.set_prepared_statement_cache_capacity(256);
    Ok(conn)
}

impl SqliteStore {
    /// Opens (creating if needed) the store in `dir`, with `schema` for every org's records, on a clock of
    /// its own set as `control.db` says (real time unless a test froze or shifted it).
    pub fn open(dir: impl Into<PathBuf>, schema: Arc<Schema>) -> Result<SqliteStore> {
        SqliteStore::open_with_clock(dir, schema, Clock::real())
    }

    /// Opens the store on `clock`, shared with the caller (the server reads the same time): the clock is
    /// set at once to the setting persisted in `control.db`, so a restart keeps a frozen or shifted clock.
    pub fn open_with_clock(
        dir: impl Into<PathBuf>,
        schema: Arc<Schema>,
        clock: Clock,
    ) -> Result<SqliteStore> {
        let dir = dir.into();
        crate::private_fs::create_private_dir_all(&dir.join("orgs"))?;
        // Owner-only, whatever an older version or the umask left: the data dir itself, the control and
        // org databases with their WAL files (blobs tighten theirs when they open).
        crate::private_fs::create_private_dir_all(&dir)?;
        crate::private_fs::tighten(&dir.join("orgs"), &mut |_| Ok(false))?;
        for name in ["control.db", "control.db-wal", "control.db-shm"] {
            crate::private_fs::tighten(&dir.join(name), &mut |_| Ok(false))?;
        }
        let control = open_connection(&dir.join("control.db"), READER_CACHE_KIB)?;
        auth::create_schema(&control)?;
        settings::create_schema(&control)?;
        clock.set(settings::clock(&control)?);
        Ok(SqliteStore {
            dir,
            schema,
            control: Mutex::new(control),
            orgs: RwLock::new(HashMap::new()),
            usage: RollingUsage::default(),
            clock,
            data_ops: data_ops::DataOps::default(),
            hold_requests: hold_requests::HoldRequests::default(),
        })
    }

    /// Now on the store's clock, in Unix milliseconds as the databases keep times.
    pub(crate) fn now_ms(&self) -> i64 {
        self.clock.now().timestamp_millis()
    }

    /// The database of `org`, opened and migrated on first use.
    pub(crate) fn org(&self, org: SfId) -> Result<Arc<OrgDb>> {
        if let Some(db) = self.orgs.read().get(&org) {
            return Ok(db.clone());
        }
        let shard: u16 = self
            .control
            .lock()
            .query_row(
                "SELECT shard FROM orgs WHERE id = ?1",
                [org.as_str()],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| StoreError::Invalid(format!("unknown org {org}")))?;
        let mut orgs = self.orgs.write();
        if let Some(db) = orgs.get(&org) {
            return Ok(db.clone());
        }
        let path = self.dir.join("orgs").join(format!("{org}.db"));
        let writer = open_connection(&path, WRITER_CACHE_KIB)?;
        ddl::migrate(&writer, &self.schema)?;
        let db = Arc::new(OrgDb {
            shard,
            clock: self.clock.clone(),
            path,
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
        });
        // The background purge only visits open databases: what became due while this one was closed
        // goes now, before anyone reads it.
        let cutoff = bulkforce_core::org::recycle_bin::purge_cutoff(self.clock.now());
        recycle_bin::purge(&db, &self.schema, cutoff)?;
        orgs.insert(org, db.clone());
        Ok(db)
    }

    fn org_ids(&self) -> Result<Vec<SfId>> {
        let control = self.control.lock();
        let mut stmt = control.prepare("SELECT id FROM orgs ORDER BY id")?;
        let ids = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .map(|id| SfId::parse(&id?).map_err(|e| StoreError::Corrupt(e.to_string())))
            .collect::<Result<Vec<_>>>()?;
        Ok(ids)
    }
}

impl Store for SqliteStore {
    fn schema(&self) -> &Arc<Schema> {
        &self.schema
    }

    fn ensure_default_org(&self) -> Result<Principal> {
        match self.default_principal()? {
            Some(principal) => Ok(principal),
            None => self.new_org(DEFAULT_ORG_NAME, DEFAULT_ADMIN_USERNAME, None, true),
        }
    }

    fn create_org(&self, name: &str, username: &str, password: Option<&str>) -> Result<Principal> {
        self.new_org(name, username, password, false)
    }

    fn create_user(
        &self,
        org: SfId,
        username: &str,
        password: Option<&str>,
        last_name: &str,
        first_name: &str,
    ) -> Result<Principal> {
        self.new_user(org, username, password, last_name, first_name)
    }

    fn set_password(&self, username: &str, password: &str) -> Result<bool> {
        self.set_user_password(username, password)
    }

    fn login(
        &self,
        username: &str,
        password: &str,
        policy: &LockoutPolicy,
        now: DateTime<Utc>,
    ) -> Result<LoginOutcome> {
        self.password_login(username, password, policy, now)
    }

    fn locked_users(&self, now: DateTime<Utc>) -> Result<Vec<LockedUser>> {
        self.users_locked_at(now)
    }

    fn unlock_user(&self, username: &str) -> Result<bool> {
        self.unlock(username)
    }

    fn find_user(&self, username: &str) -> Result<Option<Principal>> {
        Ok(self.user_by_name(username)?.map(|(p, _)| p))
    }

    fn create_app(
        &self,
        org: SfId,
        name: &str,
        certificate: Option<&str>,
    ) -> Result<(App, String)> {
        self.new_app(org, name, certificate)
    }

    fn find_app(&self, client_id: &str) -> Result<Option<App>> {
        self.app(client_id)
    }

    fn check_app(&self, client_id: &str, secret: &str) -> Result<Option<App>> {
        self.app_with_secret(client_id, secret)
    }

    fn save_token(
        &self,
        principal: &Principal,
        token: &str,
        kind: TokenKind,
        app: Option<SfId>,
        expires_ms: Option<i64>,
    ) -> Result<()> {
        SqliteStore::save_token(self, principal, token, kind, app, expires_ms)
    }

    fn token_principal(
        &self,
        token: &str,
        kind: TokenKind,
    ) -> Result<Option<(Principal, Option<SfId>)>> {
        self.live_token(token, kind)
    }

    fn revoke_token(&self, token: &str) -> Result<bool> {
        self.revoke(token)
    }

    fn list_orgs(&self) -> Result<Vec<Org>> {
        self.all_orgs()
    }

    fn list_users(&self, org: SfId) -> Result<Vec<Principal>> {
        self.org_users(org)
    }

    fn list_apps(&self, org: SfId) -> Result<Vec<App>> {
        self.org_apps(org)
    }

    fn create_job_holding(&self, org: SfId, job: Job, hold: bool) -> Result<Job> {
        jobs::create(&*self.org(org)?, job, hold)
    }

    fn get_job(&self, org: SfId, id: SfId) -> Result<Option<Job>> {
        self.org(org)?.read(|conn| jobs::get(conn, id))
    }

    fn list_jobs(
        &self,
        org: SfId,
        kind: JobKind,
        after: Option<SfId>,
        limit: usize,
    ) -> Result<JobPage> {
        self.org(org)?
            .read(|conn| jobs::list(conn, kind, after, limit))
    }

    fn count_jobs(&self, org: SfId) -> Result<Vec<JobCount>> {
        self.org(org)?.read(jobs::count)
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
        let now = self.now_ms();
        let db = self.org(org)?;
        jobs::transition(&db.writer.lock(), id, from, to, error_message, hold, now)
    }

    fn set_job_held(&self, org: SfId, id: SfId, held: bool) -> Result<Option<HoldChange>> {
        let db = self.org(org)?;
        // Noted before the writer is asked for: a worker holding it for a transaction sees the hold at
        // its next chunk, instead of the hold waiting for the whole transaction.
        let _noted = held.then(|| self.hold_requests.note(org, id));
        holds::set_held(&db.writer.lock(), org, id, held)
    }

    fn hold_requested(&self, org: SfId, id: SfId) -> bool {
        self.hold_requests.is_noted(org, id)
    }

    fn job_summary(&self, org: SfId, id: SfId) -> Result<Option<JobSummary>> {
        self.org(org)?.read(|conn| holds::summary(conn, org, id))
    }

    fn find_job(&self, id: SfId) -> Result<Option<JobSummary>> {
        self.find_job_in_orgs(id)
    }

    fn find_job_detail(&self, id: SfId) -> Result<Option<(JobSummary, Vec<StateChange>)>> {
        self.find_job_detail_in_orgs(id)
    }

    fn list_job_summaries(&self, filter: &JobFilter) -> Result<Vec<JobSummary>> {
        self.job_summaries(filter)
    }

    fn job_timeline(&self, org: SfId, id: SfId) -> Result<Vec<StateChange>> {
        self.org(org)?.read(|conn| timeline::read(conn, id))
    }

    fn give_up_held_job(&self, org: SfId, id: SfId) -> Result<bool> {
        let db = self.org(org)?;
        let writer = db.writer.lock();
        holds::give_up(&writer, id, self.hold_requests.is_noted(org, id))
    }

    fn begin_upload(&self, org: SfId, id: SfId) -> Result<Option<UploadStart>> {
        jobs::begin_upload(&self.org(org)?.writer.lock(), id)
    }

    fn end_upload(&self, org: SfId, id: SfId, bytes: Option<u64>) -> Result<bool> {
        jobs::end_upload(&self.org(org)?.writer.lock(), id, bytes, self.now_ms())
    }

    fn delete_job(&self, org: SfId, id: SfId) -> Result<bool> {
        let db = self.org(org)?;
        let conn = db.writer.lock();
        Ok(conn.execute("DELETE FROM bf_jobs WHERE id = ?1", [id.as_str()])? > 0)
    }

    fn claim_job(&self) -> Result<Option<ClaimedJob>> {
        for org_id in self.org_ids()? {
            let db = self.org(org_id)?;
            if let Some((job, checkpoint)) = jobs::claim(&db.writer.lock(), self.now_ms())? {
                self.data_ops.claimed(org_id, job.id);
                return Ok(Some(ClaimedJob {
                    org_id,
                    job,
                    checkpoint,
                }));
            }
        }
        Ok(None)
    }

    fn release_claims(&self) -> Result<()> {
        for org_id in self.org_ids()? {
            let db = self.org(org_id)?;
            let writer = db.writer.lock();
            writer.execute("UPDATE bf_jobs SET claimed = 0 WHERE claimed = 1", [])?;
            jobs::release_interrupted_uploads(&writer)?;
        }
        Ok(())
    }

    fn release_claim(&self, org: SfId, id: SfId) -> Result<()> {
        let db = self.org(org)?;
        let writer = db.writer.lock();
        // A claim a restore marked stale is dropped the same way, its mark with it.
        if !self.data_ops.release_if_stale(&writer, org, id)? {
            writer.execute(
                "UPDATE bf_jobs SET claimed = 0 WHERE id = ?1 AND claimed = 1 AND state = 'InProgress'",
                [id.as_str()],
            )?;
        }
        Ok(())
    }

    fn holds_claim(&self, org: SfId, id: SfId) -> Result<bool> {
        if self.data_ops.is_stale(org, id) {
            return Ok(false);
        }
        self.org(org)?.read(|conn| jobs::is_claimed(conn, id))
    }

    fn apply_chunks(
        &self,
        org: SfId,
        job: &Job,
        plan: &IngestPlan,
        first: Chunk,
        source: &mut dyn ChunkSource,
    ) -> Result<ChunkCommit> {
        let db = self.org(org)?;
        let mut conn = db.writer.lock();
        if self.data_ops.release_if_stale(&conn, org, job.id)? {
            return Ok(ChunkCommit::JobStopped);
        }
        records::apply_chunks(&mut conn, &db, &self.schema, job, plan, first, source)
    }

    fn finish_job(
        &self,
        org: SfId,
        id: SfId,
        state: JobState,
        error_message: Option<&str>,
        processed: Option<u64>,
    ) -> Result<bool> {
        let db = self.org(org)?;
        let writer = db.writer.lock();
        if self.data_ops.release_if_stale(&writer, org, id)? {
            return Ok(false);
        }
        jobs::finish(&writer, id, state, error_message, processed, self.now_ms())
    }

    fn run_query(
        &self,
        org: SfId,
        query: &bulkforce_soql::bound::Query,
        options: QueryOptions,
        visit: &mut dyn FnMut(&[bulkforce_core::value::Value]) -> Result<bool>,
    ) -> Result<u64> {
        self.org(org)?
            .read(|conn| query::run(conn, self.formula_env(), query, &options, visit))
    }

    fn count_query(
        &self,
        org: SfId,
        query: &bulkforce_soql::bound::Query,
        options: QueryOptions,
    ) -> Result<u64> {
        self.org(org)?
            .read(|conn| query::count(conn, self.formula_env(), query, &options))
    }

    fn checkpoint(&self, org: SfId, id: SfId) -> Result<Option<Checkpoint>> {
        self.org(org)?.read(|conn| jobs::checkpoint(conn, id))
    }

    fn count_records(&self, org: SfId, object: &str, include_deleted: bool) -> Result<u64> {
        let table = ddl::table_name(&self.schema, object)?;
        self.org(org)?.read(|conn| {
            let filter = if include_deleted {
                ""
            } else {
                " WHERE \"IsDeleted\" = 0"
            };
            Ok(
                conn.query_row(&format!("SELECT COUNT(*) FROM {table}{filter}"), [], |r| {
                    r.get::<_, i64>(0)
                })? as u64,
            )
        })
    }

    fn get_record(&self, org: SfId, object: &str, id: SfId) -> Result<Option<RecordFields>> {
        let table = ddl::table_name(&self.schema, object)?;
        self.org(org)?
            .read(|conn| records::get_record(conn, &table, id))
    }

    fn purge_recycle_bin(&self, org: SfId, deleted_before: DateTime<Utc>) -> Result<u64> {
        let open = self.orgs.read().get(&org).cloned();
        match open {
            Some(db) => recycle_bin::purge(&db, &self.schema, deleted_before),
            None => Ok(0),
        }
    }

    fn purge_recycle_bins(&self, deleted_before: DateTime<Utc>) -> Result<u64> {
        let open: Vec<Arc<OrgDb>> = self.orgs.read().values().cloned().collect();
        let mut purged = 0;
        for db in open {
            purged += recycle_bin::purge(&db, &self.schema, deleted_before)?;
        }
        Ok(purged)
    }

    fn write_unit(
        &self,
        org: SfId,
        user: SfId,
        work: &mut dyn FnMut(&mut dyn RecordUnit) -> Result<UnitEnd>,
    ) -> Result<()> {
        let db = self.org(org)?;
        let mut conn = db.writer.lock();
        // Dropping the transaction without a commit (an error from `work`, a rollback) undoes it whole.
        let tx = conn.transaction()?;
        let end = work(&mut records::SqliteUnit::new(&tx, &db, &self.schema, user))?;
        match end {
            UnitEnd::Commit => tx.commit()?,
            UnitEnd::Rollback => tx.rollback()?,
        }
        Ok(())
    }

    fn add_api_usage(
        &self,
        org: SfId,
        counter: ApiCounter,
        n: u64,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        Ok(self.usage.add(org, counter, n, now))
    }

    fn api_usage(&self, org: SfId, counter: ApiCounter, now: DateTime<Utc>) -> Result<u64> {
        Ok(self.usage.total(org, counter, now))
    }

    fn reset_org(&self, org: SfId, blobs: &dyn BlobStore) -> Result<bool> {
        self.data_ops
            .one_at_a_time(|| self.reset_org_now(org, blobs))
    }

    fn reset_all(&self, blobs: &dyn BlobStore) -> Result<()> {
        self.data_ops.one_at_a_time(|| {
            for org in self.org_ids()? {
                self.reset_org_now(org, blobs)?;
            }
            Ok(())
        })
    }

    fn create_snapshot(&self, name: &str, blobs: &dyn BlobStore) -> Result<SnapshotInfo> {
        self.data_ops
            .one_at_a_time(|| self.create_snapshot_now(name, blobs))
    }

    fn list_snapshots(&self) -> Result<Vec<SnapshotInfo>> {
        self.snapshots()
    }

    fn restore_snapshot(&self, name: &str, blobs: &dyn BlobStore) -> Result<SnapshotInfo> {
        self.data_ops
            .one_at_a_time(|| self.restore_snapshot_now(name, blobs))
    }

    fn delete_snapshot(&self, name: &str) -> Result<()> {
        self.data_ops
            .one_at_a_time(|| self.delete_snapshot_now(name))
    }

    fn clock(&self) -> &Clock {
        &self.clock
    }

    fn clock_setting(&self) -> Result<ClockSetting> {
        settings::clock(&self.control.lock())
    }

    fn set_clock_setting(&self, setting: ClockSetting) -> Result<()> {
        // The lock is held until the clock is set too: two settings made at once then reach the stored
        // row and the clock in the same order, so the clock is always the stored setting.
        let control = self.control.lock();
        settings::set_clock(&control, setting)?;
        self.clock.set(setting);
        Ok(())
    }

    fn seed_marker(&self) -> Result<Option<String>> {
        settings::seed_marker(&self.control.lock())
    }

    fn set_seed_marker(&self, marker: &str) -> Result<()> {
        settings::set_seed_marker(&self.control.lock(), marker)
    }

    fn org_settings(&self, org: SfId) -> Result<bulkforce_core::org::audit_fields::OrgSettings> {
        settings::org_settings(&self.control.lock(), org)
    }

    fn set_org_settings(
        &self,
        org: SfId,
        settings: bulkforce_core::org::audit_fields::OrgSettings,
    ) -> Result<()> {
        settings::set_org_settings(&self.control.lock(), org, settings)
    }
}

//! Job leases: which instance owns which InProgress job, under which epoch, until when.
//!
//! The invariant: a job's rows and progress are only ever committed by the transaction that holds the
//! job's current lease. A claim (`jobs::claims`) sets `lease_owner` to this instance, bumps `lease_epoch`
//! and sets `lease_until` on the DATABASE's clock (never the test clock: instances must agree on it). While
//! this instance lives, a background thread extends `lease_until` every lease/3 for the jobs it still
//! owns. Every chunk commit and every finish calls [`fence`] first, in its own transaction: it locks the
//! job row and checks owner, epoch and state. An instance that stopped renewing (killed, partitioned,
//! paused) loses the job once `lease_until` passes; the next claim bumps the epoch, so the stale owner's
//! next fence fails and its transaction commits nothing. The row lock taken by the fence keeps a claim
//! (`FOR UPDATE SKIP LOCKED`) off the job until the fenced transaction ends, so a takeover never races a
//! commit.
//!
//! The same thread keeps this instance's heartbeat (`instances`) fresh, so that other instances can tell
//! an upload reservation of a live instance from one a dead instance left behind; it removes the
//! heartbeat when the store is dropped.

use super::{PgStore, instances};
use crate::{ChunkProgress, Result};
use bulkforce_core::id::SfId;
use parking_lot::{Condvar, Mutex};
use postgres::NoTls;
use r2d2_postgres::PostgresConnectionManager;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

type Pool = r2d2::Pool<PostgresConnectionManager<NoTls>>;

/// The leases this instance holds, and the thread renewing them.
pub(crate) struct Leases {
    pub(crate) instance_id: String,
    pub(crate) lease: Duration,
    shared: Arc<Shared>,
    renewer: Mutex<Option<JoinHandle<()>>>,
}

/// What the renewal thread shares with the store.
#[derive(Default)]
struct Shared {
    /// (org, job) -> the epoch of this instance's claim.
    owned: Mutex<HashMap<(SfId, SfId), i64>>,
    /// Set once: the renewal thread ends at its next wake-up (woken at once by `wake`).
    stopped: Mutex<bool>,
    /// Set with `stopped` when the store is dropped: the thread removes this instance's heartbeat on its
    /// way out (a plain [`Leases::stop`] keeps it, as a death would, and lets it age).
    departing: AtomicBool,
    wake: Condvar,
}

impl Leases {
    pub(crate) fn new(options: &super::PgOptions) -> Leases {
        Leases {
            instance_id: options.instance_id.clone(),
            lease: options.lease,
            shared: Arc::default(),
            renewer: Mutex::new(None),
        }
    }

    /// The lease length in seconds, as the SQL statements take it.
    pub(crate) fn lease_secs(&self) -> f64 {
        self.lease.as_secs_f64()
    }

    /// Notes a claim of `job` under `epoch`: renewed from now on, and what [`fence`] checks.
    pub(crate) fn remember(&self, org: SfId, job: SfId, epoch: i64) {
        self.shared.owned.lock().insert((org, job), epoch);
    }

    /// Forgets `job` (finished, given up, released): no longer renewed.
    pub(crate) fn forget(&self, org: SfId, job: SfId) {
        self.shared.owned.lock().remove(&(org, job));
    }

    /// Forgets every claim (all released).
    pub(crate) fn forget_all(&self) {
        self.shared.owned.lock().clear();
    }

    /// The epoch of this instance's claim of `job`, if it claimed it.
    pub(crate) fn epoch(&self, org: SfId, job: SfId) -> Option<i64> {
        self.shared.owned.lock().get(&(org, job)).copied()
    }

    /// Starts renewing this instance's leases every lease/3 in the background, until [`Leases::stop`]
    /// or the drop of the store. The thread holds only what it shares with `Leases` and a pool handle.
    pub(crate) fn start_renewing(&self, pool: Pool) {
        let shared = Arc::clone(&self.shared);
        let instance_id = self.instance_id.clone();
        let lease = self.lease;
        let spawned = std::thread::Builder::new()
            .name("bulkforce-leases".into())
            .spawn(move || renew_until_stopped(&shared, &pool, &instance_id, lease));
        match spawned {
            Ok(handle) => *self.renewer.lock() = Some(handle),
            // Without the thread the leases lapse and other instances take the jobs over: degraded, but
            // never wrong (the fence still holds).
            Err(e) => tracing::error!("cannot start the lease renewal thread: {e}"),
        }
    }

    /// Stops renewing (at once) and waits for the renewal thread to end.
    pub(crate) fn stop(&self) {
        *self.shared.stopped.lock() = true;
        self.shared.wake.notify_all();
        if let Some(handle) = self.renewer.lock().take() {
            let _ = handle.join();
        }
    }
}

impl Drop for Leases {
    /// The thread ends with the store (and with it its pool handle, so no connection outlives the store),
    /// removing this instance's heartbeat first: on its own thread, because the store may be dropped on
    /// an async runtime's thread, where the synchronous client must not block.
    fn drop(&mut self) {
        self.shared.departing.store(true, Ordering::SeqCst);
        self.stop();
    }
}

fn renew_until_stopped(shared: &Shared, pool: &Pool, instance_id: &str, lease: Duration) {
    let every = lease / 3;
    loop {
        {
            let mut stopped = shared.stopped.lock();
            if !*stopped {
                shared.wake.wait_for(&mut stopped, every);
            }
            if *stopped {
                break;
            }
        }
        // The database may be away: the heartbeat and the leases may lapse meanwhile (other instances
        // then take this instance's uploads for released, and the fence stops its transactions); the
        // next round tries again. The heartbeat is its own statement, written first and whatever the
        // renewal meets, so this instance's liveness never waits on its jobs' rows.
        match pool.get() {
            Ok(mut conn) => {
                if let Err(e) = instances::beat(&mut *conn, instance_id) {
                    tracing::warn!("writing this instance's heartbeat failed: {e}");
                }
                if let Err(e) = renew_once(shared, &mut conn, instance_id, lease) {
                    tracing::warn!("renewing this instance's job leases failed: {e}");
                }
            }
            Err(e) => tracing::warn!("no connection to renew this instance's leases: {e}"),
        }
    }
    if shared.departing.load(Ordering::SeqCst) {
        // Bounded: a database that is away must not hold up the drop of the store for long.
        let departed = pool
            .get_timeout(Duration::from_secs(2))
            .map_err(|e| crate::StoreError::Unavailable(e.to_string()))
            .and_then(|mut conn| instances::depart(&mut *conn, instance_id));
        if let Err(e) = departed {
            // The heartbeat then ages out: this instance's reservations are free after one lease.
            tracing::warn!("removing this instance's heartbeat failed: {e}");
        }
    }
}

/// Extends the lease of every job this instance still owns; forgets those it lost.
///
/// A job whose row is locked is skipped (`SKIP LOCKED`), not waited for: the lock is this instance's
/// own fenced chunk transaction (which extends the lease itself as it commits, see [`extend_lease`]),
/// or a short state change; waiting would hold every other job's renewal behind a transaction that may
/// run for as long as a chunk run takes, and their leases would lapse. `lock_timeout` bounds what is
/// left to wait for (a table lock), so a round always ends before the next is due.
fn renew_once(
    shared: &Shared,
    conn: &mut postgres::Client,
    instance_id: &str,
    lease: Duration,
) -> Result<()> {
    let owned: Vec<((SfId, SfId), i64)> = shared
        .owned
        .lock()
        .iter()
        .map(|(key, epoch)| (*key, *epoch))
        .collect();
    if owned.is_empty() {
        return Ok(());
    }
    let ids: Vec<&str> = owned.iter().map(|((_, job), _)| job.as_str()).collect();
    let epochs: Vec<i64> = owned.iter().map(|(_, epoch)| *epoch).collect();
    let mine = "SELECT id FROM bulkforce.jobs
                WHERE lease_owner = $1 AND state = 'InProgress'
                  AND (id, lease_epoch) IN (SELECT * FROM unnest($2::text[], $3::bigint[]))";
    let mut tx = conn.transaction()?;
    let wait_ms = (lease / 3).as_millis().max(1);
    tx.batch_execute(&format!("SET LOCAL lock_timeout = {wait_ms}"))?;
    // Still this instance's as last committed: a job locked by its own chunk transaction is one.
    let held: Vec<String> = tx
        .query(mine, &[&instance_id, &ids, &epochs])?
        .iter()
        .map(|row| row.get(0))
        .collect();
    tx.execute(
        &format!(
            "UPDATE bulkforce.jobs SET lease_until = now() + make_interval(secs => $4)
             WHERE id IN ({mine} FOR UPDATE SKIP LOCKED)"
        ),
        &[&instance_id, &ids, &epochs, &lease.as_secs_f64()],
    )?;
    tx.commit()?;
    let mut current = shared.owned.lock();
    for ((org, job), epoch) in owned {
        let lost = !held.iter().any(|id| id == job.as_str());
        // A claim made since the snapshot (a new epoch) is not this round's to judge.
        if lost && current.get(&(org, job)) == Some(&epoch) {
            current.remove(&(org, job));
        }
    }
    Ok(())
}

/// Extends `job`'s lease from the moment of the call (`clock_timestamp()`, not the transaction's start),
/// in the fenced transaction `tx` right before it commits: the renewal thread skips a row this
/// transaction holds, so a run of chunks longer than the lease would otherwise commit with its lease
/// already lapsed, and the job could be claimed away between the commit and the next renewal. Only
/// after [`fence`] passed in `tx` (the row is locked since, so owner and epoch cannot have moved).
pub(crate) fn extend_lease(
    tx: &mut postgres::Transaction<'_>,
    leases: &Leases,
    org: SfId,
    job: SfId,
) -> Result<()> {
    let Some(epoch) = leases.epoch(org, job) else {
        return Ok(());
    };
    tx.execute(
        "UPDATE bulkforce.jobs SET lease_until = clock_timestamp() + make_interval(secs => $5)
         WHERE org_id = $1 AND id = $2 AND lease_owner = $3 AND lease_epoch = $4",
        &[
            &org.as_str(),
            &job.as_str(),
            &leases.instance_id,
            &epoch,
            &leases.lease_secs(),
        ],
    )?;
    Ok(())
}

/// The fence of a chunk commit or a finish: locks the job row for the rest of `tx` and tells whether this
/// instance still holds the job's lease under the epoch of its claim, and the job is InProgress. When it
/// is false the caller rolls `tx` back (nothing of it may commit).
pub(crate) fn fence(
    tx: &mut postgres::Transaction<'_>,
    leases: &Leases,
    org: SfId,
    job: SfId,
) -> Result<bool> {
    let Some(epoch) = leases.epoch(org, job) else {
        return Ok(false);
    };
    let row = tx.query_opt(
        "SELECT lease_owner = $3 AND lease_epoch = $4 AND state = 'InProgress'
         FROM bulkforce.jobs WHERE org_id = $1 AND id = $2 FOR UPDATE",
        &[&org.as_str(), &job.as_str(), &leases.instance_id, &epoch],
    )?;
    Ok(row.and_then(|row| row.get::<_, Option<bool>>(0)) == Some(true))
}

/// [`fence`], and `chunk` is the next chunk the job expects (`chunks_done`): what a chunk checks before
/// its rows are applied, so an out-of-sequence chunk (already committed by an earlier owner) writes
/// nothing.
pub(crate) fn fence_chunk(
    tx: &mut postgres::Transaction<'_>,
    leases: &Leases,
    org: SfId,
    job: SfId,
    chunk: u64,
) -> Result<bool> {
    if !fence(tx, leases, org, job)? {
        return Ok(false);
    }
    let row = tx.query_opt(
        "SELECT chunks_done = $3 FROM bulkforce.jobs WHERE org_id = $1 AND id = $2",
        &[&org.as_str(), &job.as_str(), &(chunk as i64)],
    )?;
    Ok(row.is_some_and(|row| row.get::<_, bool>(0)))
}

/// Records one chunk's progress in `tx`, as the SQLite backend's `jobs::advance`: the checkpoint moves
/// past the chunk, its rows and failures are counted, its active time added, the total time measured on
/// the store's clock (`now_ms`). False (nothing written) unless the job is InProgress at exactly
/// `progress.chunk`. Call it after [`fence`] in the same transaction.
pub(crate) fn record_progress(
    tx: &mut postgres::Transaction<'_>,
    org: SfId,
    job: SfId,
    progress: &ChunkProgress,
    processed: u64,
    failed: u64,
    now_ms: i64,
) -> Result<bool> {
    let ChunkProgress {
        chunk,
        next_offset,
        next_line,
        active_ms,
    } = *progress;
    Ok(tx.execute(
        "UPDATE bulkforce.jobs SET chunks_done = chunks_done + 1, next_offset = $4, next_line = $5,
             processed = processed + $6, failed = failed + $7, active_ms = active_ms + $8,
             total_ms = $9 - coalesce(started_ms, $9)
         WHERE org_id = $1 AND id = $2 AND state = 'InProgress' AND chunks_done = $3",
        &[
            &org.as_str(),
            &job.as_str(),
            &(chunk as i64),
            &(next_offset as i64),
            &(next_line as i64),
            &(processed as i64),
            &(failed as i64),
            &(active_ms as i64),
            &now_ms,
        ],
    )? > 0)
}

impl PgStore {
    /// Stops renewing this instance's leases: its jobs go to other instances once their leases lapse.
    /// For graceful shutdown after the workers stopped, and for tests that simulate an instance that
    /// died without releasing anything.
    pub fn stop_renewing_leases(&self) {
        self.leases.stop();
    }
}

//! Which instances are alive: `bulkforce.instances` holds one heartbeat per running instance, written on
//! the DATABASE's clock at connect and at every lease renewal round (`leases`), removed when the store is
//! dropped.
//!
//! Why: an upload reservation (`jobs.upload_owner`) is held by the instance streaming the body, and only
//! that instance ends it. With the default instance id (host name + pid) an instance killed mid-upload
//! never comes back under the same id to release it at start, so the job would refuse every retried PUT
//! forever. A reservation whose owner's heartbeat is older than the lease (or missing) is therefore taken
//! as released, as a restart releases one on SQLite: the job is Open and uploadable again. The dead
//! writer's half-written blob is invisible either way (a local temp file is removed when the blobs
//! open; an S3 multipart upload never completed shows no object).

use crate::Result;
use postgres::GenericClient;
use std::time::Duration;

/// True when the instance named by the SQL expression `owner` has beaten within the last `$lease`
/// seconds (a query parameter named by `lease`); a missing heartbeat is a dead instance.
pub(crate) fn alive(owner: &str, lease: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM bulkforce.instances
                 WHERE id = {owner} AND heartbeat >= now() - make_interval(secs => {lease}))"
    )
}

/// Records that `instance_id` is alive now.
pub(crate) fn beat(conn: &mut impl GenericClient, instance_id: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO bulkforce.instances (id, heartbeat) VALUES ($1, now())
         ON CONFLICT (id) DO UPDATE SET heartbeat = now()",
        &[&instance_id],
    )?;
    Ok(())
}

/// Records `instance_id`'s arrival, and forgets instances silent for ten leases: they are dead (a
/// missing heartbeat counts as dead too), and default ids (host name + pid) never come back, so without
/// this the table would grow by one row per crash.
pub(crate) fn arrive(
    conn: &mut impl GenericClient,
    instance_id: &str,
    lease: Duration,
) -> Result<()> {
    conn.execute(
        "DELETE FROM bulkforce.instances WHERE heartbeat < now() - make_interval(secs => $1)",
        &[&(lease.as_secs_f64() * 10.0)],
    )?;
    beat(conn, instance_id)
}

/// Removes `instance_id`'s heartbeat (the store is going away): its remaining reservations are free at
/// once rather than after a lease.
pub(crate) fn depart(conn: &mut impl GenericClient, instance_id: &str) -> Result<()> {
    conn.execute(
        "DELETE FROM bulkforce.instances WHERE id = $1",
        &[&instance_id],
    )?;
    Ok(())
}

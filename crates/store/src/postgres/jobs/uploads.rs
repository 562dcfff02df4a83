//! A job's single upload: reserved by the instance receiving it (`upload_owner`), so that a restart of
//! that instance can make its interrupted reservations uploadable again without touching uploads other
//! instances are receiving right now. A reservation whose owner is no longer alive (its heartbeat older
//! than the lease or gone, see `instances`) counts as released: an instance killed mid-upload under a
//! default id (host name + pid) never restarts under that id to release it.

use crate::job_row::corrupt;
use crate::postgres::{PgStore, instances};
use crate::{Result, UploadStart};
use bulkforce_core::id::SfId;
use bulkforce_core::job::JobState;

impl PgStore {
    pub(in crate::postgres) fn pg_begin_upload(
        &self,
        org: SfId,
        id: SfId,
    ) -> Result<Option<UploadStart>> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction()?;
        let Some(row) = tx.query_opt(
            &format!(
                "SELECT state, upload_state, upload_state = 'receiving' AND NOT {}
                 FROM bulkforce.jobs WHERE org_id = $1 AND id = $2 FOR UPDATE",
                instances::alive("upload_owner", "$3")
            ),
            &[&org.as_str(), &id.as_str(), &self.leases.lease_secs()],
        )?
        else {
            return Ok(None);
        };
        let state: String = row.try_get(0)?;
        let upload_state: String = row.try_get(1)?;
        let abandoned: bool = row.try_get(2)?;
        let state: JobState = state.parse().map_err(|()| corrupt("state", &state))?;
        // A job that is no longer Open refuses data whatever it holds; an Open one refuses a second upload
        // unless the first one's receiver died.
        if state != JobState::Open {
            return Ok(Some(UploadStart::NotOpen(state)));
        }
        if upload_state != "none" && !abandoned {
            return Ok(Some(UploadStart::AlreadyUploaded));
        }
        tx.execute(
            "UPDATE bulkforce.jobs SET upload_state = 'receiving', upload_owner = $3
             WHERE org_id = $1 AND id = $2",
            &[&org.as_str(), &id.as_str(), &self.leases.instance_id],
        )?;
        tx.commit()?;
        Ok(Some(UploadStart::Started))
    }

    /// Ends this instance's reservation: only while it still holds it. An instance taken for dead (its
    /// heartbeat lapsed) whose reservation another instance has since taken over must neither mark the
    /// job uploaded nor free the other instance's reservation.
    pub(in crate::postgres) fn pg_end_upload(
        &self,
        org: SfId,
        id: SfId,
        bytes: Option<u64>,
    ) -> Result<bool> {
        let mut conn = self.conn()?;
        let me = &self.leases.instance_id;
        let ended = match bytes {
            Some(bytes) => conn.execute(
                "UPDATE bulkforce.jobs SET upload_state = 'received', upload_owner = NULL, upload_bytes = $3,
                     modstamp_ms = $4
                 WHERE org_id = $1 AND id = $2 AND upload_state = 'receiving' AND upload_owner = $5",
                &[&org.as_str(), &id.as_str(), &(bytes as i64), &self.now_ms(), me],
            )?,
            None => conn.execute(
                "UPDATE bulkforce.jobs SET upload_state = 'none', upload_owner = NULL
                 WHERE org_id = $1 AND id = $2 AND upload_state = 'receiving' AND upload_owner = $3",
                &[&org.as_str(), &id.as_str(), me],
            )?,
        };
        if ended == 0 && bytes.is_some() {
            tracing::warn!(job = %id, "an upload ended after its reservation was taken over or the job went");
        }
        Ok(ended > 0)
    }

    /// Makes the Open jobs whose upload THIS instance was receiving uploadable again: at its start no
    /// upload of its own can be in flight, so such a reservation is one it died in the middle of. Other
    /// instances' reservations are theirs (they may be receiving right now).
    pub(super) fn release_own_uploads(
        &self,
        conn: &mut impl postgres::GenericClient,
    ) -> Result<u64> {
        Ok(conn.execute(
            "UPDATE bulkforce.jobs SET upload_state = 'none', upload_owner = NULL
             WHERE upload_state = 'receiving' AND state = 'Open' AND upload_owner = $1",
            &[&self.leases.instance_id],
        )?)
    }
}

//! Each job's timeline in `bulkforce.job_states`: every state it entered and when, written in the
//! transaction that moves the state (creation, a transition, the first claim, the end), so the timeline
//! never disagrees with the job. Rows go with their job (`ON DELETE CASCADE`).

use crate::job_row::{corrupt, time};
use crate::{Result, StateChange};
use bulkforce_core::id::SfId;
use bulkforce_core::job::JobState;
use postgres::GenericClient;

/// Records that the job entered `state` at `at_ms`.
pub(super) fn record(
    client: &mut impl GenericClient,
    id: SfId,
    state: JobState,
    at_ms: i64,
) -> Result<()> {
    client.execute(
        "INSERT INTO bulkforce.job_states (job_id, state, at_ms) VALUES ($1, $2, $3)",
        &[&id.as_str(), &state.name(), &at_ms],
    )?;
    Ok(())
}

/// Records `state` unless the job entered it before: a job resumed after a takeover, a restart or a hold
/// is claimed again without entering InProgress anew.
pub(super) fn record_first(
    client: &mut impl GenericClient,
    id: SfId,
    state: JobState,
    at_ms: i64,
) -> Result<()> {
    client.execute(
        "INSERT INTO bulkforce.job_states (job_id, state, at_ms) SELECT $1, $2, $3
         WHERE NOT EXISTS (SELECT 1 FROM bulkforce.job_states WHERE job_id = $1 AND state = $2)",
        &[&id.as_str(), &state.name(), &at_ms],
    )?;
    Ok(())
}

/// The states of `org`'s job `id`, oldest first (none for another org's job).
pub(super) fn read(
    client: &mut impl GenericClient,
    org: SfId,
    id: SfId,
) -> Result<Vec<StateChange>> {
    client
        .query(
            "SELECT s.state, s.at_ms FROM bulkforce.job_states s
             JOIN bulkforce.jobs j ON j.id = s.job_id
             WHERE j.org_id = $1 AND s.job_id = $2 ORDER BY s.seq",
            &[&org.as_str(), &id.as_str()],
        )?
        .iter()
        .map(|row| {
            let state: String = row.try_get(0)?;
            Ok(StateChange {
                state: state.parse().map_err(|()| corrupt("state", &state))?,
                at: time(row.try_get(1)?),
            })
        })
        .collect()
}

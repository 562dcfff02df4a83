//! Records in the org schemas: ingest chunks (COPY into a staging table, then set-based statements),
//! REST write units, single-record reads and counts. (Being built: each method answers `not_built`.)

use super::{PgStore, not_built};
use crate::{Chunk, ChunkCommit, ChunkSource, RecordFields, RecordUnit, Result, UnitEnd};
use bulkforce_core::id::SfId;
use bulkforce_core::ingest::IngestPlan;
use bulkforce_core::job::Job;

impl PgStore {
    pub(super) fn pg_apply_chunks(
        &self,
        _org: SfId,
        _job: &Job,
        _plan: &IngestPlan,
        _first: Chunk,
        _source: &mut dyn ChunkSource,
    ) -> Result<ChunkCommit> {
        Err(not_built("ingest"))
    }

    pub(super) fn pg_count_records(
        &self,
        _org: SfId,
        _object: &str,
        _include_deleted: bool,
    ) -> Result<u64> {
        Err(not_built("records"))
    }

    pub(super) fn pg_get_record(
        &self,
        _org: SfId,
        _object: &str,
        _id: SfId,
    ) -> Result<Option<RecordFields>> {
        Err(not_built("records"))
    }

    pub(super) fn pg_write_unit(
        &self,
        _org: SfId,
        _user: SfId,
        _work: &mut dyn FnMut(&mut dyn RecordUnit) -> Result<UnitEnd>,
    ) -> Result<()> {
        Err(not_built("REST writes"))
    }
}

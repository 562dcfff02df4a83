//! Resets and snapshots on PostgreSQL. (Being built: each method answers `not_built`.)

use super::{PgStore, not_built};
use crate::Result;
use crate::blob::BlobStore;
use crate::snapshot::SnapshotInfo;
use bulkforce_core::id::SfId;

impl PgStore {
    pub(super) fn pg_reset_org(&self, _org: SfId, _blobs: &dyn BlobStore) -> Result<bool> {
        Err(not_built("resets"))
    }

    pub(super) fn pg_reset_all(&self, _blobs: &dyn BlobStore) -> Result<()> {
        Err(not_built("resets"))
    }

    pub(super) fn pg_create_snapshot(
        &self,
        _name: &str,
        _blobs: &dyn BlobStore,
    ) -> Result<SnapshotInfo> {
        Err(not_built("snapshots"))
    }

    pub(super) fn pg_list_snapshots(&self) -> Result<Vec<SnapshotInfo>> {
        Err(not_built("snapshots"))
    }

    pub(super) fn pg_restore_snapshot(
        &self,
        _name: &str,
        _blobs: &dyn BlobStore,
    ) -> Result<SnapshotInfo> {
        Err(not_built("snapshots"))
    }

    pub(super) fn pg_delete_snapshot(&self, _name: &str) -> Result<()> {
        Err(not_built("snapshots"))
    }
}

//! Job leases: which instance owns which InProgress job, until when (on the database's clock), under
//! which epoch. Renewed in the background while this instance lives; a chunk commit is fenced on
//! (owner, epoch) in its own transaction. (Being built.)

use super::PgOptions;
use postgres::NoTls;
use r2d2_postgres::PostgresConnectionManager;

/// The leases this instance holds.
pub(crate) struct Leases {
    pub(crate) instance_id: String,
    pub(crate) lease: std::time::Duration,
}

impl Leases {
    pub(crate) fn new(options: &PgOptions) -> Leases {
        Leases {
            instance_id: options.instance_id.clone(),
            lease: options.lease,
        }
    }

    /// Starts renewing this instance's leases in the background.
    pub(crate) fn start_renewing(&self, _pool: r2d2::Pool<PostgresConnectionManager<NoTls>>) {}
}

//! bulkforce-core: the pure domain of the Salesforce Bulk API 2.0.
//!
//! No I/O and no async: ids, the sObject schema, field values, CSV dialects, jobs and their state machine,
//! ingest row semantics and Salesforce-shaped errors. Everything here is deterministic and unit-tested; the
//! store and the server build on it.

pub mod clock;
pub mod csv;
pub mod error;
pub mod id;
pub mod ingest;
pub mod job;
pub mod org;
pub mod project;
pub mod rest_record;
pub mod schema;
pub mod value;

pub use error::{ApiError, RowError};
pub use id::{KeyPrefix, SfId};

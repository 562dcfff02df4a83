//! Job rows in `bulkforce.jobs`, one table for every org's jobs (every statement filtered by org, so a
//! job id of another org is simply not found; one table so that one `SELECT … FOR UPDATE SKIP LOCKED`
//! claims across orgs). One module per concern:
//!
//! - `rows`: a row read back as a [`Job`](bulkforce_core::job::Job), through the rules shared with SQLite;
//! - `lifecycle`: creation, reads, lists, counts, transitions (compare-and-set under the row lock), the
//!   fenced finish, deletion, checkpoints;
//! - `uploads`: the single upload's reservation, owned by the instance receiving it;
//! - `holds` and `timeline`: held jobs, the control API's views, every state a job entered;
//! - `claims`: claims across orgs under this instance's leases (see `leases` for the invariant).

mod claims;
mod holds;
mod lifecycle;
mod rows;
mod timeline;
mod uploads;

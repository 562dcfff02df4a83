//! One record writer per org at a time, across every instance: what the SQLite backend has by
//! construction (one writer connection per org database), taken on PostgreSQL with a transaction-scoped
//! advisory lock keyed by the org.
//!
//! Why: the row code decides outcomes from what its transaction sees (an upsert key matching nothing
//! becomes an insert, a unique value no record holds passes), as SQLite's single writer may. Under READ
//! COMMITTED two writers of one org could each see "no match" for the same non-unique external id and
//! both insert it; their `UPDATE … FROM`s and id sequence rows could lock in opposite orders and
//! deadlock; an update could meet a unique value the other just committed. With the lock, a writer
//! waits for the org's previous writer to commit and then sees all of its rows, so outcomes are those of
//! running the two one after the other, as on SQLite. Per org rather than per object because a row's
//! lookups, references and sequences reach other objects of the org.
//!
//! Every transaction writing an org's records takes it first (ingest chunks, REST units, resets,
//! restores), before any row lock, so lock order is always org, then rows: no deadlock through it. Jobs
//! of different orgs never wait for each other.

use crate::Result;
use bulkforce_core::id::SfId;
use postgres::GenericClient;

/// The first key of the two-key advisory locks this module takes (an arbitrary constant, "bfow"); the
/// second is a hash of the org id. A hash collision only makes two orgs share a writer, never wrong.
/// Two-key advisory locks never meet the one-key locks of migrations and data operations.
const ORG_WRITES: i32 = 0x6266_6f77;

/// Waits until no other transaction writes `org`'s records, and keeps them out until `tx` ends.
pub(crate) fn lock_org_writes(tx: &mut impl GenericClient, org: SfId) -> Result<()> {
    tx.execute(
        "SELECT pg_advisory_xact_lock($1, hashtext($2))",
        &[&ORG_WRITES, &org.as_str()],
    )?;
    Ok(())
}

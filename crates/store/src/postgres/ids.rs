//! Id sequences: per org and key prefix, only growing, so an id is never minted twice (resets and
//! restores leave them alone).

use crate::Result;
use bulkforce_core::id::{KeyPrefix, SfId};
use postgres::GenericClient;

/// Reserves `count` consecutive sequence numbers for ids of `prefix` in `org`; returns the first. Run it
/// in the transaction that uses the ids: concurrent reservations queue on the row and never overlap.
pub(crate) fn reserve_sequence(
    client: &mut impl GenericClient,
    org: SfId,
    prefix: KeyPrefix,
    count: u64,
) -> Result<u64> {
    reserve_counter(client, org, prefix.as_str(), count)
}

/// Reserves `count` consecutive numbers of the counter `name` in `org` (a key prefix's ids, or an
/// auto-number field's `Object.Field`, which no prefix can be); returns the first. As for ids, the row
/// lock orders concurrent reservations, across instances too, so no number is taken twice.
pub(crate) fn reserve_counter(
    client: &mut impl GenericClient,
    org: SfId,
    name: &str,
    count: u64,
) -> Result<u64> {
    let count = count as i64;
    let row = client.query_one(
        "INSERT INTO bulkforce.sequences (org_id, prefix, next) VALUES ($1, $2, 1 + $3::bigint)
         ON CONFLICT (org_id, prefix) DO UPDATE SET next = bulkforce.sequences.next + $3
         RETURNING next - $3",
        &[&org.as_str(), &name, &count],
    )?;
    Ok(row.get::<_, i64>(0) as u64)
}

/// `count` ids of `prefix` minted in `org` (of id shard `shard`), in order.
pub(crate) fn mint(
    client: &mut impl GenericClient,
    org: SfId,
    shard: u16,
    prefix: KeyPrefix,
    count: u64,
) -> Result<impl Iterator<Item = SfId>> {
    let first = reserve_sequence(client, org, prefix, count)?;
    Ok((first..first + count).map(move |n| SfId::mint(prefix, shard, n)))
}

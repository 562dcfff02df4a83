//! The two records the control plane writes into an org's schema, as the SQLite backend does: a User
//! record per user (the identity routes and SOQL read it) and the org's Organization record. Written in
//! the caller's transaction, so a refused user or org leaves no record behind.

use crate::Result;
use crate::postgres::ddl::table_name;
use crate::postgres::org_lock::lock_org_writes;
use bulkforce_core::id::{KeyPrefix, SfId};
use bulkforce_core::schema::Schema;
use postgres::GenericClient;

/// Where a record goes: the org, its id shard and the text of its audit timestamps.
pub(super) struct OrgTarget<'a> {
    pub schema: &'a Schema,
    pub org: SfId,
    pub shard: u16,
    /// The store clock's now, as record timestamps are written (`format_datetime`).
    pub now: String,
}

/// Inserts the User record of a new user; returns its id (which is the user's id).
pub(super) fn insert_user(
    client: &mut impl GenericClient,
    target: &OrgTarget<'_>,
    username: &str,
    last_name: &str,
    first_name: &str,
) -> Result<SfId> {
    // A User record is a record write like any other: after the org's writer (`org_lock`).
    lock_org_writes(client, target.org)?;
    let profile_prefix = KeyPrefix::parse("00e").expect("00e is a valid key prefix");
    let id = mint_one(client, target, KeyPrefix::USER)?;
    let profile = mint_one(client, target, profile_prefix)?;
    let alias: String = username.chars().take(8).collect();
    client.execute(
        &format!(
            "INSERT INTO {} (\"Id\", \"Username\", \"LastName\", \"FirstName\", \"Email\", \"Alias\",
                 \"TimeZoneSidKey\", \"LocaleSidKey\", \"EmailEncodingKey\", \"LanguageLocaleKey\",
                 \"ProfileId\", \"IsActive\", \"IsDeleted\", \"CreatedDate\", \"CreatedById\",
                 \"LastModifiedDate\", \"LastModifiedById\", \"SystemModstamp\")
             VALUES ($1, $2, $5, $6, $2, $7, 'GMT', 'en_US', 'UTF-8', 'en_US', $3, 1, 0,
                     $4, $1, $4, $1, $4)",
            table_name(target.schema, target.org, "User")?
        ),
        &[
            &id.as_str(),
            &username,
            &profile.as_str(),
            &target.now,
            &last_name,
            &first_name,
            &alias,
        ],
    )?;
    Ok(id)
}

/// The org's own Organization record, which tools query to learn about the org.
pub(super) fn insert_organization(
    client: &mut impl GenericClient,
    target: &OrgTarget<'_>,
    name: &str,
    admin: SfId,
) -> Result<()> {
    client.execute(
        &format!(
            "INSERT INTO {} (\"Id\", \"Name\", \"DefaultLocaleSidKey\", \"LanguageLocaleKey\",
                 \"TimeZoneSidKey\", \"FiscalYearStartMonth\", \"InstanceName\", \"IsSandbox\",
                 \"OrganizationType\", \"CreatedDate\", \"CreatedById\", \"LastModifiedDate\",
                 \"LastModifiedById\", \"SystemModstamp\")
             VALUES ($1, $2, 'en_US', 'en_US', 'GMT', 1, 'BF1', 0, 'Developer Edition',
                     $3, $4, $3, $4, $3)
             ON CONFLICT (\"Id\") DO NOTHING",
            table_name(target.schema, target.org, "Organization")?
        ),
        &[&target.org.as_str(), &name, &target.now, &admin.as_str()],
    )?;
    Ok(())
}

fn mint_one(
    client: &mut impl GenericClient,
    target: &OrgTarget<'_>,
    prefix: KeyPrefix,
) -> Result<SfId> {
    let mut ids = crate::postgres::ids::mint(client, target.org, target.shard, prefix, 1)?;
    Ok(ids.next().expect("one id was minted"))
}

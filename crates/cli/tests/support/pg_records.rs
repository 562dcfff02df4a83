//! Reading a cluster's records straight from PostgreSQL (not through the API under test): the layout is a
//! schema `org_<orgid>` per org with a table per sObject.

use postgres::{Client, NoTls};

/// One Account row as stored: its Id, `Ext__c` and `NumberOfEmployees`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StoredAccount {
    pub id: String,
    pub ext: Option<String>,
    pub employees: Option<i64>,
}

/// Every Account of the only org in the database at `database_url` (the default org of a fresh cluster).
pub fn accounts(database_url: &str) -> Vec<StoredAccount> {
    let mut client = Client::connect(database_url, NoTls)
        .unwrap_or_else(|e| panic!("cannot reach {database_url}: {e}"));
    let schemas: Vec<String> = client
        .query(
            "SELECT schema_name::text FROM information_schema.schemata \
             WHERE schema_name LIKE 'org\\_%' ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(schemas.len(), 1, "one org schema: {schemas:?}");
    let sql = format!(
        "SELECT \"Id\", \"Ext__c\", \"NumberOfEmployees\"::bigint FROM \"{}\".\"Account\"",
        schemas[0]
    );
    client
        .query(&sql, &[])
        .unwrap()
        .iter()
        .map(|row| StoredAccount {
            id: row.get(0),
            ext: row.get(1),
            employees: row.get(2),
        })
        .collect()
}

//! Validation rules and default values on PostgreSQL's write path (the shared part is `crate::rules`).
//!
//! A segment's rows are judged after its lookups are resolved and its targets checked (so a row naming a
//! missing parent or a deleted record fails as it would without rules) and before its unique values are
//! checked and anything is staged: Salesforce runs custom validation after loading the record and the
//! system checks, and before saving (spec §4.2). What the rules read is fetched set-based for the whole
//! segment: one query for the stored records of its updates, then one per record kind its lookups reach
//! (the parents of the rows' own values and of the stored ones), then the running user and the org;
//! never a query per row. Each segment starts from a fresh fetch, so it reads the table as the segments
//! before it left it. A row a rule fails gets the rule's error, leaves the segment and writes nothing;
//! the rows of a segment being independent, the others are untouched.

use super::upsert::parse_id;
use super::writer::{Pending, RowWriter, Step};
use crate::Result;
use crate::postgres::ddl::quote;
use crate::rules::{RecordFetcher, Target};
use bulkforce_core::id::SfId;
use bulkforce_core::schema::SObject;
use bulkforce_core::value::Value;
use postgres::Transaction;
use postgres::types::Type;

/// Reads stored records for the rules inside the writer's transaction (so a segment reads what the
/// segments before it wrote).
struct PgFetcher<'a, 'c> {
    tx: &'a mut Transaction<'c>,
    org_schema: &'a str,
}

impl PgFetcher<'_, '_> {
    /// `SELECT "Id", <fields>` from `object`'s table. A field without a column (a formula field, a
    /// person's derived Name) reads as null, as the rules' plan expects a value for every field it asks.
    fn select(&self, object: &SObject, fields: &[usize]) -> String {
        let mut columns = vec![quote("Id")];
        columns.extend(fields.iter().map(|f| {
            let name = &object.fields()[*f].name;
            if object.stored_fields().any(|s| &s.name == name) {
                quote(name)
            } else {
                "NULL::text".to_owned()
            }
        }));
        format!(
            "SELECT {} FROM {}.{}",
            columns.join(", "),
            quote(self.org_schema),
            quote(&object.name)
        )
    }
}

/// A fetched row: its id and each selected field as a core value (numbers as the columns hold them).
fn read_row(row: &postgres::Row) -> Result<(SfId, Vec<Value>)> {
    let id = parse_id(row.get(0))?;
    let mut values = Vec::with_capacity(row.len().saturating_sub(1));
    for (k, column) in row.columns().iter().enumerate().skip(1) {
        let value = match *column.type_() {
            Type::INT8 => row.get::<_, Option<i64>>(k).map(Value::Integer),
            Type::FLOAT8 => row.get::<_, Option<f64>>(k).map(Value::Real),
            _ => row.get::<_, Option<String>>(k).map(Value::Text),
        };
        values.push(value.unwrap_or(Value::Null));
    }
    Ok((id, values))
}

impl RecordFetcher for PgFetcher<'_, '_> {
    fn fetch(
        &mut self,
        object: &SObject,
        ids: &[SfId],
        fields: &[usize],
    ) -> Result<Vec<(SfId, Vec<Value>)>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // Objects without a recycle bin (RecordType, Group) have no IsDeleted: their rows are live.
        let live = if object.field("IsDeleted").is_some() {
            " AND \"IsDeleted\" = 0"
        } else {
            ""
        };
        let sql = format!(
            "{} WHERE \"Id\" IN (SELECT unnest($1::text[])){live}",
            self.select(object, fields)
        );
        let ids: Vec<&str> = ids.iter().map(SfId::as_str).collect();
        self.tx.query(&sql, &[&ids])?.iter().map(read_row).collect()
    }

    fn fetch_single(
        &mut self,
        object: &SObject,
        fields: &[usize],
    ) -> Result<Option<(SfId, Vec<Value>)>> {
        let sql = format!("{} ORDER BY \"Id\" LIMIT 1", self.select(object, fields));
        self.tx
            .query_opt(&sql, &[])?
            .as_ref()
            .map(read_row)
            .transpose()
    }

    /// The ids are one array parameter: a segment's ids of one record kind go in one query.
    fn batch_size(&self) -> usize {
        usize::MAX
    }
}

impl RowWriter<'_, '_> {
    /// Fills the inserts' default values and fails the rows an active validation rule refuses, for one
    /// segment whose lookups are resolved and whose targets are live.
    pub(super) fn check_rules(&mut self, steps: &mut Vec<Pending>) -> Result<()> {
        let Some(rules) = &self.rules else {
            return Ok(());
        };
        // Rules do not run on deletes: a segment of deletes fetches nothing.
        if steps.iter().all(|p| p.step.values().is_none()) {
            return Ok(());
        }
        let mut chunk = rules.chunk(self.stamp.now, self.stamp.user);
        let mut fetcher = PgFetcher {
            tx: &mut *self.tx,
            org_schema: &self.org_schema,
        };
        let updates: Vec<SfId> = steps
            .iter()
            .filter_map(|p| match &p.step {
                Step::Update { id, .. } => Some(*id),
                _ => None,
            })
            .collect();
        chunk.prefetch(
            &mut fetcher,
            &updates,
            steps.iter().filter_map(|p| p.step.values()),
        )?;
        let mut failed = Vec::new();
        for (k, pending) in steps.iter_mut().enumerate() {
            let (values, target) = match &mut pending.step {
                Step::Insert(values) => {
                    chunk.fill_defaults(&mut fetcher, values)?;
                    (&*values, Target::Insert)
                }
                Step::Update { id, values } => (&*values, Target::Update(*id)),
                Step::Delete(_) | Step::HardDelete(_) => continue,
            };
            if let Some(error) = chunk.check(&mut fetcher, values, target)? {
                failed.push((k, error));
            }
        }
        self.drop_failed(steps, failed);
        Ok(())
    }
}

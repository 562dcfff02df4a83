//! Lookups a segment's rows need before they are written, each kind in one query per target table:
//! relationship columns resolved to parent ids through the parent's key field, and reference fields
//! checked against live records.

use super::upsert::parse_id;
use super::writer::{Pending, RowWriter};
use crate::postgres::ddl::quote;
use crate::rows::{self, RowProblem};
use crate::{Result, StoreError};
use bulkforce_core::error::RowError;
use bulkforce_core::id::SfId;
use bulkforce_core::org::polymorphic::{self, GROUP_OBJECT, TYPE_FIELD};
use bulkforce_core::schema::{FieldType, Storage};
use bulkforce_core::value::Value;
use std::collections::HashMap;

/// Live parents by (parent object, key field, key value): two at most, enough to tell one from many.
type Parents = HashMap<(String, String), HashMap<String, Vec<SfId>>>;

impl RowWriter<'_, '_> {
    /// Resolves the relationship columns of `steps` and checks their reference fields; rows that fail
    /// get their outcome and leave `steps`.
    pub(super) fn resolve_lookups(&mut self, steps: &mut Vec<Pending>) -> Result<()> {
        let parents = self.find_parents(steps)?;
        let mut failed = Vec::new();
        for (k, pending) in steps.iter_mut().enumerate() {
            let Some(values) = (match &mut pending.step {
                super::writer::Step::Insert(values)
                | super::writer::Step::Update { values, .. } => Some(values),
                _ => None,
            }) else {
                continue;
            };
            for lookup in std::mem::take(&mut values.lookups) {
                let key = (lookup.parent_object.clone(), lookup.parent_field.clone());
                let matches = parents
                    .get(&key)
                    .and_then(|found| found.get(&lookup.value))
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                match rows::parent_match(self.schema, &lookup, matches) {
                    Ok(id) => values.set(lookup.lookup_field, Value::Text(id.as_str().to_owned())),
                    Err(RowProblem::Row(error)) => {
                        failed.push((k, error));
                        break;
                    }
                    Err(RowProblem::Store(e)) => return Err(e),
                }
            }
        }
        self.drop_failed(steps, failed);
        let references = self.reference_states(steps)?;
        let group_types = self.owner_group_types(steps)?;
        let mut failed = Vec::new();
        for (k, pending) in steps.iter().enumerate() {
            let Some(values) = pending.step.values() else {
                continue;
            };
            for (field, value) in &values.assignments {
                let Value::Text(text) = value else { continue };
                let def = &self.object.fields()[*field];
                if def.ftype != FieldType::Reference {
                    continue;
                }
                let state = references.get(text.as_str()).copied().unwrap_or(None);
                let queue_error = group_types
                    .get(text.as_str())
                    .filter(|_| {
                        self.queue_owner
                            .is_some_and(|owner| owner.must_be_queue(*field, text))
                    })
                    .and_then(|group_type| {
                        polymorphic::queue_owner_error(def, text, group_type.as_deref())
                    });
                if let Err(error) =
                    rows::reference_target(state).and_then(|()| queue_error.map_or(Ok(()), Err))
                {
                    failed.push((k, error));
                    break;
                }
            }
        }
        self.drop_failed(steps, failed);
        Ok(())
    }

    /// Fails the steps at these positions (ascending) and removes them.
    pub(super) fn drop_failed(&mut self, steps: &mut Vec<Pending>, failed: Vec<(usize, RowError)>) {
        if failed.is_empty() {
            return;
        }
        for (k, error) in failed.iter().rev() {
            let pending = steps.remove(*k);
            self.fail(&pending, error.clone());
        }
    }

    /// The live parents every relationship column of `steps` may name.
    fn find_parents(&mut self, steps: &[Pending]) -> Result<Parents> {
        let mut wanted: HashMap<(String, String), Vec<&str>> = HashMap::new();
        for values in steps.iter().filter_map(|p| p.step.values()) {
            for lookup in &values.lookups {
                wanted
                    .entry((lookup.parent_object.clone(), lookup.parent_field.clone()))
                    .or_default()
                    .push(&lookup.value);
            }
        }
        let mut parents = Parents::new();
        for ((object, field), mut keys) in wanted {
            keys.sort_unstable();
            keys.dedup();
            let parent = self
                .schema
                .object(&object)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown parent {object}")))?;
            let column = quote(&field);
            // A key field stored as a number is compared as text: rare, and never indexed anyway.
            let compared = match parent.field(&field).map(|f| f.ftype.storage()) {
                Some(Storage::Text) | None => column.clone(),
                Some(_) => format!("{column}::text"),
            };
            let sql = format!(
                "SELECT {compared}, \"Id\" FROM {}.{} WHERE {compared} IN (SELECT unnest($1::text[])) AND \"IsDeleted\" = 0",
                quote(&self.org_schema),
                quote(&parent.name)
            );
            let found = parents.entry((object, field)).or_default();
            for row in self.tx.query(&sql, &[&keys])? {
                let entry = found.entry(row.get::<_, String>(0)).or_default();
                if entry.len() < 2 {
                    entry.push(parse_id(row.get(1))?);
                }
            }
        }
        Ok(parents)
    }

    /// For each group id the owner field of `steps` holds (only queues may own records): the group's
    /// `Type`. Only the owner field of an object whose owners may be queues is looked at.
    fn owner_group_types(&mut self, steps: &[Pending]) -> Result<HashMap<String, Option<String>>> {
        let mut types = HashMap::new();
        let Some(owner) = self.queue_owner else {
            return Ok(types);
        };
        let mut ids: Vec<&str> = steps
            .iter()
            .filter_map(|p| p.step.values())
            .filter_map(|values| match values.get(owner.field) {
                Some(Value::Text(text)) if owner.must_be_queue(owner.field, text) => {
                    Some(text.as_str())
                }
                _ => None,
            })
            .collect();
        if ids.is_empty() {
            return Ok(types);
        }
        ids.sort_unstable();
        ids.dedup();
        let sql = format!(
            "SELECT \"Id\", \"{TYPE_FIELD}\" FROM {}.{} WHERE \"Id\" IN (SELECT unnest($1::text[]))",
            quote(&self.org_schema),
            quote(GROUP_OBJECT)
        );
        for row in self.tx.query(&sql, &[&ids])? {
            types.insert(row.get::<_, String>(0), row.get::<_, Option<String>>(1));
        }
        Ok(types)
    }

    /// For each id the reference fields of `steps` hold: whether its record is deleted (`None`: no such
    /// record, or not an id of any object).
    fn reference_states(&mut self, steps: &[Pending]) -> Result<HashMap<String, Option<bool>>> {
        let mut by_object: HashMap<String, Vec<&str>> = HashMap::new();
        let mut states = HashMap::new();
        for values in steps.iter().filter_map(|p| p.step.values()) {
            for (field, value) in &values.assignments {
                let Value::Text(text) = value else { continue };
                if self.object.fields()[*field].ftype != FieldType::Reference {
                    continue;
                }
                let target = SfId::parse(text)
                    .ok()
                    .and_then(|id| self.schema.object_by_prefix(id.key_prefix()));
                match target {
                    Some(object) => by_object.entry(object.name.clone()).or_default().push(text),
                    None => {
                        states.insert(text.clone(), None);
                    }
                }
            }
        }
        for (object, mut ids) in by_object {
            ids.sort_unstable();
            ids.dedup();
            // Objects without a recycle bin (RecordType, Group) have no IsDeleted: their rows are live.
            let has_bin = self
                .schema
                .object(&object)
                .is_some_and(|o| o.field("IsDeleted").is_some());
            let deleted = if has_bin {
                "\"IsDeleted\""
            } else {
                "0::bigint"
            };
            let sql = format!(
                "SELECT \"Id\", {deleted} FROM {}.{} WHERE \"Id\" IN (SELECT unnest($1::text[]))",
                quote(&self.org_schema),
                quote(&object)
            );
            for row in self.tx.query(&sql, &[&ids])? {
                let deleted: Option<i64> = row.get(1);
                states.insert(row.get::<_, String>(0), Some(deleted.unwrap_or(0) != 0));
            }
            for id in ids {
                states.entry(id.to_owned()).or_insert(None);
            }
        }
        Ok(states)
    }
}

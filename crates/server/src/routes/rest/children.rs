//! Parent-to-child subqueries of a REST query page, as Salesforce nests them: under each parent record the
//! relationship's key holds `null` when no child matched, else a query result (`totalSize`, `done`,
//! `records`) of the child records.
//!
//! Memory stays bounded by the page: each subquery runs once per slice of [`PARENTS_PER_STATEMENT`]
//! parents (never once per parent), its lookup `IN` the slice's ids, and the store numbers each parent's
//! children in SQL so it returns at most the parent's share ([`Query::per_parent`]: the subquery's LIMIT and
//! OFFSET count per parent, as in Salesforce). A nested subquery runs the same way over the ids of the
//! child records kept.
//!
//! A parent's child set is written inline up to [`CHILDREN_INLINE`] records, and a page writes at most
//! [`INLINE_BUDGET`] child records over all its subqueries and levels (Salesforce counts child records
//! toward a query batch). The rest of a child set is paged as Salesforce pages it: `done: false` and a
//! `nextRecordsUrl` of its own, a cursor over that parent's child statement (see [`ChildCursor`]).

use super::json::{record_json, with_reference_columns};
use super::rows::QueryRows;
use crate::state::{ChildCursor, Cursor, Cursors};
use bulkforce_core::job::ApiVersion;
use bulkforce_core::value::Value;
use bulkforce_soql::bound::{
    ChildQuery, Condition, FieldPath, Literal, Operand, Query, SelectItem, Value as Bound,
};
use bulkforce_store::{QueryOptions, StoreError};
use serde_json::{Map, Value as Json, json};
use std::collections::HashMap;

/// Parents in one child statement: a statement reads at most this many times [`CHILDREN_INLINE`] rows.
const PARENTS_PER_STATEMENT: usize = 50;

/// Child records of one parent written inline; the rest follow the child set's `nextRecordsUrl`.
/// Salesforce writes about 200 (jsforce #1752, #1799: larger child sets come with `done: false`).
pub(super) const CHILDREN_INLINE: u64 = 200;

/// Child records one page writes inline over all its subqueries and levels: a query batch (child records
/// count toward the batch size, as Salesforce's Query Options header says).
pub(super) const INLINE_BUDGET: u64 = 2_000;

/// What reading a page's child sets shares: how to read, how much may still be written inline, and
/// where a truncated child set's cursor points.
pub(super) struct Reading<'a> {
    pub options: QueryOptions,
    pub version: ApiVersion,
    /// `query` or `queryAll`: the resource of `nextRecordsUrl`.
    pub resource: &'a str,
    pub cursors: &'a Cursors,
    /// The statement the page belongs to (its own child cursor when the page is a child set's).
    pub cursor: &'a Cursor,
    /// Child records this page may still write inline.
    pub budget: u64,
    /// The subquery path of the statement being read, from the cursor's statement.
    path: Vec<usize>,
}

impl<'a> Reading<'a> {
    pub(super) fn new(
        options: QueryOptions,
        version: ApiVersion,
        resource: &'a str,
        cursors: &'a Cursors,
        cursor: &'a Cursor,
    ) -> Reading<'a> {
        let path = cursor
            .child
            .as_ref()
            .map(|child| child.path.clone())
            .unwrap_or_default();
        Reading {
            options,
            version,
            resource,
            cursors,
            cursor,
            budget: INLINE_BUDGET,
            path,
        }
    }

    /// The `nextRecordsUrl` of the child set of `parent` under subquery `index`, continuing at `next`.
    fn next_records_url(&self, index: usize, parent: &str, next: usize) -> String {
        let mut path = self.path.clone();
        path.push(index);
        let id = self.cursors.insert(Cursor {
            child: Some(ChildCursor {
                path,
                parent: parent.to_owned(),
            }),
            ..self.cursor.clone()
        });
        format!(
            "/services/data/v{}/{}/{id}-{next}",
            self.version, self.resource
        )
    }
}

/// The statement a child cursor pages: the subquery at `child.path` of `root`, over the children of
/// `child.parent` only, with the subquery's own LIMIT and OFFSET (now over that one parent's rows).
pub(super) fn child_statement(root: Query, child: &ChildCursor) -> Option<Query> {
    let mut query = root;
    let mut reached: Option<ChildQuery> = None;
    for &index in &child.path {
        let next = query.children.get(index)?.clone();
        query = next.query.clone();
        reached = Some(next);
    }
    let reached = reached?;
    let mut statement = reached.query.clone();
    statement.filter = Some(of_parents(&reached, std::slice::from_ref(&child.parent)));
    Some(statement)
}

/// For each subquery of a statement, in order, the nested result of each parent id that has children.
pub(super) struct NestedResults(Vec<HashMap<String, Json>>);

impl NestedResults {
    /// Runs the subqueries of `query` for the parents `parent_ids`, in their order (nothing when it has
    /// none).
    pub(super) fn read(
        rows: &mut dyn QueryRows,
        query: &Query,
        parent_ids: &[String],
        reading: &mut Reading,
    ) -> Result<NestedResults, StoreError> {
        let mut results = Vec::with_capacity(query.children.len());
        for (index, child) in query.children.iter().enumerate() {
            results.push(child_results(rows, child, index, parent_ids, reading)?);
        }
        Ok(NestedResults(results))
    }

    /// Puts each subquery's result for the parent `id` into its `record`, at the place its subquery has
    /// in the SELECT list (`null` when the parent has no such children).
    pub(super) fn insert_into(&mut self, query: &Query, id: Option<&str>, record: &mut Json) {
        let Json::Object(map) = record else {
            return;
        };
        for (child, results) in query.children.iter().zip(self.0.iter_mut()) {
            let nested = id.and_then(|id| results.remove(id)).unwrap_or(Json::Null);
            // `attributes` comes first, then one key per top-level name selected before the subquery.
            let index = (1 + keys_before(query, child.position)).min(map.len());
            map.shift_insert(index, child.relationship.clone(), nested);
        }
    }
}

/// How many distinct top-level keys the first `position` SELECT items write (`Account.Name` and
/// `Account.Industry` share the `Account` key), plus the subqueries placed before them.
fn keys_before(query: &Query, position: usize) -> usize {
    let mut keys: Vec<String> = Vec::new();
    for item in &query.select[..position.min(query.select.len())] {
        let key = match item {
            SelectItem::Field(path) => path
                .hops
                .first()
                .map_or(&path.field.name, |hop| &hop.relationship),
            SelectItem::Aggregate { alias, .. } | SelectItem::DateFunction { alias, .. } => alias,
        };
        if !keys.iter().any(|k| k.eq_ignore_ascii_case(key)) {
            keys.push(key.clone());
        }
    }
    let earlier_subqueries = query
        .children
        .iter()
        .filter(|c| c.position < position)
        .count();
    keys.len() + earlier_subqueries
}

/// The child rows of one parent read for a page, and how many rows the parent's child set has.
struct Group {
    total: u64,
    rows: Vec<Vec<Value>>,
}

/// One subquery's (the `index`th of its statement) nested result for each parent among `parent_ids`
/// that has children.
fn child_results(
    rows: &mut dyn QueryRows,
    child: &ChildQuery,
    index: usize,
    parent_ids: &[String],
    reading: &mut Reading,
) -> Result<HashMap<String, Json>, StoreError> {
    let (mut statement, extra) = with_reference_columns(&child.query);
    let parent_column = statement.select.len();
    statement.select.push(SelectItem::Field(FieldPath {
        hops: Vec::new(),
        field: child.parent_field.clone(),
    }));
    // The store appends each parent's count of matching rows after the selected columns.
    let count_column = parent_column + 1;
    statement.per_parent = Some(child.parent_field.clone());
    let mut results = HashMap::new();
    for slice in parent_ids.chunks(PARENTS_PER_STATEMENT) {
        let inline = CHILDREN_INLINE.min(reading.budget);
        let mut sliced = statement.clone();
        sliced.filter = Some(of_parents(child, slice));
        // At least one row per parent even when nothing more fits inline: it carries the parent's count.
        sliced.limit = Some(child.query.limit.unwrap_or(u64::MAX).min(inline.max(1)));
        let mut groups: HashMap<String, Group> = HashMap::new();
        for row in rows.rows(&sliced, reading.options)? {
            let (Some(Value::Text(parent)), Some(Value::Integer(matched))) =
                (row.get(parent_column), row.get(count_column))
            else {
                continue;
            };
            let skipped = child.query.offset.unwrap_or(0);
            let total = u64::try_from(*matched)
                .unwrap_or_default()
                .saturating_sub(skipped)
                .min(child.query.limit.unwrap_or(u64::MAX));
            let group = groups.entry(parent.clone()).or_insert_with(|| Group {
                total,
                rows: Vec::new(),
            });
            group.rows.push(row);
        }
        // The budget goes to parents in page order.
        let mut kept: Vec<(&String, Group)> = Vec::new();
        for parent in slice {
            if let Some(mut group) = groups.remove(parent) {
                let keep = (group.rows.len() as u64).min(inline).min(reading.budget);
                group
                    .rows
                    .truncate(usize::try_from(keep).unwrap_or(usize::MAX));
                reading.budget -= keep;
                kept.push((parent, group));
            }
        }
        let mut nested = nested_results(rows, child, index, &kept, extra.root_id(), reading)?;
        for (parent, group) in kept {
            let records: Vec<Json> = group
                .rows
                .iter()
                .map(|row| {
                    let mut record = record_json(&child.query, &extra, row, reading.version);
                    let id = match row.get(extra.root_id()) {
                        Some(Value::Text(id)) => Some(id.as_str()),
                        _ => None,
                    };
                    nested.insert_into(&child.query, id, &mut record);
                    record
                })
                .collect();
            let mut result = Map::new();
            result.insert("totalSize".into(), json!(group.total));
            let done = records.len() as u64 >= group.total;
            result.insert("done".into(), json!(done));
            if !done {
                let url = reading.next_records_url(index, parent, records.len());
                result.insert("nextRecordsUrl".into(), json!(url));
            }
            result.insert("records".into(), Json::Array(records));
            results.insert(parent.clone(), Json::Object(result));
        }
    }
    Ok(results)
}

/// The subqueries nested in `child` (the `index`th subquery), run over the child rows kept in `kept`.
fn nested_results(
    rows: &mut dyn QueryRows,
    child: &ChildQuery,
    index: usize,
    kept: &[(&String, Group)],
    id_column: usize,
    reading: &mut Reading,
) -> Result<NestedResults, StoreError> {
    // No nested subqueries: no ids to collect.
    let child_ids: Vec<String> = if child.query.children.is_empty() {
        Vec::new()
    } else {
        kept.iter()
            .flat_map(|(_, group)| group.rows.iter())
            .filter_map(|row| match row.get(id_column) {
                Some(Value::Text(id)) => Some(id.clone()),
                _ => None,
            })
            .collect()
    };
    reading.path.push(index);
    let nested = NestedResults::read(rows, &child.query, &child_ids, reading);
    reading.path.pop();
    nested
}

/// The subquery's own filter, narrowed to children of the parents `ids`.
fn of_parents(child: &ChildQuery, ids: &[String]) -> Condition {
    let parents = Condition::In {
        left: Operand::Field(FieldPath {
            hops: Vec::new(),
            field: child.parent_field.clone(),
        }),
        negated: false,
        values: ids
            .iter()
            .map(|id| Bound::Literal(Literal::Text(id.clone())))
            .collect(),
    };
    match &child.query.filter {
        None => parents,
        Some(own) => Condition::And(vec![parents, own.clone()]),
    }
}

//! Parent-to-child subqueries of a REST query page, as Salesforce nests them: under each parent record the
//! relationship's key holds `null` when no child matched, else a query result (`totalSize`, `done`,
//! `records`) of the child records.
//!
//! Memory stays bounded by the page: each subquery runs once per page of parents (never once per parent),
//! its lookup `IN` the page's parent ids in slices of [`IDS_PER_STATEMENT`], and its rows are grouped under
//! their parents with the subquery's LIMIT and OFFSET counted per parent. A nested subquery runs the same
//! way over the ids of the child rows kept. Every child of a parent is written inline with `done: true`
//! (Salesforce pages a large child set with a `nextRecordsUrl` of its own; see the README's deliberate
//! choices).

use super::json::{record_json, with_reference_columns};
use super::rows::QueryRows;
use bulkforce_core::job::ApiVersion;
use bulkforce_core::value::Value;
use bulkforce_soql::bound::{
    ChildQuery, Condition, FieldPath, Literal, Operand, Query, SelectItem, Value as Bound,
};
use bulkforce_store::{QueryOptions, StoreError};
use serde_json::{Map, Value as Json, json};
use std::collections::HashMap;

/// Parent ids in one child statement: far inside the filter's value limit and SQLite's parameter limit.
const IDS_PER_STATEMENT: usize = 500;

/// For each subquery of a statement, in order, the nested result of each parent id that has children.
pub(super) struct NestedResults(Vec<HashMap<String, Json>>);

impl NestedResults {
    /// Runs the subqueries of `query` for the parents `parent_ids` (nothing when it has none).
    pub(super) fn read(
        rows: &mut dyn QueryRows,
        query: &Query,
        parent_ids: &[String],
        options: QueryOptions,
        version: ApiVersion,
    ) -> Result<NestedResults, StoreError> {
        query
            .children
            .iter()
            .map(|child| child_results(rows, child, parent_ids, options, version))
            .collect::<Result<Vec<_>, _>>()
            .map(NestedResults)
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

/// The child rows of one parent, with how many matched before the kept ones (for OFFSET).
#[derive(Default)]
struct Group {
    matched: u64,
    rows: Vec<Vec<Value>>,
}

/// One subquery's nested result for each parent among `parent_ids` that has children.
fn child_results(
    rows: &mut dyn QueryRows,
    child: &ChildQuery,
    parent_ids: &[String],
    options: QueryOptions,
    version: ApiVersion,
) -> Result<HashMap<String, Json>, StoreError> {
    let (mut statement, extra) = with_reference_columns(&child.query);
    let parent_column = statement.select.len();
    statement.select.push(SelectItem::Field(FieldPath {
        hops: Vec::new(),
        field: child.parent_field.clone(),
    }));
    // LIMIT and OFFSET count per parent, so they apply while grouping, not in SQL.
    statement.limit = None;
    statement.offset = None;
    let skip = child.query.offset.unwrap_or(0);
    let keep = child.query.limit.unwrap_or(u64::MAX);
    let mut groups: HashMap<String, Group> = HashMap::new();
    for slice in parent_ids.chunks(IDS_PER_STATEMENT) {
        let mut sliced = statement.clone();
        sliced.filter = Some(of_parents(child, slice));
        for row in rows.rows(&sliced, options)? {
            let Some(Value::Text(parent)) = row.get(parent_column) else {
                continue;
            };
            let group = groups.entry(parent.clone()).or_default();
            group.matched += 1;
            if group.matched > skip && (group.rows.len() as u64) < keep {
                group.rows.push(row);
            }
        }
    }
    // The kept child rows' ids, for the subqueries nested in this one (none: nothing to collect).
    let child_ids: Vec<String> = if child.query.children.is_empty() {
        Vec::new()
    } else {
        groups
            .values()
            .flat_map(|g| g.rows.iter())
            .filter_map(|row| match row.get(extra.root_id()) {
                Some(Value::Text(id)) => Some(id.clone()),
                _ => None,
            })
            .collect()
    };
    let mut nested = NestedResults::read(rows, &child.query, &child_ids, options, version)?;
    let mut results = HashMap::with_capacity(groups.len());
    for (parent, group) in groups {
        if group.rows.is_empty() {
            continue;
        }
        let records: Vec<Json> = group
            .rows
            .iter()
            .map(|row| {
                let mut record = record_json(&child.query, &extra, row, version);
                let id = match row.get(extra.root_id()) {
                    Some(Value::Text(id)) => Some(id.as_str()),
                    _ => None,
                };
                nested.insert_into(&child.query, id, &mut record);
                record
            })
            .collect();
        let mut result = Map::new();
        result.insert("totalSize".into(), json!(records.len()));
        result.insert("done".into(), json!(true));
        result.insert("records".into(), Json::Array(records));
        results.insert(parent, Json::Object(result));
    }
    Ok(results)
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

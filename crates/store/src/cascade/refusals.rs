//! Which records of a delete are refused before anything is deleted: those a restricting lookup keeps
//! (`DELETE_FAILED`, naming the first restricting records), directly or through a record a cascade
//! would delete, and those whose cascade would reach
//! [`CASCADE_LIMIT`](bulkforce_core::org::cascade::CASCADE_LIMIT) records
//! (`DELETE_OPERATION_TOO_LARGE`). Every statement is over a slice of the parents and returns at most
//! the names a message shows or one count per parent.

use super::{CascadeSql, ChildRow, Probe, SLICE};
use crate::Result;
use bulkforce_core::error::RowError;
use bulkforce_core::id::SfId;
use bulkforce_core::org::cascade::{
    CASCADE_LIMIT, ChildLookup, DeletePlan, RESTRICTING_NAMES_SHOWN, cascade_too_large_error,
    restricted_delete_error,
};
use bulkforce_core::schema::SObject;
use std::collections::HashMap;

/// The records of `ids` (of `object`, about to be deleted) that cannot be deleted, each with its row
/// error. Empty, with no statement run, when the plan neither restricts nor cascades.
pub(crate) fn refusals(
    sql: &mut dyn CascadeSql,
    object: &SObject,
    plan: &DeletePlan,
    ids: &[SfId],
) -> Result<HashMap<SfId, RowError>> {
    if ids.is_empty() || (!plan.may_be_refused() && plan.cascades.is_empty()) {
        return Ok(HashMap::new());
    }
    let mut probe = Probe::new(sql);
    let mut restricting = Vec::new();
    restricting_paths(plan, &mut Vec::new(), &mut restricting);
    let mut cascading = Vec::new();
    cascade_paths(plan, &mut Vec::new(), &mut cascading);
    let ids: Vec<String> = ids.iter().map(|id| id.as_str().to_owned()).collect();
    let mut refused = HashMap::new();
    for parents in ids.chunks(SLICE) {
        for (top, error) in restricted(&mut probe, object, &restricting, parents)? {
            refused.insert(parse(&top)?, error);
        }
        for (top, error) in too_large(&mut probe, &cascading, parents)? {
            refused.entry(parse(&top)?).or_insert(error);
        }
    }
    Ok(refused)
}

fn parse(id: &str) -> Result<SfId> {
    SfId::parse(id).map_err(|e| crate::StoreError::Corrupt(e.to_string()))
}

/// Every path from the deleted records to a restricting lookup, in the order a refusal looks for
/// them: a level's restricting lookups, then those through each cascade in turn.
fn restricting_paths<'p>(
    plan: &'p DeletePlan,
    prefix: &mut Vec<&'p ChildLookup>,
    out: &mut Vec<Vec<&'p ChildLookup>>,
) {
    for lookup in &plan.restricts {
        let mut path = prefix.clone();
        path.push(lookup);
        out.push(path);
    }
    for step in plan.cascades.iter().filter(|c| c.then.may_be_refused()) {
        prefix.push(&step.lookup);
        restricting_paths(&step.then, prefix, out);
        prefix.pop();
    }
}

/// Every path a cascade deletes records along (each cascading relationship, at every depth).
fn cascade_paths<'p>(
    plan: &'p DeletePlan,
    prefix: &mut Vec<&'p ChildLookup>,
    out: &mut Vec<Vec<&'p ChildLookup>>,
) {
    for step in &plan.cascades {
        prefix.push(&step.lookup);
        out.push(prefix.clone());
        cascade_paths(&step.then, prefix, out);
        prefix.pop();
    }
}

/// The parents of `parents` a restricting path keeps, with `DELETE_FAILED` naming the first
/// restricting records of the first path that keeps each.
fn restricted(
    probe: &mut Probe<'_>,
    object: &SObject,
    paths: &[Vec<&ChildLookup>],
    parents: &[String],
) -> Result<Vec<(String, RowError)>> {
    let mut blocked: HashMap<String, (usize, Vec<ChildRow>)> = HashMap::new();
    for (index, path) in paths.iter().enumerate() {
        if !probe.path_used(path)? {
            continue;
        }
        for row in probe
            .sql
            .first_reached(path, parents, RESTRICTING_NAMES_SHOWN)?
        {
            let entry = blocked
                .entry(row.parent.clone())
                .or_insert_with(|| (index, Vec::new()));
            if entry.0 == index {
                entry.1.push(row);
            }
        }
    }
    if blocked.is_empty() {
        return Ok(Vec::new());
    }
    let tops: Vec<String> = blocked.keys().cloned().collect();
    let names = probe.sql.names(object, &tops)?;
    Ok(blocked
        .into_iter()
        .map(|(top, (index, rows))| {
            let child = &paths[index].last().expect("a path is never empty").child;
            let shown: Vec<String> = rows.into_iter().map(|r| r.name.unwrap_or(r.id)).collect();
            let name = names.get(&top).cloned().unwrap_or_else(|| top.clone());
            let error = restricted_delete_error(&name, child, &shown);
            (top, error)
        })
        .collect())
}

/// The parents of `parents` whose cascade reaches [`CASCADE_LIMIT`] records (every path's count
/// added), with `DELETE_OPERATION_TOO_LARGE` naming the path that reaches the most.
fn too_large(
    probe: &mut Probe<'_>,
    paths: &[Vec<&ChildLookup>],
    parents: &[String],
) -> Result<Vec<(String, RowError)>> {
    // Per parent: its records reached in all, and the path reaching the most with its count.
    let mut reached: HashMap<String, (u64, usize, u64)> = HashMap::new();
    for (index, path) in paths.iter().enumerate() {
        if !probe.path_used(path)? {
            continue;
        }
        for (parent, count) in probe.sql.count_reached(path, parents)? {
            let entry = reached.entry(parent).or_insert((0, index, 0));
            entry.0 += count;
            if count > entry.2 {
                (entry.1, entry.2) = (index, count);
            }
        }
    }
    Ok(reached
        .into_iter()
        .filter(|(_, (total, _, _))| *total >= CASCADE_LIMIT)
        .map(|(parent, (_, index, _))| {
            let objects: Vec<&SObject> = paths[index].iter().map(|l| l.child.as_ref()).collect();
            (parent, cascade_too_large_error(&objects))
        })
        .collect())
}

//! `GET /query?explain=SOQL` (and `/queryAll?explain=`): the Query Plan resource's shape,
//! `{"plans":[{"cardinality","fields","leadingOperationType","notes","relativeCost","sobjectCardinality",
//! "sobjectType"}]}`, cheapest plan first.
//!
//! The plans are PLAUSIBLE, not Salesforce's optimizer: they are built from the bound statement and real
//! row counts so that a tool reading them (the Developer Console's Query Plan, a selectivity check in a test)
//! gets numbers that move the right way. The rules:
//! - The top-level AND terms of the WHERE clause are grouped by field. A field Salesforce indexes by default
//!   (`Id`, `Name`, lookups, id-lookup fields, external ids, unique fields, `CreatedDate`,
//!   `SystemModstamp`, `Email` on Contact and Lead) with an equality, range, `IN` or prefix `LIKE` term
//!   gives an `Index` plan; its `cardinality` is the number of records matching that field's terms.
//! - A `TableScan` plan is always there; its `cardinality` is the number of records the whole filter
//!   matches.
//! - Unindexed fields of the terms are listed in a note, `Not considering filter for optimization because
//!   unindexed`, on every plan, with `IsDeleted` (filtered implicitly) for `/query`.
//! - `relativeCost` of an index plan is its cardinality over Salesforce's selectivity threshold (standard
//!   index: 30% of the first million records and 15% beyond, at most 1,000,000; custom field: 10% and 5%,
//!   at most 333,333); a table scan costs 0.65, what Salesforce reports for small tables. So an index wins
//!   when it matches under about a fifth of the records (a fifteenth for a custom field).

use crate::soql::{Mode, compile_query};
use crate::state::AppState;
use crate::wire;
use axum::http::StatusCode;
use axum::response::Response;
use bulkforce_core::ApiError;
use bulkforce_core::schema::{Field, FieldType, SObject};
use bulkforce_soql::bound::{ComparisonOp, Condition, FieldPath, Literal, Operand, Query, Value};
use bulkforce_store::{Principal, QueryOptions};
use serde_json::{Value as Json, json};

/// What a table scan costs, whatever the table's size (Salesforce's figure for a small table).
const TABLE_SCAN_COST: f64 = 0.65;

/// Salesforce's note for filter fields no index serves.
const UNINDEXED_NOTE: &str = "Not considering filter for optimization because unindexed";

/// Plans the statement `soql` (compiled as the query itself would be, so a bad statement gets the query's
/// error) for `/query` or, with `all_rows`, `/queryAll`.
pub(super) async fn explain(
    state: &AppState,
    principal: &Principal,
    all_rows: bool,
    soql: &str,
) -> Result<Response, ApiError> {
    if soql.trim().is_empty() {
        return Err(ApiError::new(
            400,
            "MALFORMED_QUERY",
            "A query string has to be specified",
        ));
    }
    let bound = compile_query(state.store.schema(), soql, state.clock.now(), Mode::Rest)?;
    let terms = Terms::of(&bound);
    let options = QueryOptions {
        include_deleted: all_rows,
        ..QueryOptions::default()
    };
    let org = principal.org_id;
    let object = bound.object.clone();
    let indexed = terms.indexed.clone();
    let whole_filter = bound.filter.clone();
    let (total, matching, per_index) = state
        .with_store(move |store| {
            let total = store.count_records(org, &object.name, all_rows)?;
            let matching = store.count_query(org, &counting(&object, whole_filter), options)?;
            let per_index = indexed
                .iter()
                .map(|(_, condition)| {
                    store.count_query(org, &counting(&object, Some(condition.clone())), options)
                })
                .collect::<bulkforce_store::Result<Vec<u64>>>()?;
            Ok((total, matching, per_index))
        })
        .await?;
    let mut unindexed = terms.unindexed;
    if !all_rows && bound.object.field("IsDeleted").is_some() {
        unindexed.push("IsDeleted".to_owned());
    }
    let plan = |kind: &str, fields: Vec<&str>, cardinality: u64, cost: f64| {
        json!({
            "cardinality": cardinality,
            "fields": fields,
            "leadingOperationType": kind,
            "notes": notes(&bound.object.name, &unindexed),
            "relativeCost": cost,
            "sobjectCardinality": total,
            "sobjectType": bound.object.name,
        })
    };
    let mut plans: Vec<(f64, Json)> = terms
        .indexed
        .iter()
        .zip(per_index)
        .map(|((field, _), cardinality)| {
            let cost = cardinality as f64 / selectivity_threshold(total, field.custom);
            (cost, plan("Index", vec![&field.name], cardinality, cost))
        })
        .collect();
    plans.push((
        TABLE_SCAN_COST,
        plan("TableScan", Vec::new(), matching, TABLE_SCAN_COST),
    ));
    plans.sort_by(|a, b| a.0.total_cmp(&b.0));
    let plans: Vec<Json> = plans.into_iter().map(|(_, plan)| plan).collect();
    Ok(wire::json(StatusCode::OK, &json!({ "plans": plans })))
}

/// The notes of every plan: one listing the unindexed filter fields, if any.
fn notes(object: &str, unindexed: &[String]) -> Json {
    if unindexed.is_empty() {
        return json!([]);
    }
    json!([{ "description": UNINDEXED_NOTE, "fields": unindexed, "tableEnumOrId": object }])
}

/// `SELECT Id FROM <object> WHERE <filter>`: what a plan's cardinality counts.
fn counting(object: &std::sync::Arc<SObject>, filter: Option<Condition>) -> Query {
    let id = object
        .field("Id")
        .cloned()
        .expect("every object has an Id field (system fields are added to each)");
    Query {
        object: object.clone(),
        select: vec![bulkforce_soql::bound::SelectItem::Field(FieldPath {
            hops: Vec::new(),
            field: id,
        })],
        filter,
        group_by: Vec::new(),
        having: None,
        order_by: Vec::new(),
        limit: None,
        offset: None,
        children: Vec::new(),
        per_parent: None,
    }
}

/// The rows an index may return and still be selective: Salesforce's published thresholds.
fn selectivity_threshold(total: u64, custom: bool) -> f64 {
    let first = total.min(1_000_000) as f64;
    let beyond = total.saturating_sub(1_000_000) as f64;
    let (share, share_beyond, cap) = if custom {
        (0.10, 0.05, 333_333.0)
    } else {
        (0.30, 0.15, 1_000_000.0)
    };
    (share * first + share_beyond * beyond).min(cap).max(1.0)
}

/// The top-level AND terms of a filter, sorted out: per indexed field, the terms an index can serve
/// (ANDed); and the object's own unindexed fields the filter names.
struct Terms {
    indexed: Vec<(Field, Condition)>,
    unindexed: Vec<String>,
}

impl Terms {
    fn of(query: &Query) -> Terms {
        let mut terms = Terms {
            indexed: Vec::new(),
            unindexed: Vec::new(),
        };
        let mut conjuncts = Vec::new();
        if let Some(filter) = &query.filter {
            flatten_and(filter, &mut conjuncts);
        }
        for term in conjuncts {
            let Some(field) = own_field(term) else {
                continue;
            };
            if is_indexed(&query.object, field) {
                if index_serves(term) {
                    terms.add_indexed(field, term);
                }
            } else if !terms.unindexed.contains(&field.name) {
                terms.unindexed.push(field.name.clone());
            }
        }
        terms
    }

    fn add_indexed(&mut self, field: &Field, term: &Condition) {
        match self.indexed.iter_mut().find(|(f, _)| f.name == field.name) {
            Some((_, Condition::And(all))) => all.push(term.clone()),
            Some((_, single)) => *single = Condition::And(vec![single.clone(), term.clone()]),
            None => self.indexed.push((field.clone(), term.clone())),
        }
    }
}

fn flatten_and<'a>(condition: &'a Condition, out: &mut Vec<&'a Condition>) {
    match condition {
        Condition::And(all) => all.iter().for_each(|c| flatten_and(c, out)),
        other => out.push(other),
    }
}

/// The field of the queried object a term filters on (none for parent fields, functions and OR/NOT).
fn own_field(term: &Condition) -> Option<&Field> {
    let path = match term {
        Condition::Compare {
            left: Operand::Field(path),
            ..
        }
        | Condition::In {
            left: Operand::Field(path),
            ..
        } => path,
        Condition::Like { left, .. }
        | Condition::InSubquery { left, .. }
        | Condition::Includes { left, .. } => left,
        _ => return None,
    };
    path.hops.is_empty().then_some(&path.field)
}

/// Whether an index can lead with the term: equality, ranges, `IN` and prefix `LIKE`; not negations, not
/// comparisons with null, not a `LIKE` that starts with a wildcard.
fn index_serves(term: &Condition) -> bool {
    match term {
        Condition::Compare { op, right, .. } => {
            *op != ComparisonOp::Ne && *right != Value::Literal(Literal::Null)
        }
        Condition::In { negated, .. } | Condition::InSubquery { negated, .. } => !negated,
        Condition::Like { pattern, .. } => !pattern.starts_with(['%', '_']),
        _ => false,
    }
}

/// The fields Salesforce indexes without being asked.
fn is_indexed(object: &SObject, field: &Field) -> bool {
    matches!(field.ftype, FieldType::Id | FieldType::Reference)
        || field.external_id
        || field.unique
        || field.id_lookup
        || ["Name", "CreatedDate", "SystemModstamp"]
            .iter()
            .any(|n| field.name.eq_ignore_ascii_case(n))
        || (field.name.eq_ignore_ascii_case("Email")
            && ["Contact", "Lead"]
                .iter()
                .any(|o| object.name.eq_ignore_ascii_case(o)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_follow_salesforces_shares_and_caps() {
        assert!((selectivity_threshold(1_000, false) - 300.0).abs() < 1e-9);
        assert!((selectivity_threshold(1_000, true) - 100.0).abs() < 1e-9);
        assert!((selectivity_threshold(2_000_000, false) - 450_000.0).abs() < 1e-9);
        assert!((selectivity_threshold(10_000_000, true) - 333_333.0).abs() < 1e-9);
        assert!((selectivity_threshold(0, false) - 1.0).abs() < 1e-9);
    }
}

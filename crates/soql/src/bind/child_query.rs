//! Parent-to-child subqueries `(SELECT LastName FROM Contacts)` in a REST statement's SELECT list: the
//! relationship after FROM resolved through the schema's child relationship names to a child object and
//! its lookup, the child statement bound in turn, and the limits Salesforce sets on them: at most
//! [`MAX_SUBQUERIES`] in one statement, subqueries nested inside subqueries only from API
//! [`NESTED_SUBQUERIES_FROM`] on and at most [`MAX_CHILD_LEVELS`] below the root, no aggregates in them,
//! and OFFSET in one only when its parent reads one record (`LIMIT 1`). (Bulk query jobs never get here:
//! they refuse any subquery before binding it.)

use super::paths::RELATIONSHIP_TAIL;
use super::{Binder, Level, Scope};
use crate::ast;
use crate::bound::{ChildQuery, Query};
use crate::error::{INVALID_TYPE, MALFORMED_QUERY, SoqlError};

/// Salesforce's limit on parent-to-child relationships in one statement.
pub const MAX_SUBQUERIES: usize = 20;
/// Levels of subqueries below the root: the root is the first of Salesforce's five levels.
pub const MAX_CHILD_LEVELS: usize = 4;
/// The first API version whose subqueries may hold subqueries (Summer '23).
pub const NESTED_SUBQUERIES_FROM: u16 = 58;

/// The refusal of a subquery nested deeper than `levels` below the root.
fn too_deep(levels: usize) -> SoqlError {
    let unit = if levels == 1 { "level" } else { "levels" };
    SoqlError::plain(
        MALFORMED_QUERY,
        format!(
            "SOQL statements cannot query aggregate relationships more than {levels} {unit} away from the root entity object."
        ),
    )
}

impl Binder<'_> {
    /// The statement's subqueries, bound in order; `positions` says how many SELECT items precede each.
    pub(super) fn child_queries(
        &self,
        scope: &Scope,
        stmt: &ast::Select,
        positions: &[usize],
        level: Level,
    ) -> Result<Vec<ChildQuery>, SoqlError> {
        let depth = match level {
            Level::Child(depth) => depth + 1,
            Level::Top | Level::SemiJoin => 1,
        };
        let subqueries = stmt.items.iter().filter_map(|item| match item {
            ast::SelectItem::Subquery { query, .. } => Some(query.as_ref()),
            _ => None,
        });
        subqueries
            .zip(positions)
            .map(|(query, &position)| self.child_query(scope, stmt, query, depth, position))
            .collect()
    }

    /// One subquery of `parent`, `depth` levels below the root.
    fn child_query(
        &self,
        scope: &Scope,
        parent: &ast::Select,
        stmt: &ast::Select,
        depth: usize,
        position: usize,
    ) -> Result<ChildQuery, SoqlError> {
        if depth > 1 && self.api_version < NESTED_SUBQUERIES_FROM {
            return Err(too_deep(1));
        }
        if depth > MAX_CHILD_LEVELS {
            return Err(too_deep(MAX_CHILD_LEVELS));
        }
        let relationship = self
            .schema
            .child_relationship_named(&scope.object, &stmt.from.name)
            .ok_or_else(|| {
                self.err(
                    stmt.from.span,
                    INVALID_TYPE,
                    format!(
                        "Didn't understand relationship '{}' in FROM part of query call. {RELATIONSHIP_TAIL}",
                        stmt.from.name
                    ),
                )
            })?;
        let parent_field = relationship
            .child
            .field(&relationship.field)
            .cloned()
            .expect("a named child relationship's lookup is a field of its child object");
        let query = self.select_from(stmt, relationship.child.clone(), Level::Child(depth))?;
        if query.is_aggregate() {
            return Err(SoqlError::plain(
                MALFORMED_QUERY,
                "Aggregate functions and GROUP BY are not supported in a parent-to-child subquery",
            ));
        }
        if let Some(offset) = stmt.offset
            && parent.limit.map(|c| c.value) != Some(1)
        {
            return Err(self.err(
                offset.span,
                MALFORMED_QUERY,
                "A subquery can use OFFSET only if the parent query has a LIMIT 1 clause",
            ));
        }
        crate::limits::check_complexity(&query)?;
        Ok(ChildQuery {
            relationship: relationship.name,
            parent_field,
            query,
            position,
        })
    }
}

/// Refuses a statement with more than [`MAX_SUBQUERIES`] parent-to-child subqueries, nested ones included.
pub(super) fn check_subquery_count(query: &Query) -> Result<(), SoqlError> {
    fn count(query: &Query) -> usize {
        query.children.len()
            + query
                .children
                .iter()
                .map(|c| count(&c.query))
                .sum::<usize>()
    }
    if count(query) > MAX_SUBQUERIES {
        return Err(SoqlError::plain(
            MALFORMED_QUERY,
            format!(
                "No more than {MAX_SUBQUERIES} parent-to-child relationships can be specified in a query"
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Mode;
    use crate::bind::test_support::compile;
    use crate::bind::{BULK_AGGREGATE, test_support};
    use crate::error::API_ERROR;

    fn error(text: &str) -> SoqlError {
        compile(text, Mode::Rest).unwrap_err()
    }

    #[test]
    fn a_subquery_binds_over_the_child_object_through_its_lookup() {
        let q = compile(
            "SELECT Name, (SELECT LastName FROM Contacts WHERE LastName LIKE 'a%' ORDER BY LastName DESC LIMIT 2), Id FROM Account",
            Mode::Rest,
        )
        .unwrap();
        assert_eq!(q.select.len(), 2);
        let [child] = q.children.as_slice() else {
            panic!("{:?}", q.children)
        };
        assert_eq!(child.relationship, "Contacts");
        assert_eq!(child.parent_field.name, "AccountId");
        assert_eq!(child.position, 1);
        assert_eq!(child.query.object.name, "Contact");
        assert_eq!(child.query.limit, Some(2));
        assert!(child.query.filter.is_some());
        assert!(child.query.order_by[0].descending);
        // Names ignore case, and a subquery may come first.
        let q = compile(
            "SELECT (SELECT Id FROM cases), Name FROM Account",
            Mode::Rest,
        )
        .unwrap();
        assert_eq!(
            (q.children[0].relationship.as_str(), q.children[0].position),
            ("Cases", 0)
        );
    }

    #[test]
    fn an_unknown_relationship_is_refused_at_its_name() {
        let e = error("SELECT Name, (SELECT Id FROM Contact) FROM Account");
        assert_eq!(e.code, INVALID_TYPE);
        assert_eq!(
            e.message,
            format!(
                "\nSELECT Name, (SELECT Id FROM Contact) FROM Account\n                             ^\nERROR at Row:1:Column:30\nDidn't understand relationship 'Contact' in FROM part of query call. {RELATIONSHIP_TAIL}"
            )
        );
        let e = error("SELECT Name, (SELECT Nope FROM Contacts) FROM Account");
        assert!(
            e.message.ends_with("No such column 'Nope' on entity 'Contact'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."),
            "{}",
            e.message
        );
    }

    #[test]
    fn nesting_needs_api_58_and_stops_at_five_levels() {
        let nested = "SELECT Name, (SELECT LastName, (SELECT Subject FROM Cases) FROM Contacts) FROM Account";
        let q = compile(nested, Mode::Rest).unwrap();
        let grandchild = &q.children[0].query.children[0];
        assert_eq!(
            (
                grandchild.relationship.as_str(),
                grandchild.parent_field.name.as_str()
            ),
            ("Cases", "ContactId")
        );
        let at = |version: u16| {
            let ctx = crate::BindContext {
                now: chrono::Utc::now(),
                fiscal_year_start_month: 1,
            };
            crate::compile_at_version(
                nested,
                &bulkforce_core::schema::Schema::builtin(),
                &ctx,
                Mode::Rest,
                version,
            )
        };
        assert!(at(58).is_ok());
        let e = at(57).unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            (
                MALFORMED_QUERY,
                "SOQL statements cannot query aggregate relationships more than 1 level away from the root entity object."
            )
        );
        // One level at 57.0 is fine.
        assert!(
            crate::compile_at_version(
                "SELECT (SELECT Id FROM Contacts) FROM Account",
                &bulkforce_core::schema::Schema::builtin(),
                &crate::BindContext {
                    now: chrono::Utc::now(),
                    fiscal_year_start_month: 1
                },
                Mode::Rest,
                31
            )
            .is_ok()
        );
        // Account > ChildAccounts > ChildAccounts > ChildAccounts > ChildAccounts: five levels.
        let five = "SELECT Id, (SELECT Id, (SELECT Id, (SELECT Id, (SELECT Id FROM ChildAccounts) FROM ChildAccounts) FROM ChildAccounts) FROM ChildAccounts) FROM Account";
        assert!(compile(five, Mode::Rest).is_ok());
        let six = five.replace(
            "(SELECT Id FROM ChildAccounts)",
            "(SELECT Id, (SELECT Id FROM ChildAccounts) FROM ChildAccounts)",
        );
        let e = error(&six);
        assert_eq!(
            e.message,
            "SOQL statements cannot query aggregate relationships more than 4 levels away from the root entity object."
        );
    }

    #[test]
    fn limits_on_count_aggregates_and_offset() {
        let many: Vec<String> = (0..21)
            .map(|i| format!("(SELECT Id FROM Contacts WHERE LastName = 'n{i}')"))
            .collect();
        let e = error(&format!("SELECT {} FROM Account", many.join(", ")));
        assert_eq!(
            (e.code, e.message.as_str()),
            (
                MALFORMED_QUERY,
                "No more than 20 parent-to-child relationships can be specified in a query"
            )
        );
        assert!(
            compile(
                &format!("SELECT {} FROM Account", many[..20].join(", ")),
                Mode::Rest
            )
            .is_ok()
        );
        let e = error("SELECT Name, (SELECT COUNT() FROM Contacts) FROM Account");
        assert_eq!(e.code, MALFORMED_QUERY);
        let e = error("SELECT Name, (SELECT Id FROM Contacts LIMIT 5 OFFSET 1) FROM Account");
        assert!(
            e.message.ends_with(
                "Column:54\nA subquery can use OFFSET only if the parent query has a LIMIT 1 clause"
            ),
            "{}",
            e.message
        );
        let q = compile(
            "SELECT Name, (SELECT Id FROM Contacts LIMIT 5 OFFSET 1) FROM Account LIMIT 1",
            Mode::Rest,
        )
        .unwrap();
        assert_eq!(q.children[0].query.offset, Some(1));
    }

    #[test]
    fn bulk_query_jobs_refuse_every_subquery_unbound() {
        for text in [
            "SELECT Name, (SELECT LastName FROM Contacts) FROM Account",
            "SELECT Name, (SELECT LastName FROM NoSuchThing) FROM Account",
        ] {
            let e = test_support::compile(text, Mode::BulkQuery).unwrap_err();
            assert_eq!((e.code, e.message.as_str()), (API_ERROR, BULK_AGGREGATE));
        }
    }
}

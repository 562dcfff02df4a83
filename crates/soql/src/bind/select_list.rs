//! The SELECT list, bound item by item into a [`SelectList`]: one method per item shape (a field path, a
//! function call with its alias, `FIELDS(…)`, and the subqueries and `TYPEOF` that are only recorded for
//! the API check).

use super::api::SpecialItems;
use super::functions::BoundCall;
use super::{Binder, Clause, Scope};
use crate::ast;
use crate::bound::{FieldPath, SelectItem};
use crate::error::{INVALID_FIELD, MALFORMED_QUERY, SoqlError};
use crate::lexer::Span;
use bulkforce_core::schema::SObject;
use std::collections::{HashMap, HashSet};

/// Where a bound SELECT item was written and how, for the "must be grouped or aggregated" errors of
/// aggregate queries.
pub(super) struct Written {
    pub(super) span: Span,
    pub(super) text: String,
}

/// How a field came to be selected, which decides how a duplicate of it is reported.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SelectedBy {
    /// Written as a path: a later duplicate of it points at the duplicate.
    Path,
    /// Expanded from `FIELDS(…)`: a later duplicate of it has no position (neither has Salesforce's).
    FieldsFunction,
}

/// The SELECT list as it is bound.
#[derive(Default)]
pub(super) struct SelectList {
    /// The bound items, in order.
    pub(super) items: Vec<SelectItem>,
    /// For each bound item, where it was written and how.
    pub(super) written: Vec<Written>,
    /// Items only some APIs accept, kept for the API check once the statement is bound.
    pub(super) special: SpecialItems,
    /// For each parent-to-child subquery, in order, how many items were bound before it.
    pub(super) subquery_positions: Vec<usize>,
    /// The headers selected so far (lower-cased), to refuse a field selected twice.
    seen: HashMap<String, SelectedBy>,
    /// The explicit aliases so far (lower-cased), to refuse one used twice.
    aliases: HashSet<String>,
    /// The number of the next `exprN` alias Salesforce gives a call written without one.
    next_expr: usize,
}

impl Binder<'_> {
    /// Binds the SELECT list, item by item, in order.
    pub(super) fn select_list(
        &self,
        scope: &Scope,
        items: &[ast::SelectItem],
    ) -> Result<SelectList, SoqlError> {
        let mut list = SelectList::default();
        for item in items {
            match item {
                ast::SelectItem::Expr {
                    expr: ast::Expr::Field(path),
                    ..
                } => {
                    let bound = self.path(scope, path)?;
                    list.push_field(self, path, bound)?;
                }
                ast::SelectItem::Expr {
                    expr:
                        call @ ast::Expr::Call {
                            function,
                            arg,
                            span,
                        },
                    alias,
                } => {
                    let bound = self.call(scope, function, arg.as_ref(), *span, Clause::Select)?;
                    list.push_call(self, bound, alias.as_ref(), call)?;
                }
                ast::SelectItem::Fields { kind, span } => {
                    list.push_fields(&scope.object, *kind, *span)?;
                }
                ast::SelectItem::Subquery { span, .. } => {
                    list.special.subquery.get_or_insert(*span);
                    list.subquery_positions.push(list.items.len());
                }
                ast::SelectItem::TypeOf {
                    span,
                    relationship,
                    whens,
                    else_fields,
                } => {
                    list.special.type_of.get_or_insert(*span);
                    // Bulk query jobs refuse TYPEOF whatever it names (see `api`).
                    if self.mode == crate::Mode::Rest {
                        self.type_of(scope, relationship, whens, else_fields, &mut list)?;
                    }
                }
            }
        }
        Ok(list)
    }
}

impl SelectList {
    /// A field path (`Account.Name`), refused if its header was already selected.
    fn push_field(
        &mut self,
        binder: &Binder<'_>,
        path: &ast::Path,
        bound: FieldPath,
    ) -> Result<(), SoqlError> {
        let key = bound.header().to_ascii_lowercase();
        if let Some(earlier) = self.seen.insert(key, SelectedBy::Path) {
            let message = format!("duplicate field selected: {}", path.text());
            return Err(match earlier {
                SelectedBy::FieldsFunction => SoqlError::plain(INVALID_FIELD, message),
                SelectedBy::Path => binder.err(path.span, INVALID_FIELD, message),
            });
        }
        self.items.push(SelectItem::Field(bound));
        self.written.push(Written {
            span: path.span,
            text: path.text(),
        });
        Ok(())
    }

    /// An aggregate or date function, under its alias: the one written (refused if already used), or
    /// Salesforce's `expr0`, `expr1`, … in order of the calls written without one.
    fn push_call(
        &mut self,
        binder: &Binder<'_>,
        bound: BoundCall,
        alias: Option<&ast::Ident>,
        call: &ast::Expr,
    ) -> Result<(), SoqlError> {
        let alias = if let Some(alias) = alias {
            if !self.aliases.insert(alias.name.to_ascii_lowercase()) {
                return Err(binder.err(
                    alias.span,
                    MALFORMED_QUERY,
                    format!("duplicate alias: {}", alias.name),
                ));
            }
            alias.name.clone()
        } else {
            let alias = format!("expr{}", self.next_expr);
            self.next_expr += 1;
            alias
        };
        self.items.push(bound.into_select_item(alias));
        self.written.push(Written {
            span: call.span(),
            text: call.text(),
        });
        Ok(())
    }

    /// `FIELDS(STANDARD|CUSTOM|ALL)`: the object's stored fields of that kind, each refused if already
    /// selected. `CUSTOM` and `ALL` are recorded for the LIMIT rule and the API check.
    fn push_fields(
        &mut self,
        object: &SObject,
        kind: ast::FieldsKind,
        span: Span,
    ) -> Result<(), SoqlError> {
        if kind != ast::FieldsKind::Standard {
            self.special.wide_fields.get_or_insert((kind, span));
        }
        for field in object.stored_fields().filter(|f| match kind {
            ast::FieldsKind::Standard => !f.custom,
            ast::FieldsKind::Custom => f.custom,
            ast::FieldsKind::All => true,
        }) {
            let key = field.name.to_ascii_lowercase();
            if self.seen.insert(key, SelectedBy::FieldsFunction).is_some() {
                return Err(SoqlError::plain(
                    INVALID_FIELD,
                    format!("duplicate field selected: {}", field.name),
                ));
            }
            self.items.push(SelectItem::Field(FieldPath {
                hops: Vec::new(),
                field: field.clone(),
            }));
            self.written.push(Written {
                span,
                text: field.name.clone(),
            });
        }
        Ok(())
    }
}

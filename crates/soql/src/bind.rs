//! The binder: resolves a parsed statement against the schema into the [`crate::bound::Query`] the
//! store runs.
//!
//! It resolves the FROM object and every field path (relationship names through reference fields, at most
//! five hops), types and converts every literal to the type of what it is compared with (resolving date
//! literals to day ranges with the context's clock and fiscal year), checks operators, grouping and
//! semi-joins, and finally refuses what the API in use does not support (Bulk query jobs refuse aggregates,
//! GROUP BY, OFFSET, parent-to-child subqueries, TYPEOF, …). Each refusal carries Salesforce's error code
//! and message, pointing at the offending token where Salesforce does.

use crate::ast;
use crate::bound::{
    AggregateFunction, ComparisonOp, Condition, DateFunction, DateRange, FieldPath, Hop, Literal,
    Operand, OrderKey, Query, SelectItem, Value,
};
use crate::canonical::{aggregate_name, date_function_name};
use crate::dates::{self, RelativeDate};
use crate::error::{
    API_ERROR, INVALID_FIELD, INVALID_QUERY_FILTER_OPERATOR, INVALID_TYPE, MALFORMED_QUERY,
    NUMBER_OUTSIDE_VALID_RANGE, SoqlError,
};
use crate::lexer::{self, Span};
use crate::{BindContext, Mode};
use bulkforce_core::SfId;
use bulkforce_core::schema::{Field, FieldType, SObject, Schema};
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::HashMap;
use std::sync::Arc;

/// Salesforce's limit on child-to-parent hops in one field path.
pub const MAX_HOPS: usize = 5;
/// `FIELDS(ALL)` and `FIELDS(CUSTOM)` need `LIMIT` at most this.
pub const FIELDS_LIMIT: u64 = 200;
/// The largest OFFSET SOQL accepts.
pub const MAX_OFFSET: u64 = 2000;

const FIELD_TAIL: &str = "If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.";
const RELATIONSHIP_TAIL: &str = "If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.";
const OBJECT_TAIL: &str = "If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.";

/// Bulk refusal of parent-to-child subqueries and of aggregate queries (Data Loader matches
/// `Aggregate Relationships not supported in Bulk Query` in it).
pub const BULK_AGGREGATE: &str =
    "Aggregate Relationships not supported in Bulk Query with CSV content type";
/// Bulk refusal of compound (address, geolocation) fields.
pub const BULK_COMPOUND: &str = "Selecting compound data not supported in Bulk Query";
pub const BULK_OFFSET: &str = "OFFSET not supported in Bulk Query";
pub const BULK_TYPEOF: &str = "TYPEOF not supported in Bulk Query";
pub const FIELDS_NEEDS_LIMIT: &str = "The SOQL FIELDS function must have a LIMIT of at most 200";

/// Functions SOQL has that bulkforce does not implement.
const UNSUPPORTED_FUNCTIONS: [&str; 9] = [
    "TOLABEL",
    "FORMAT",
    "CONVERTCURRENCY",
    "CONVERTTIMEZONE",
    "GROUPING",
    "DISTANCE",
    "GEOLOCATION",
    "ROLLUP",
    "CUBE",
];

/// Binds `stmt`, parsed from `text`, against `schema`.
pub fn bind(
    text: &str,
    stmt: &ast::Select,
    schema: &Schema,
    ctx: &BindContext,
    mode: Mode,
) -> Result<Query, SoqlError> {
    Binder {
        text,
        schema,
        ctx,
        mode,
    }
    .select(stmt, Level::Top)
}

/// Whether a statement is the whole query or a semi-join's subquery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Top,
    SemiJoin,
}

/// Where an expression appears, which decides what it may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Clause {
    Select,
    Where,
    GroupBy,
    Having,
    OrderBy,
}

/// The queried object and its FROM alias.
struct Scope {
    object: Arc<SObject>,
    alias: Option<String>,
}

/// Where a condition sits, for the semi-join and HAVING rules.
#[derive(Clone, Copy)]
struct CondCtx<'g> {
    clause: Clause,
    level: Level,
    under_or: bool,
    under_not: bool,
    /// GROUP BY keys, which HAVING may reference.
    groups: &'g [Operand],
}

/// What a literal must be to be compared with an operand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Text,
    Id,
    /// An integer type, named as in Salesforce's messages (`int`, `long`).
    Integer(&'static str),
    Decimal,
    Boolean,
    Date,
    DateTime,
    /// Types no literal converts to (`time`, `base64Binary`, …).
    Other(&'static str),
}

impl Expect {
    fn of(ftype: FieldType) -> Expect {
        match ftype {
            FieldType::String
            | FieldType::TextArea
            | FieldType::Picklist
            | FieldType::MultiPicklist
            | FieldType::Combobox
            | FieldType::Email
            | FieldType::Phone
            | FieldType::Url
            | FieldType::EncryptedString => Expect::Text,
            FieldType::Id | FieldType::Reference => Expect::Id,
            FieldType::Boolean => Expect::Boolean,
            FieldType::Int => Expect::Integer("int"),
            FieldType::Long => Expect::Integer("long"),
            FieldType::Double | FieldType::Currency | FieldType::Percent => Expect::Decimal,
            FieldType::Date => Expect::Date,
            FieldType::DateTime => Expect::DateTime,
            FieldType::Time => Expect::Other("time"),
            FieldType::Base64 => Expect::Other("base64Binary"),
            FieldType::Compound => Expect::Other("address"),
        }
    }

    /// The type named in `value of filter criterion … must be of type X` (the field's SOAP type).
    fn type_name(self) -> &'static str {
        match self {
            Expect::Text => "string",
            Expect::Id => "id",
            Expect::Integer(name) | Expect::Other(name) => name,
            Expect::Decimal => "double",
            Expect::Boolean => "boolean",
            Expect::Date => "date",
            Expect::DateTime => "dateTime",
        }
    }

    fn quoted(self) -> bool {
        matches!(self, Expect::Text | Expect::Id)
    }
}

/// The left side of a condition as the literal conversion sees it.
struct Target {
    expect: Expect,
    /// The field type, when the operand is a plain field.
    ftype: Option<FieldType>,
    /// How messages name the operand (`CloseDate`, `CALENDAR_YEAR(CreatedDate)`).
    label: String,
}

struct Binder<'a> {
    text: &'a str,
    schema: &'a Schema,
    ctx: &'a BindContext,
    mode: Mode,
}

impl<'a> Binder<'a> {
    fn err(&self, span: Span, code: &'static str, message: impl AsRef<str>) -> SoqlError {
        SoqlError::at(self.text, span.start, code, message)
    }

    fn select(&self, stmt: &ast::Select, level: Level) -> Result<Query, SoqlError> {
        let object = self
            .schema
            .object(&stmt.from.name)
            .cloned()
            .ok_or_else(|| {
                self.err(
                    stmt.from.span,
                    INVALID_TYPE,
                    format!(
                        "sObject type '{}' is not supported. {OBJECT_TAIL}",
                        stmt.from.name
                    ),
                )
            })?;
        let scope = Scope {
            object: object.clone(),
            alias: stmt.alias.as_ref().map(|a| a.name.clone()),
        };

        // SELECT list.
        let mut select = Vec::new();
        // For each bound item: where it was written and how, for grouping errors.
        let mut written: Vec<(Span, String)> = Vec::new();
        let mut subquery = None;
        let mut type_of = None;
        let mut wide_fields = None;
        let mut seen: HashMap<String, bool> = HashMap::new();
        let mut aliases: HashMap<String, ()> = HashMap::new();
        let mut next_expr = 0;
        for item in &stmt.items {
            match item {
                ast::SelectItem::Expr {
                    expr: ast::Expr::Field(path),
                    ..
                } => {
                    let bound = self.path(&scope, path)?;
                    if let Some(from_fields) =
                        seen.insert(bound.header().to_ascii_lowercase(), false)
                    {
                        let message = format!("duplicate field selected: {}", path.text());
                        return Err(if from_fields {
                            SoqlError::plain(INVALID_FIELD, message)
                        } else {
                            self.err(path.span, INVALID_FIELD, message)
                        });
                    }
                    select.push(SelectItem::Field(bound));
                    written.push((path.span, path.text()));
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
                    let operand =
                        self.call(&scope, function, arg.as_ref(), *span, Clause::Select)?;
                    let alias = match alias {
                        Some(alias) => {
                            if aliases
                                .insert(alias.name.to_ascii_lowercase(), ())
                                .is_some()
                            {
                                return Err(self.err(
                                    alias.span,
                                    MALFORMED_QUERY,
                                    format!("duplicate alias: {}", alias.name),
                                ));
                            }
                            alias.name.clone()
                        }
                        None => {
                            let alias = format!("expr{next_expr}");
                            next_expr += 1;
                            alias
                        }
                    };
                    select.push(match operand {
                        Operand::Aggregate(function, argument) => SelectItem::Aggregate {
                            function,
                            argument,
                            alias,
                        },
                        Operand::DateFunction(function, argument) => SelectItem::DateFunction {
                            function,
                            argument,
                            alias,
                        },
                        Operand::Field(_) => unreachable!("calls bind to functions"),
                    });
                    written.push((*span, call.text()));
                }
                ast::SelectItem::Fields { kind, span } => {
                    if *kind != ast::FieldsKind::Standard {
                        wide_fields.get_or_insert((*kind, *span));
                    }
                    for field in object.stored_fields().filter(|f| match kind {
                        ast::FieldsKind::Standard => !f.custom,
                        ast::FieldsKind::Custom => f.custom,
                        ast::FieldsKind::All => true,
                    }) {
                        if seen.insert(field.name.to_ascii_lowercase(), true).is_some() {
                            return Err(SoqlError::plain(
                                INVALID_FIELD,
                                format!("duplicate field selected: {}", field.name),
                            ));
                        }
                        select.push(SelectItem::Field(FieldPath {
                            hops: Vec::new(),
                            field: field.clone(),
                        }));
                        written.push((*span, field.name.clone()));
                    }
                }
                ast::SelectItem::Subquery { span, .. } => {
                    subquery.get_or_insert(*span);
                }
                ast::SelectItem::TypeOf { span } => {
                    type_of.get_or_insert(*span);
                }
            }
        }
        if level == Level::SemiJoin {
            self.check_semi_join_select(stmt, &select)?;
        }

        let filter = stmt
            .filter
            .as_ref()
            .map(|c| {
                let cx = CondCtx {
                    clause: Clause::Where,
                    level,
                    under_or: false,
                    under_not: false,
                    groups: &[],
                };
                self.condition(&scope, c, cx)
            })
            .transpose()?;

        let group_by = stmt
            .group_by
            .iter()
            .map(|key| self.group_key(&scope, key))
            .collect::<Result<Vec<_>, _>>()?;

        let having = stmt
            .having
            .as_ref()
            .map(|c| {
                let cx = CondCtx {
                    clause: Clause::Having,
                    level,
                    under_or: false,
                    under_not: false,
                    groups: &group_by,
                };
                self.condition(&scope, c, cx)
            })
            .transpose()?;

        let mut order_by = Vec::new();
        for key in &stmt.order_by {
            let operand = match &key.expr {
                ast::Expr::Field(path) => {
                    let bound = self.path(&scope, path)?;
                    if !sortable(&bound.field) {
                        return Err(self.err(
                            path.span,
                            INVALID_FIELD,
                            format!(
                                "field '{}' can not be sorted in a query call",
                                bound.field.name
                            ),
                        ));
                    }
                    Operand::Field(bound)
                }
                ast::Expr::Call {
                    function,
                    arg,
                    span,
                } => self.call(&scope, function, arg.as_ref(), *span, Clause::OrderBy)?,
            };
            order_by.push(OrderKey {
                operand,
                descending: key.descending,
                nulls_first: key.nulls_first.unwrap_or(!key.descending),
            });
        }

        let limit = stmt.limit.map(|c| c.value);
        let offset = stmt.offset.map(|c| c.value);
        if offset.is_some_and(|o| o > MAX_OFFSET) {
            return Err(SoqlError::plain(
                NUMBER_OUTSIDE_VALID_RANGE,
                format!("Maximum SOQL offset allowed is {MAX_OFFSET}"),
            ));
        }
        if wide_fields.is_some() && limit.is_none_or(|l| l > FIELDS_LIMIT) {
            return Err(SoqlError::plain(MALFORMED_QUERY, FIELDS_NEEDS_LIMIT));
        }

        let aggregated = !group_by.is_empty()
            || having.is_some()
            || select.iter().any(|s| !matches!(s, SelectItem::Field(_)))
            || order_by
                .iter()
                .any(|k| matches!(k.operand, Operand::Aggregate(..)));

        if level == Level::Top {
            self.check_api_support(subquery, type_of, wide_fields, aggregated, offset, &select)?;
        }

        if aggregated {
            check_grouping(self, &select, &written, &group_by, stmt, &order_by)?;
        }

        Ok(Query {
            object,
            select,
            filter,
            group_by,
            having,
            order_by,
            limit,
            offset,
        })
    }

    /// What Bulk query jobs (and, for subqueries and TYPEOF, this server's REST query) refuse.
    fn check_api_support(
        &self,
        subquery: Option<Span>,
        type_of: Option<Span>,
        wide_fields: Option<(ast::FieldsKind, Span)>,
        aggregated: bool,
        offset: Option<u64>,
        select: &[SelectItem],
    ) -> Result<(), SoqlError> {
        match self.mode {
            Mode::BulkQuery => {
                if subquery.is_some() || aggregated {
                    return Err(SoqlError::plain(API_ERROR, BULK_AGGREGATE));
                }
                if type_of.is_some() {
                    return Err(SoqlError::plain(API_ERROR, BULK_TYPEOF));
                }
                if offset.is_some() {
                    return Err(SoqlError::plain(API_ERROR, BULK_OFFSET));
                }
                if let Some((kind, _)) = wide_fields {
                    let name = match kind {
                        ast::FieldsKind::Custom => "CUSTOM",
                        _ => "ALL",
                    };
                    return Err(SoqlError::plain(
                        API_ERROR,
                        format!("FIELDS({name}) not supported in Bulk Query"),
                    ));
                }
                let compound = select.iter().any(|item| {
                    matches!(item, SelectItem::Field(p) if p.field.ftype == FieldType::Compound)
                });
                if compound {
                    return Err(SoqlError::plain(API_ERROR, BULK_COMPOUND));
                }
            }
            Mode::Rest => {
                if let Some(span) = subquery {
                    return Err(self.err(
                        span,
                        MALFORMED_QUERY,
                        "Parent-to-child relationship subqueries are not supported by this server",
                    ));
                }
                if let Some(span) = type_of {
                    return Err(self.err(
                        span,
                        MALFORMED_QUERY,
                        "TYPEOF is not supported by this server",
                    ));
                }
            }
        }
        Ok(())
    }

    /// A semi-join subquery selects exactly one Id or reference field, at most one hop away.
    fn check_semi_join_select(
        &self,
        stmt: &ast::Select,
        select: &[SelectItem],
    ) -> Result<(), SoqlError> {
        match (stmt.items.as_slice(), select) {
            (
                [
                    ast::SelectItem::Expr {
                        expr: ast::Expr::Field(path),
                        ..
                    },
                ],
                [SelectItem::Field(bound)],
            ) => {
                if bound.hops.len() > 1 {
                    return Err(self.err(
                        path.span,
                        MALFORMED_QUERY,
                        "inner select field cannot have more than one level of relationships",
                    ));
                }
                if !is_id_like(bound.field.ftype) {
                    return Err(self.err(
                        path.span,
                        MALFORMED_QUERY,
                        format!(
                            "The selected field '{}' in a semi join sub-select must be an Id or a reference field",
                            path.text()
                        ),
                    ));
                }
                Ok(())
            }
            _ => {
                let span = match stmt.items.get(1) {
                    Some(ast::SelectItem::Expr { expr, .. }) => expr.span(),
                    Some(ast::SelectItem::Fields { span, .. })
                    | Some(ast::SelectItem::Subquery { span, .. })
                    | Some(ast::SelectItem::TypeOf { span }) => *span,
                    None => match &stmt.items[0] {
                        ast::SelectItem::Expr { expr, .. } => expr.span(),
                        ast::SelectItem::Fields { span, .. }
                        | ast::SelectItem::Subquery { span, .. }
                        | ast::SelectItem::TypeOf { span } => *span,
                    },
                };
                Err(self.err(
                    span,
                    MALFORMED_QUERY,
                    "A semi join sub-select can only select one Id or reference field",
                ))
            }
        }
    }

    /// Resolves a field path: an optional FROM alias or object-name prefix, up to [`MAX_HOPS`]
    /// relationship names, then a field.
    fn path(&self, scope: &Scope, path: &ast::Path) -> Result<FieldPath, SoqlError> {
        let mut parts = path.parts.as_slice();
        if parts.len() > 1 {
            let first = &parts[0].name;
            let is_alias = scope
                .alias
                .as_ref()
                .is_some_and(|a| a.eq_ignore_ascii_case(first));
            let is_object = scope.object.name.eq_ignore_ascii_case(first)
                && self.relationship(&scope.object, first).is_none();
            if is_alias || is_object {
                parts = &parts[1..];
            }
        }
        let (last, relationships) = parts.split_last().expect("paths are never empty");
        if relationships.len() > MAX_HOPS {
            return Err(self.err(
                path.span,
                MALFORMED_QUERY,
                format!(
                    "SOQL statements cannot query relationships more than {MAX_HOPS} levels away from the root entity object"
                ),
            ));
        }
        let mut object = scope.object.clone();
        let mut hops = Vec::with_capacity(relationships.len());
        for relationship in relationships {
            let (field, target) = self
                .relationship(&object, &relationship.name)
                .ok_or_else(|| {
                    self.err(
                        path.span,
                        INVALID_FIELD,
                        format!(
                            "Didn't understand relationship '{}' in field path. {RELATIONSHIP_TAIL}",
                            relationship.name
                        ),
                    )
                })?;
            hops.push(Hop {
                from: object.clone(),
                reference_field: field.name.clone(),
                relationship: field.relationship_name.clone().unwrap_or_default(),
                to: target.clone(),
            });
            object = target;
        }
        let field = object.field(&last.name).cloned().ok_or_else(|| {
            self.err(
                path.span,
                INVALID_FIELD,
                format!(
                    "No such column '{}' on entity '{}'. {FIELD_TAIL}",
                    last.name, object.name
                ),
            )
        })?;
        Ok(FieldPath { hops, field })
    }

    /// The reference field of `object` whose relationship name is `name` (any case), and the object it
    /// points to: its first target the schema knows.
    fn relationship<'o>(
        &self,
        object: &'o SObject,
        name: &str,
    ) -> Option<(&'o Field, Arc<SObject>)> {
        let field = object.fields().iter().find(|f| {
            f.ftype == FieldType::Reference
                && f.relationship_name
                    .as_deref()
                    .is_some_and(|r| r.eq_ignore_ascii_case(name))
        })?;
        let target = field
            .reference_to
            .iter()
            .find_map(|t| self.schema.object(t))?;
        Some((field, target.clone()))
    }

    /// Binds `function(arg)` as an aggregate or date function, as `clause` allows.
    fn call(
        &self,
        scope: &Scope,
        function: &ast::Ident,
        arg: Option<&ast::Path>,
        span: Span,
        clause: Clause,
    ) -> Result<Operand, SoqlError> {
        let upper = function.name.to_ascii_uppercase();
        let close_paren = Span::new(span.end - 1, span.end);
        let text = format!(
            "{}({})",
            function.name,
            arg.map(ast::Path::text).unwrap_or_default()
        );
        if let Some(aggregate) = aggregate_function(&upper) {
            match clause {
                Clause::Where => {
                    return Err(self.err(
                        function.span,
                        MALFORMED_QUERY,
                        "Aggregate functions are not supported in the WHERE clause",
                    ));
                }
                Clause::GroupBy => {
                    return Err(self.err(
                        function.span,
                        MALFORMED_QUERY,
                        format!("Grouped field should not be aggregated: {text}"),
                    ));
                }
                _ => {}
            }
            let argument = match arg {
                None if aggregate == AggregateFunction::Count => None,
                None => {
                    return Err(self.err(close_paren, MALFORMED_QUERY, "unexpected token: ')'"));
                }
                Some(path) => {
                    let bound = self.path(scope, path)?;
                    if !supports_aggregate(aggregate, &bound.field) {
                        return Err(self.err(
                            path.span,
                            MALFORMED_QUERY,
                            format!(
                                "field {} does not support aggregate operator {}",
                                path.text(),
                                aggregate_name(aggregate)
                            ),
                        ));
                    }
                    Some(bound)
                }
            };
            return Ok(Operand::Aggregate(aggregate, argument));
        }
        if let Some(date_function) = date_function(&upper) {
            let Some(path) = arg else {
                return Err(self.err(close_paren, MALFORMED_QUERY, "unexpected token: ')'"));
            };
            let bound = self.path(scope, path)?;
            let fits = match date_function {
                DateFunction::DayOnly | DateFunction::HourInDay => {
                    bound.field.ftype == FieldType::DateTime
                }
                _ => matches!(bound.field.ftype, FieldType::Date | FieldType::DateTime),
            };
            if !fits {
                return Err(self.err(
                    path.span,
                    MALFORMED_QUERY,
                    format!(
                        "field {} does not support date function {}",
                        path.text(),
                        date_function_name(date_function)
                    ),
                ));
            }
            return Ok(Operand::DateFunction(date_function, bound));
        }
        if UNSUPPORTED_FUNCTIONS.contains(&upper.as_str()) {
            return Err(self.err(
                function.span,
                MALFORMED_QUERY,
                format!("{upper}() is not supported by this server"),
            ));
        }
        Err(self.err(
            function.span,
            MALFORMED_QUERY,
            format!("unexpected token: '{}'", function.name),
        ))
    }

    fn group_key(&self, scope: &Scope, key: &ast::Expr) -> Result<Operand, SoqlError> {
        match key {
            ast::Expr::Field(path) => {
                let bound = self.path(scope, path)?;
                if !groupable(&bound.field) {
                    return Err(self.err(
                        path.span,
                        INVALID_FIELD,
                        format!(
                            "field '{}' can not be grouped in a query call",
                            bound.field.name
                        ),
                    ));
                }
                Ok(Operand::Field(bound))
            }
            ast::Expr::Call {
                function,
                arg,
                span,
            } => self.call(scope, function, arg.as_ref(), *span, Clause::GroupBy),
        }
    }

    fn condition(
        &self,
        scope: &Scope,
        condition: &ast::Condition,
        cx: CondCtx<'_>,
    ) -> Result<Condition, SoqlError> {
        let all = |parts: &[ast::Condition], cx: CondCtx<'_>| {
            parts
                .iter()
                .map(|p| self.condition(scope, p, cx))
                .collect::<Result<Vec<_>, _>>()
        };
        match condition {
            ast::Condition::And(parts) => Ok(Condition::And(all(parts, cx)?)),
            ast::Condition::Or(parts) => Ok(Condition::Or(all(
                parts,
                CondCtx {
                    under_or: true,
                    ..cx
                },
            )?)),
            ast::Condition::Not(inner) => Ok(Condition::Not(Box::new(self.condition(
                scope,
                inner,
                CondCtx {
                    under_not: true,
                    ..cx
                },
            )?))),
            ast::Condition::Compare { left, op, right } => {
                let (operand, target) = self.operand(scope, left, cx)?;
                if !matches!(op, ast::CompareOp::Eq | ast::CompareOp::Ne)
                    && let Some(ftype @ (FieldType::MultiPicklist | FieldType::Boolean)) =
                        target.ftype
                {
                    return Err(invalid_operator(self, left.span(), ftype));
                }
                let right = self.value(&target, right, left.span())?;
                Ok(Condition::Compare {
                    left: operand,
                    op: comparison(*op),
                    right,
                })
            }
            ast::Condition::Like { left, pattern } => {
                let (operand, target) = self.operand(scope, left, cx)?;
                let Operand::Field(path) = operand else {
                    return Err(self.err(
                        left.span(),
                        INVALID_QUERY_FILTER_OPERATOR,
                        "invalid operator on function",
                    ));
                };
                if !likeable(path.field.ftype) {
                    return Err(invalid_operator(self, left.span(), path.field.ftype));
                }
                let ast::LiteralKind::String(raw) = &pattern.kind else {
                    return Err(mismatch(self, &target, left.span(), Expect::Text));
                };
                Ok(Condition::Like {
                    left: path,
                    pattern: lexer::decode_like(raw),
                })
            }
            ast::Condition::In {
                left,
                negated,
                values,
            } => {
                let (operand, target) = self.operand(scope, left, cx)?;
                let values = values
                    .iter()
                    .map(|v| self.value(&target, v, left.span()))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Condition::In {
                    left: operand,
                    negated: *negated,
                    values,
                })
            }
            ast::Condition::InSubquery {
                left,
                negated,
                query,
                span,
            } => {
                if cx.level == Level::SemiJoin {
                    return Err(self.err(
                        *span,
                        MALFORMED_QUERY,
                        "Nesting of semi join sub-selects is not supported",
                    ));
                }
                if cx.clause != Clause::Where || cx.under_not {
                    return Err(self.err(
                        *span,
                        MALFORMED_QUERY,
                        "Semi join sub-selects are only allowed at the top level WHERE expressions and not in nested WHERE expressions.",
                    ));
                }
                if cx.under_or {
                    return Err(self.err(
                        *span,
                        MALFORMED_QUERY,
                        "Semi join sub-selects are not allowed with the 'OR' operator",
                    ));
                }
                let ast::Expr::Field(path) = left else {
                    return Err(self.err(
                        left.span(),
                        MALFORMED_QUERY,
                        "The left operand of a semi join must be an Id or a reference field",
                    ));
                };
                let bound = self.path(scope, path)?;
                if !is_id_like(bound.field.ftype) {
                    return Err(self.err(
                        path.span,
                        MALFORMED_QUERY,
                        "The left operand of a semi join must be an Id or a reference field",
                    ));
                }
                let subquery = self.select(query, Level::SemiJoin)?;
                Ok(Condition::InSubquery {
                    left: bound,
                    negated: *negated,
                    subquery: Box::new(subquery),
                })
            }
            ast::Condition::Includes {
                left,
                negated,
                values,
            } => {
                let (operand, target) = self.operand(scope, left, cx)?;
                let path = match operand {
                    Operand::Field(path) if path.field.ftype == FieldType::MultiPicklist => path,
                    _ => {
                        return Err(self.err(
                            left.span(),
                            INVALID_QUERY_FILTER_OPERATOR,
                            "includes or excludes operator only valid on multipicklist field",
                        ));
                    }
                };
                let sets = values
                    .iter()
                    .map(|v| match &v.kind {
                        ast::LiteralKind::String(raw) => Ok(lexer::decode(raw)
                            .split(';')
                            .map(|s| s.trim().to_owned())
                            .filter(|s| !s.is_empty())
                            .collect()),
                        _ => Err(mismatch(self, &target, left.span(), Expect::Text)),
                    })
                    .collect::<Result<Vec<Vec<String>>, _>>()?;
                Ok(Condition::Includes {
                    left: path,
                    negated: *negated,
                    sets,
                })
            }
        }
    }

    /// Binds the left side of a condition and says what its literals must be.
    fn operand(
        &self,
        scope: &Scope,
        expr: &ast::Expr,
        cx: CondCtx<'_>,
    ) -> Result<(Operand, Target), SoqlError> {
        let operand = match expr {
            ast::Expr::Field(path) => {
                let bound = self.path(scope, path)?;
                if !filterable(&bound.field) {
                    return Err(self.err(
                        path.span,
                        INVALID_FIELD,
                        format!(
                            "field '{}' can not be filtered in a query call",
                            bound.field.name
                        ),
                    ));
                }
                Operand::Field(bound)
            }
            ast::Expr::Call {
                function,
                arg,
                span,
            } => self.call(scope, function, arg.as_ref(), *span, cx.clause)?,
        };
        if cx.clause == Clause::Having
            && !matches!(operand, Operand::Aggregate(..))
            && !cx.groups.iter().any(|g| same_key(g, &operand))
        {
            return Err(self.err(
                expr.span(),
                MALFORMED_QUERY,
                format!("Field must be grouped or aggregated: {}", expr.text()),
            ));
        }
        let target = match &operand {
            Operand::Field(path) => Target {
                expect: Expect::of(path.field.ftype),
                ftype: Some(path.field.ftype),
                label: path.field.name.clone(),
            },
            Operand::DateFunction(function, path) => Target {
                expect: if *function == DateFunction::DayOnly {
                    Expect::Date
                } else {
                    Expect::Integer("int")
                },
                ftype: None,
                label: format!("{}({})", date_function_name(*function), path.field.name),
            },
            Operand::Aggregate(function, argument) => Target {
                expect: match (function, argument) {
                    (AggregateFunction::Count | AggregateFunction::CountDistinct, _)
                    | (_, None) => Expect::Integer("int"),
                    (AggregateFunction::Avg, _) => Expect::Decimal,
                    (_, Some(path)) => Expect::of(path.field.ftype),
                },
                ftype: None,
                label: format!(
                    "{}({})",
                    aggregate_name(*function),
                    argument
                        .as_ref()
                        .map(|p| p.field.name.as_str())
                        .unwrap_or("")
                ),
            },
        };
        Ok((operand, target))
    }

    /// Converts a literal to what `target` expects. Errors point at the left side, as Salesforce's do.
    fn value(
        &self,
        target: &Target,
        literal: &ast::Literal,
        left: Span,
    ) -> Result<Value, SoqlError> {
        use ast::LiteralKind as L;
        let converted = match (&literal.kind, target.expect) {
            (L::Null, _) => Literal::Null,
            (L::String(raw), Expect::Text) => Literal::Text(lexer::decode(raw)),
            (L::String(raw), Expect::Id) => {
                let text = lexer::decode(raw);
                if text.is_empty() {
                    Literal::Text(text)
                } else {
                    let id = SfId::parse(&text).map_err(|_| {
                        self.err(
                            left,
                            INVALID_QUERY_FILTER_OPERATOR,
                            format!("invalid ID field: {text}"),
                        )
                    })?;
                    Literal::Text(id.as_str().to_owned())
                }
            }
            (L::Boolean(b), Expect::Boolean) => Literal::Boolean(*b),
            (L::Number(text), Expect::Integer(_)) => Literal::Integer(
                integer(text).ok_or_else(|| mismatch(self, target, left, target.expect))?,
            ),
            (L::Number(text), Expect::Decimal) => Literal::Decimal(
                text.parse::<f64>()
                    .ok()
                    .filter(|n| n.is_finite())
                    .ok_or_else(|| mismatch(self, target, left, target.expect))?,
            ),
            (L::Date(d), Expect::Date) => Literal::Date(*d),
            (L::DateTime(d), Expect::DateTime) => Literal::DateTime(*d),
            (L::Relative(relative), Expect::Date | Expect::DateTime) => {
                let (start, end) = self.range(*relative, literal.span)?;
                let to_literal = |d: NaiveDate| match target.expect {
                    Expect::Date => Literal::Date(d),
                    _ => Literal::DateTime(midnight_utc(d)),
                };
                return Ok(Value::Range(DateRange {
                    start: to_literal(start),
                    end: to_literal(end),
                }));
            }
            _ => return Err(mismatch(self, target, left, target.expect)),
        };
        Ok(Value::Literal(converted))
    }

    fn range(
        &self,
        relative: RelativeDate,
        span: Span,
    ) -> Result<(NaiveDate, NaiveDate), SoqlError> {
        dates::resolve(
            relative,
            self.ctx.now.date_naive(),
            self.ctx.fiscal_year_start_month,
        )
        .ok_or_else(|| {
            self.err(
                span,
                MALFORMED_QUERY,
                format!("Invalid date literal: {}", &self.text[span.start..span.end]),
            )
        })
    }
}

/// In an aggregate query, every selected field and date function must be grouped, and so must every
/// ORDER BY key that is not an aggregate.
fn check_grouping(
    binder: &Binder<'_>,
    select: &[SelectItem],
    written: &[(Span, String)],
    group_by: &[Operand],
    stmt: &ast::Select,
    order_by: &[OrderKey],
) -> Result<(), SoqlError> {
    for (item, (span, text)) in select.iter().zip(written) {
        let key = match item {
            SelectItem::Field(path) => Operand::Field(path.clone()),
            SelectItem::DateFunction {
                function, argument, ..
            } => Operand::DateFunction(*function, argument.clone()),
            SelectItem::Aggregate { .. } => continue,
        };
        if !group_by.iter().any(|g| same_key(g, &key)) {
            return Err(binder.err(
                *span,
                MALFORMED_QUERY,
                format!("Field must be grouped or aggregated: {text}"),
            ));
        }
    }
    for (key, written) in order_by.iter().zip(&stmt.order_by) {
        if !matches!(key.operand, Operand::Aggregate(..))
            && !group_by.iter().any(|g| same_key(g, &key.operand))
        {
            return Err(binder.err(
                written.expr.span(),
                MALFORMED_QUERY,
                format!(
                    "Ordered field must be grouped or aggregated: {}",
                    written.expr.text()
                ),
            ));
        }
    }
    Ok(())
}

/// Whether two GROUP BY-able operands are the same key.
fn same_key(a: &Operand, b: &Operand) -> bool {
    match (a, b) {
        (Operand::Field(x), Operand::Field(y)) => x.header() == y.header(),
        (Operand::DateFunction(f, x), Operand::DateFunction(g, y)) => {
            f == g && x.header() == y.header()
        }
        _ => false,
    }
}

fn invalid_operator(binder: &Binder<'_>, span: Span, ftype: FieldType) -> SoqlError {
    binder.err(
        span,
        INVALID_QUERY_FILTER_OPERATOR,
        format!("invalid operator on {} field", ftype.name()),
    )
}

/// Salesforce's message for a literal of the wrong type.
fn mismatch(binder: &Binder<'_>, target: &Target, span: Span, expect: Expect) -> SoqlError {
    binder.err(
        span,
        INVALID_FIELD,
        format!(
            "value of filter criterion for field '{}' must be of type {} and should {}be enclosed in quotes",
            target.label,
            expect.type_name(),
            if expect.quoted() { "" } else { "not " }
        ),
    )
}

fn comparison(op: ast::CompareOp) -> ComparisonOp {
    match op {
        ast::CompareOp::Eq => ComparisonOp::Eq,
        ast::CompareOp::Ne => ComparisonOp::Ne,
        ast::CompareOp::Lt => ComparisonOp::Lt,
        ast::CompareOp::Le => ComparisonOp::Le,
        ast::CompareOp::Gt => ComparisonOp::Gt,
        ast::CompareOp::Ge => ComparisonOp::Ge,
    }
}

/// A number literal as an integer: integers as written, or decimals with no fractional part (`1.0`, `1E3`).
fn integer(text: &str) -> Option<i64> {
    if let Ok(n) = text.parse::<i64>() {
        return Some(n);
    }
    let n: f64 = text.parse().ok()?;
    (n.is_finite() && n.fract() == 0.0 && n.abs() < 9.0e18).then_some(n as i64)
}

fn midnight_utc(date: NaiveDate) -> DateTime<Utc> {
    date.and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
}

fn aggregate_function(upper: &str) -> Option<AggregateFunction> {
    Some(match upper {
        "COUNT" => AggregateFunction::Count,
        "COUNT_DISTINCT" => AggregateFunction::CountDistinct,
        "SUM" => AggregateFunction::Sum,
        "AVG" => AggregateFunction::Avg,
        "MIN" => AggregateFunction::Min,
        "MAX" => AggregateFunction::Max,
        _ => return None,
    })
}

fn date_function(upper: &str) -> Option<DateFunction> {
    Some(match upper {
        "CALENDAR_MONTH" => DateFunction::CalendarMonth,
        "CALENDAR_QUARTER" => DateFunction::CalendarQuarter,
        "CALENDAR_YEAR" => DateFunction::CalendarYear,
        "DAY_IN_MONTH" => DateFunction::DayInMonth,
        "DAY_IN_WEEK" => DateFunction::DayInWeek,
        "DAY_IN_YEAR" => DateFunction::DayInYear,
        "DAY_ONLY" => DateFunction::DayOnly,
        "FISCAL_MONTH" => DateFunction::FiscalMonth,
        "FISCAL_QUARTER" => DateFunction::FiscalQuarter,
        "FISCAL_YEAR" => DateFunction::FiscalYear,
        "HOUR_IN_DAY" => DateFunction::HourInDay,
        "WEEK_IN_MONTH" => DateFunction::WeekInMonth,
        "WEEK_IN_YEAR" => DateFunction::WeekInYear,
        _ => return None,
    })
}

fn is_id_like(ftype: FieldType) -> bool {
    matches!(ftype, FieldType::Id | FieldType::Reference)
}

/// Long text areas (more than 255 characters) can be selected but not filtered, grouped or sorted.
fn is_long_text(field: &Field) -> bool {
    field.ftype == FieldType::TextArea && field.length > 255
}

fn filterable(field: &Field) -> bool {
    !is_long_text(field) && !matches!(field.ftype, FieldType::Base64 | FieldType::Compound)
}

fn sortable(field: &Field) -> bool {
    filterable(field) && field.ftype != FieldType::MultiPicklist
}

fn groupable(field: &Field) -> bool {
    sortable(field)
        && !matches!(
            field.ftype,
            FieldType::DateTime | FieldType::EncryptedString
        )
}

/// `LIKE` works on string fields only.
fn likeable(ftype: FieldType) -> bool {
    matches!(
        ftype,
        FieldType::String
            | FieldType::TextArea
            | FieldType::Picklist
            | FieldType::Combobox
            | FieldType::Email
            | FieldType::Phone
            | FieldType::Url
            | FieldType::EncryptedString
    )
}

fn supports_aggregate(function: AggregateFunction, field: &Field) -> bool {
    if !filterable(field) || field.ftype == FieldType::MultiPicklist {
        return false;
    }
    match function {
        AggregateFunction::Count | AggregateFunction::CountDistinct => true,
        AggregateFunction::Sum | AggregateFunction::Avg => matches!(
            field.ftype,
            FieldType::Int
                | FieldType::Long
                | FieldType::Double
                | FieldType::Currency
                | FieldType::Percent
        ),
        AggregateFunction::Min | AggregateFunction::Max => field.ftype != FieldType::Boolean,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn compile(text: &str, mode: Mode) -> Result<Query, SoqlError> {
        let ctx = BindContext {
            now: Utc.with_ymd_and_hms(2026, 11, 29, 10, 0, 0).unwrap(),
            fiscal_year_start_month: 1,
        };
        crate::compile(text, &Schema::builtin(), &ctx, mode)
    }

    #[test]
    fn integers_accept_integral_decimals_only() {
        assert_eq!(integer("42"), Some(42));
        assert_eq!(integer("-42"), Some(-42));
        assert_eq!(integer("+3"), Some(3));
        assert_eq!(integer("1.0"), Some(1));
        assert_eq!(integer("2E3"), Some(2000));
        assert_eq!(integer("1.5"), None);
        assert_eq!(integer("1e30"), None);
    }

    #[test]
    fn message_type_names_are_soap_types() {
        let name = |t| Expect::of(t).type_name();
        assert_eq!(name(FieldType::String), "string");
        assert_eq!(name(FieldType::Picklist), "string");
        assert_eq!(name(FieldType::Reference), "id");
        assert_eq!(name(FieldType::Currency), "double");
        assert_eq!(name(FieldType::Percent), "double");
        assert_eq!(name(FieldType::Int), "int");
        assert_eq!(name(FieldType::DateTime), "dateTime");
        assert!(Expect::of(FieldType::Email).quoted());
        assert!(!Expect::of(FieldType::Boolean).quoted());
    }

    #[test]
    fn long_text_areas_are_selectable_but_not_filterable() {
        let schema = Schema::builtin();
        let account = schema.object("Account").unwrap();
        let description = account.field("Description").unwrap();
        let street = account.field("BillingStreet").unwrap();
        assert!(!filterable(description) && !sortable(description) && !groupable(description));
        assert!(filterable(street) && sortable(street) && groupable(street));
        assert!(compile("SELECT Description FROM Account", Mode::BulkQuery).is_ok());
    }

    #[test]
    fn the_object_name_prefix_yields_to_a_relationship_of_the_same_name() {
        // Case has a `Contact` relationship, so `Contact.Name` on Case is a hop, not a prefix…
        let q = compile("SELECT Contact.Name FROM Case", Mode::BulkQuery).unwrap();
        let SelectItem::Field(path) = &q.select[0] else {
            panic!()
        };
        assert_eq!(path.hops.len(), 1);
        // …while on Contact it is the object's own name.
        let q = compile("SELECT Contact.Name FROM Contact", Mode::BulkQuery).unwrap();
        let SelectItem::Field(path) = &q.select[0] else {
            panic!()
        };
        assert!(path.hops.is_empty());
    }

    #[test]
    fn modes_differ_only_in_what_they_refuse() {
        let text = "SELECT Industry, COUNT(Id) FROM Account GROUP BY Industry";
        assert!(compile(text, Mode::Rest).is_ok());
        let e = compile(text, Mode::BulkQuery).unwrap_err();
        assert_eq!((e.code, e.message.as_str()), (API_ERROR, BULK_AGGREGATE));
        assert!(BULK_AGGREGATE.contains("Aggregate Relationships not supported in Bulk Query"));
    }
}

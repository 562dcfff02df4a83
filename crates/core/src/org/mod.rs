//! What an org does to rows beyond storing them: values it derives (Opportunity stages, closed statuses),
//! numbers it issues (auto-numbers), what a delete does to related records, record types and polymorphic
//! lookups. Pure decisions over the [`Schema`](crate::schema::Schema) and a row's values; the store only
//! executes them, so every backend behaves alike.
pub mod audit_fields;
pub mod auto_number;
pub mod cascade;
pub mod compound;
pub mod polymorphic;
pub mod record_types;
pub mod recycle_bin;
pub mod rules;
pub mod stages;

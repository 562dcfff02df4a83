//! Ingest row semantics that need no database: the header checked against the object, and each CSV row
//! turned into a typed row operation or a row error, exactly as Salesforce decides them.
//!
//! What needs stored records (does the Id exist, is it deleted, does a unique value clash, which record an
//! external id matches) is decided by the store when it applies the operations.

use crate::csv::Record;
use crate::error::RowError;
use crate::id::{KeyPrefix, SfId};
use crate::job::Operation;
use crate::org::record_types::{self, ObjectRecordTypes};
use crate::org::stages::Derivations;
use crate::schema::{Field, FieldType, SObject, Schema, Storage};
use crate::value::{Value, format_double, parse_value};
use std::borrow::Cow;
use std::sync::Arc;

/// The cell text that sets a field to null.
pub const NULL_MARKER: &str = "#N/A";

/// What one header column feeds.
#[derive(Debug, Clone)]
enum Column {
    /// A field of the object, with the key prefixes its values may have (lookups).
    Field {
        field: usize,
        prefixes: Vec<KeyPrefix>,
    },
    /// `Relationship.KeyField`: a lookup resolved through a parent's unique key.
    Relationship {
        lookup_field: usize,
        parent_object: String,
        parent_field: String,
    },
    /// The `Id` column.
    Id,
}

/// A lookup to resolve through a parent's unique key before the row is saved.
#[derive(Debug, Clone, PartialEq)]
pub struct ParentLookup {
    pub lookup_field: usize,
    pub parent_object: String,
    pub parent_field: String,
    pub value: String,
}

/// The values a row writes: field index → value, and parent lookups still to resolve.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RowValues {
    pub assignments: Vec<(usize, Value)>,
    pub lookups: Vec<ParentLookup>,
}

impl RowValues {
    pub fn get(&self, field: usize) -> Option<&Value> {
        self.assignments
            .iter()
            .rev()
            .find(|(f, _)| *f == field)
            .map(|(_, v)| v)
    }

    pub fn set(&mut self, field: usize, value: Value) {
        match self.assignments.iter_mut().find(|(f, _)| *f == field) {
            Some(slot) => slot.1 = value,
            None => self.assignments.push((field, value)),
        }
    }
}

/// How an upsert row names its record.
#[derive(Debug, Clone, PartialEq)]
pub enum UpsertKey {
    /// Upsert on `Id`: an empty Id inserts.
    Id(Option<SfId>),
    /// Upsert on an external-id field, with the value as stored and as uploaded.
    External {
        field: usize,
        value: Value,
        text: String,
    },
}

/// One row, ready for the store.
#[derive(Debug, Clone, PartialEq)]
pub enum RowOp {
    Insert(RowValues),
    Update { id: SfId, values: RowValues },
    Upsert { key: UpsertKey, values: RowValues },
    Delete { id: SfId },
    HardDelete { id: SfId },
}

/// A row that failed before reaching the database.
#[derive(Debug, Clone, PartialEq)]
pub struct RowFailure {
    pub id: Option<SfId>,
    pub error: RowError,
}

impl From<RowError> for RowFailure {
    fn from(error: RowError) -> Self {
        RowFailure { id: None, error }
    }
}

/// Where an upsert plan finds each row's key.
#[derive(Debug, Clone, Copy, PartialEq)]
enum UpsertKeyColumn {
    /// The key column at `col`: an external-id `field`, or `None` for the `Id` column.
    Column { col: usize, field: Option<usize> },
    /// An upsert on `Id` whose header has no `Id` column: no row names a record, so every row inserts, as
    /// Salesforce does (jsforce's integration tests upsert on `Id` without the column and get `sf__Created`
    /// true for each row).
    AbsentId,
}

impl UpsertKeyColumn {
    fn is_column(self, col: usize) -> bool {
        matches!(self, UpsertKeyColumn::Column { col: c, .. } if c == col)
    }
}

/// A job's header resolved against its object: built once per job, applied to every row.
#[derive(Debug, Clone)]
pub struct IngestPlan {
    object: Arc<SObject>,
    operation: Operation,
    columns: Vec<Column>,
    /// Where an upsert finds its key (None for the other operations).
    upsert_key: Option<UpsertKeyColumn>,
    /// Values every insert gets when the row does not set them (booleans false, default picklist values).
    insert_defaults: Vec<(usize, Value)>,
    /// Fields an insert must set, found once rather than for every row.
    required_on_create: Vec<usize>,
    /// The org's record types of this object, once given ([`IngestPlan::with_record_types`]).
    record_types: Option<Arc<ObjectRecordTypes>>,
    /// The values this object derives from a row's own (Opportunity stage, closed statuses); `None` for
    /// most objects, whose rows then pay nothing.
    derivations: Option<Derivations>,
}

impl IngestPlan {
    /// Resolves the header. The error is the job's `errorMessage` (`InvalidBatch : Field name not found : X`).
    pub fn new(
        schema: &Schema,
        object: Arc<SObject>,
        operation: Operation,
        external_id_field: Option<&str>,
        header: &[String],
    ) -> Result<IngestPlan, String> {
        let mut columns = Vec::with_capacity(header.len());
        for name in header {
            let column = resolve_column(schema, &object, name)
                .ok_or_else(|| format!("InvalidBatch : Field name not found : {name}"))?;
            columns.push(column);
        }
        for (i, name) in header.iter().enumerate() {
            if header[..i]
                .iter()
                .any(|earlier| earlier.eq_ignore_ascii_case(name))
            {
                return Err(format!("InvalidBatch : Duplicate field name: {name}"));
            }
        }
        let upsert_key = match (operation, external_id_field) {
            (Operation::Upsert, Some(key)) => {
                match header.iter().position(|h| h.eq_ignore_ascii_case(key)) {
                    Some(col) => {
                        let field = object
                            .field_index(key)
                            .filter(|&f| object.fields()[f].ftype != FieldType::Id);
                        Some(UpsertKeyColumn::Column { col, field })
                    }
                    None if key.eq_ignore_ascii_case("Id") => Some(UpsertKeyColumn::AbsentId),
                    None => {
                        return Err(format!(
                            "InvalidBatch : The external id field {key} is not in the header"
                        ));
                    }
                }
            }
            _ => None,
        };
        let insert_defaults = object
            .fields()
            .iter()
            .enumerate()
            .filter(|(_, f)| f.createable && f.ftype.is_stored())
            // A field's default value formula is its default (filled by the writer, which evaluates it).
            .filter(|(_, f)| f.traits.default_formula.is_none())
            .filter_map(|(i, f)| match f.ftype {
                FieldType::Boolean => Some((i, Value::Integer(0))),
                FieldType::Picklist => f
                    .default_picklist_value()
                    .map(|v| (i, Value::Text(v.to_owned()))),
                _ => None,
            })
            .collect();
        let required_on_create = object
            .fields()
            .iter()
            .enumerate()
            .filter(|(_, f)| f.required_on_create())
            .map(|(i, _)| i)
            .collect();
        let derivations = Derivations::for_object(&object);
        Ok(IngestPlan {
            object,
            operation,
            columns,
            upsert_key,
            insert_defaults,
            required_on_create,
            record_types: None,
            derivations,
        })
    }

    pub fn object(&self) -> &Arc<SObject> {
        &self.object
    }

    /// Gives the plan the org's record types of its object: inserts get the default record type when
    /// they name none, and every row's record type is checked ([`ObjectRecordTypes::apply`]). Without them
    /// a plan only checks what a row says itself (a `RecordType.DeveloperName` cell then matches nothing).
    pub fn with_record_types(mut self, record_types: Arc<ObjectRecordTypes>) -> Self {
        if let (Some(field), Some(default)) = (record_types.field(), record_types.default_id()) {
            self.insert_defaults.retain(|(f, _)| *f != field);
            self.insert_defaults
                .push((field, Value::Text(default.as_str().to_owned())));
        }
        self.record_types = Some(record_types);
        self
    }

    /// The record-type step of a row ([`ObjectRecordTypes::apply`]), for the operations that write values.
    fn apply_record_types(
        &self,
        values: &mut RowValues,
        target_id: Option<SfId>,
    ) -> Result<(), RowFailure> {
        let empty;
        let record_types = match &self.record_types {
            Some(record_types) => record_types.as_ref(),
            // Without the org's record types only a `RecordType.DeveloperName` cell needs them: it
            // matches none.
            None if values
                .lookups
                .iter()
                .any(|l| record_types::is_record_type_key(&l.parent_object, &l.parent_field)) =>
            {
                empty = ObjectRecordTypes::new(&self.object, []);
                &empty
            }
            None => return Ok(()),
        };
        let insert = self.operation == Operation::Insert;
        record_types
            .apply(&self.object, values, insert)
            .map_err(|error| RowFailure {
                id: target_id,
                error,
            })
    }

    pub fn operation(&self) -> Operation {
        self.operation
    }

    /// Fields an insert may get from defaults rather than from its row.
    pub fn insert_default_fields(&self) -> impl Iterator<Item = usize> + '_ {
        self.insert_defaults.iter().map(|(field, _)| *field)
    }

    pub fn column_count(&self) -> usize {
        self.columns.len()
    }

    /// The objects this header's lookup columns point at (a reference field's targets, a relationship
    /// column's parent), sorted and without repeats: the records that must exist before these rows are
    /// loaded for their lookups to resolve (a seed loads those objects first).
    pub fn parent_objects(&self) -> Vec<&str> {
        let fields = self.object.fields();
        let mut parents: Vec<&str> = Vec::new();
        for column in &self.columns {
            match column {
                Column::Field { field, .. } => {
                    parents.extend(fields[*field].reference_to.iter().map(String::as_str));
                }
                Column::Relationship { parent_object, .. } => parents.push(parent_object),
                Column::Id => {}
            }
        }
        parents.sort_unstable();
        parents.dedup();
        parents
    }

    /// Turns one CSV row into a row operation, or the error Salesforce would report for it.
    pub fn build_row(&self, record: &Record) -> Result<RowOp, RowFailure> {
        if record.len() != self.columns.len() {
            return Err(RowError::column_count(self.columns.len(), record.len()).into());
        }
        let target_id = self.target_id(record)?;
        match (self.operation, target_id) {
            (Operation::Delete, Some(id)) => return Ok(RowOp::Delete { id }),
            (Operation::HardDelete, Some(id)) => return Ok(RowOp::HardDelete { id }),
            _ => {}
        }
        let mut values = self.row_values(record, target_id)?;
        self.apply_record_types(&mut values, target_id)?;
        self.row_op(record, target_id, values)
    }

    /// The record an operation that names its record by Id (update, delete) targets: its `Id` cell, which
    /// must be there and well-formed. `None` for the other operations.
    fn target_id(&self, record: &Record) -> Result<Option<SfId>, RowFailure> {
        if !self.operation.needs_id() {
            return Ok(None);
        }
        let id_text = self
            .columns
            .iter()
            .position(|c| matches!(c, Column::Id))
            .map(|col| record_cell(record, col));
        let id_text = id_text.as_deref().unwrap_or("");
        if id_text.is_empty() {
            return Err(RowError::missing_id().into());
        }
        Ok(Some(self.parse_record_id(id_text)?))
    }

    /// The values a row writes: each non-empty cell parsed for its field (`#N/A` as null), relationship
    /// cells as lookups to resolve. A cell the operation may not write fails the row, naming every such
    /// field; a failure carries `target_id`.
    fn row_values(
        &self,
        record: &Record,
        target_id: Option<SfId>,
    ) -> Result<RowValues, RowFailure> {
        let fail = |error: RowError| RowFailure {
            id: target_id,
            error,
        };
        // Room for every column and default, so that filling it never reallocates.
        let mut values = RowValues {
            assignments: Vec::with_capacity(self.columns.len() + self.insert_defaults.len()),
            lookups: Vec::new(),
        };
        let mut not_writable = Vec::new();
        for (col, column) in self.columns.iter().enumerate() {
            let text = record_cell(record, col);
            match column {
                Column::Id => {
                    if self.operation == Operation::Insert && !text.is_empty() {
                        return Err(RowError::not_writable(vec!["Id".into()]).into());
                    }
                }
                Column::Relationship {
                    lookup_field,
                    parent_object,
                    parent_field,
                } => {
                    if text.is_empty() {
                        continue;
                    }
                    if text == NULL_MARKER {
                        values.set(*lookup_field, Value::Null);
                    } else {
                        values.lookups.push(ParentLookup {
                            lookup_field: *lookup_field,
                            parent_object: parent_object.clone(),
                            parent_field: parent_field.clone(),
                            value: text.into_owned(),
                        });
                    }
                }
                Column::Field { field, prefixes } => {
                    if text.is_empty() || self.upsert_key.is_some_and(|key| key.is_column(col)) {
                        continue;
                    }
                    let def = &self.object.fields()[*field];
                    if !self.may_write(def) {
                        not_writable.push(def.name.clone());
                        continue;
                    }
                    let value = if text == NULL_MARKER {
                        null_for(def)
                    } else {
                        parse_value(def, &text, col, prefixes).map_err(fail)?
                    };
                    values.set(*field, value);
                }
            }
        }
        if !not_writable.is_empty() {
            return Err(fail(RowError::not_writable(not_writable)));
        }
        Ok(values)
    }

    /// The row operation of a row's values: an insert completed with its defaults and required fields, an
    /// update of `target_id`, or an upsert with its key; each checked for nulls it may not set.
    fn row_op(
        &self,
        record: &Record,
        target_id: Option<SfId>,
        mut values: RowValues,
    ) -> Result<RowOp, RowFailure> {
        match self.operation {
            Operation::Insert => {
                self.complete_insert(&mut values)?;
                Ok(RowOp::Insert(values))
            }
            Operation::Update => {
                self.derive(&mut values, false);
                self.check_nulls(&values).map_err(|error| RowFailure {
                    id: target_id,
                    error,
                })?;
                Ok(RowOp::Update {
                    id: target_id.expect("update rows have an id"),
                    values,
                })
            }
            Operation::Upsert => {
                let key = self.upsert_key(record)?;
                // Derived for an update; an upsert that inserts derives again once its defaults are in.
                self.derive(&mut values, false);
                self.check_nulls(&values)?;
                Ok(RowOp::Upsert { key, values })
            }
            _ => unreachable!("ingest plans are built for ingest operations"),
        }
    }

    /// Fills insert defaults and checks required fields; used for inserts and for upserts that insert.
    pub fn complete_insert(&self, values: &mut RowValues) -> Result<(), RowError> {
        // The record type's picklist defaults first: they win over the fields' own.
        if let Some(record_types) = &self.record_types {
            record_types.fill_picklist_defaults(&self.object, values);
        }
        for (field, default) in &self.insert_defaults {
            if values.get(*field).is_none() {
                values.set(*field, default.clone());
            }
        }
        self.derive(values, true);
        let missing: Vec<String> = self
            .required_on_create
            .iter()
            .filter(|&&i| {
                matches!(values.get(i), None | Some(Value::Null))
                    && !values.lookups.iter().any(|l| l.lookup_field == i)
            })
            .map(|&i| self.object.fields()[i].name.clone())
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(RowError::required_fields_missing(missing))
        }
    }

    /// Sets the values the object derives from the row's own ([`Derivations::apply`]).
    fn derive(&self, values: &mut RowValues, inserting: bool) {
        if let Some(derivations) = &self.derivations {
            derivations.apply(values, inserting);
        }
    }

    /// `#N/A` on a field that cannot be null is a missing required field.
    fn check_nulls(&self, values: &RowValues) -> Result<(), RowError> {
        let missing: Vec<String> = values
            .assignments
            .iter()
            .filter(|(f, v)| *v == Value::Null && !self.object.fields()[*f].nillable)
            .map(|(f, _)| self.object.fields()[*f].name.clone())
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(RowError::required_fields_missing(missing))
        }
    }

    fn may_write(&self, field: &Field) -> bool {
        match self.operation {
            Operation::Insert => field.createable,
            Operation::Update => field.updateable,
            // Audit fields an org lets clients set are settable on insert only, never by an upsert.
            _ => {
                field.updateable
                    || (field.createable
                        && !crate::org::audit_fields::is_settable_audit_field(&field.name))
            }
        }
    }

    fn upsert_key(&self, record: &Record) -> Result<UpsertKey, RowFailure> {
        let (col, field) = match self.upsert_key.expect("upsert plans have a key") {
            UpsertKeyColumn::Column { col, field } => (col, field),
            UpsertKeyColumn::AbsentId => return Ok(UpsertKey::Id(None)),
        };
        let text = cell_text(record.get(col).unwrap_or_default()).into_owned();
        match field {
            None if text.is_empty() => Ok(UpsertKey::Id(None)),
            None => Ok(UpsertKey::Id(Some(self.parse_record_id(&text)?))),
            Some(field) => {
                let def = &self.object.fields()[field];
                if text.is_empty() || text == NULL_MARKER {
                    return Err(RowError::new(
                        "MISSING_ARGUMENT",
                        format!("{} not specified", def.name),
                        Vec::new(),
                    )
                    .into());
                }
                let value = parse_value(def, &text, col, &[])?;
                Ok(UpsertKey::External { field, value, text })
            }
        }
    }

    /// An id in the `Id` column: well-formed, and of this object.
    fn parse_record_id(&self, text: &str) -> Result<SfId, RowFailure> {
        let id = SfId::parse(text.trim()).map_err(|_| {
            RowError::new("MALFORMED_ID", format!("malformed id {text}"), Vec::new())
        })?;
        if id.key_prefix() != self.object.key_prefix {
            let label = format!("{} ID", self.object.label);
            return Err(RowError::malformed_id(&label, "Id", text).into());
        }
        Ok(id)
    }

    /// The cell as echoed in result files: numbers as Salesforce normalises them, everything else verbatim.
    pub fn echo<'a>(&self, col: usize, raw: &'a [u8]) -> Cow<'a, [u8]> {
        if let Some(Column::Field { field, .. }) = self.columns.get(col)
            && self.object.fields()[*field].ftype.storage() == Storage::Real
            && let Some(n) = std::str::from_utf8(raw)
                .ok()
                .and_then(|t| t.trim().parse::<f64>().ok())
        {
            return Cow::Owned(format_double(n).into_bytes());
        }
        Cow::Borrowed(raw)
    }
}

/// Cell `col` of `record` as text (empty when the record is shorter).
fn record_cell(record: &Record, col: usize) -> Cow<'_, str> {
    cell_text(record.get(col).unwrap_or_default())
}

/// A cell as text. Uploads are UTF-8, so the strict check (fast on ASCII) nearly always succeeds; invalid
/// bytes become U+FFFD as before.
fn cell_text(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// The value `#N/A` sets: null, except booleans, which are never null in Salesforce.
fn null_for(field: &Field) -> Value {
    if field.ftype == FieldType::Boolean {
        Value::Integer(0)
    } else {
        Value::Null
    }
}

/// Whether `name` is a header column of `object` an [`IngestPlan`] accepts (a stored field, `Id`, or a
/// `Relationship.KeyField` path), so a caller can tell which name a plan would refuse before building one.
pub fn is_header_column(schema: &Schema, object: &SObject, name: &str) -> bool {
    resolve_column(schema, object, name).is_some()
}

fn resolve_column(schema: &Schema, object: &SObject, name: &str) -> Option<Column> {
    if name.eq_ignore_ascii_case("Id") {
        return Some(Column::Id);
    }
    if let Some(index) = object.field_index(name) {
        let field = &object.fields()[index];
        if !field.ftype.is_stored() || object.derived_name_parts(field).is_some() {
            return Some(Column::Field {
                field: index,
                prefixes: Vec::new(),
            })
            .filter(|_| false);
        }
        let prefixes = field
            .reference_to
            .iter()
            .filter_map(|target| schema.object(target).map(|o| o.key_prefix))
            .collect();
        return Some(Column::Field {
            field: index,
            prefixes,
        });
    }
    // `Relationship.KeyField`, or `Type:Relationship.KeyField` for polymorphic lookups.
    let (relationship, key) = name.split_once('.')?;
    let (type_prefix, relationship) = match relationship.split_once(':') {
        Some((t, r)) => (Some(t), r),
        None => (None, relationship),
    };
    let (lookup_field, field) = object.fields().iter().enumerate().find(|(_, f)| {
        f.ftype == FieldType::Reference
            && f.relationship_name
                .as_deref()
                .is_some_and(|r| r.eq_ignore_ascii_case(relationship))
    })?;
    let parent_name = match type_prefix {
        Some(t) => field
            .reference_to
            .iter()
            .find(|r| r.eq_ignore_ascii_case(t))?,
        None if field.reference_to.len() == 1 => &field.reference_to[0],
        None => return None,
    };
    let parent = schema.object(parent_name)?;
    let key_field = parent.field(key)?;
    if !(key_field.is_lookup_key()
        || key_field.ftype == FieldType::Id
        || record_types::is_record_type_key(&parent.name, &key_field.name))
    {
        return None;
    }
    Some(Column::Relationship {
        lookup_field,
        parent_object: parent.name.clone(),
        parent_field: key_field.name.clone(),
    })
}

#[cfg(test)]
mod tests;

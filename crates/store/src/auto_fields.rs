//! What a new record gets from the org rather than from its row, shared by both backends: its
//! auto-numbers (`CaseNumber`, custom auto-number fields), and the audit fields an org that lets clients
//! set them ([`bulkforce_core::org::audit_fields`]) fills when the row leaves them empty.
//!
//! Which fields these are is decided once per chunk from the object; the numbers come from the org's
//! counters in the store, taken a block at a time (the chunk's rows) rather than one round trip per row.
//! A number taken and not used (a row that then fails, the rest of a block) is never issued again: the
//! counters only grow, so numbers are unique in an org whatever runs at once, with gaps as Salesforce has.

use crate::Result;
use bulkforce_core::id::SfId;
use bulkforce_core::ingest::RowValues;
use bulkforce_core::org::audit_fields::is_settable_audit_field;
use bulkforce_core::org::auto_number::{AutoNumber, auto_numbers};
use bulkforce_core::schema::SObject;
use bulkforce_core::value::{Value, format_datetime};
use chrono::{DateTime, Utc};

/// Takes `count` numbers of the named counter of the org being written; returns the first (1 for a
/// counter's first number). The backend's: it runs in the transaction that writes the rows.
pub(crate) type ReserveCounter<'a> = dyn FnMut(&str, u64) -> Result<u64> + 'a;

/// The fields an insert of `object` gets values for from [`InsertFields`]: every insert statement of a
/// chunk writes them.
pub(crate) fn stamped_fields(object: &SObject) -> impl Iterator<Item = usize> + '_ {
    object
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| f.traits.auto_number || settable_audit_field(f))
        .map(|(i, _)| i)
}

/// An audit field this view of the object lets an insert set (createable only with the org setting on).
fn settable_audit_field(field: &bulkforce_core::schema::Field) -> bool {
    field.createable && is_settable_audit_field(&field.name)
}

/// One auto-number field and the numbers taken for it and not yet issued (`next..end`).
struct Counter {
    field: usize,
    number: AutoNumber,
    next: u64,
    end: u64,
}

/// What the inserts of one chunk (or REST unit) fill in.
pub(crate) struct InsertFields {
    counters: Vec<Counter>,
    /// Settable audit fields with the value a row that leaves them empty gets (the write's time and user).
    audit_defaults: Vec<(usize, Value)>,
    now: DateTime<Utc>,
    /// How many numbers a counter takes when it runs out: the chunk's row count.
    block: u64,
}

impl InsertFields {
    /// For inserts of `object` at `now` by `user`; `block`: how many rows may insert (numbers are taken
    /// that many at a time).
    pub(crate) fn new(object: &SObject, now: DateTime<Utc>, user: SfId, block: usize) -> Self {
        let counters = auto_numbers(object)
            .into_iter()
            .map(|(field, number)| Counter {
                field,
                number,
                next: 0,
                end: 0,
            })
            .collect();
        let audit_defaults = object
            .fields()
            .iter()
            .enumerate()
            .filter(|(_, f)| settable_audit_field(f))
            .map(|(i, f)| {
                let value = if f.name.ends_with("Date") {
                    format_datetime(&now)
                } else {
                    user.as_str().to_owned()
                };
                (i, Value::Text(value))
            })
            .collect();
        InsertFields {
            counters,
            audit_defaults,
            now,
            block: block.max(1) as u64,
        }
    }

    /// Gives a new record's `values` its auto-numbers (whatever the row said: the plan already refused a
    /// row that set one) and the audit values the row left empty or null.
    pub(crate) fn fill(
        &mut self,
        values: &mut RowValues,
        reserve: &mut ReserveCounter<'_>,
    ) -> Result<()> {
        for counter in &mut self.counters {
            if counter.next == counter.end {
                counter.next = reserve(&counter.number.counter, self.block)?;
                counter.end = counter.next + self.block;
            }
            let text = counter.number.render(counter.next, self.now);
            counter.next += 1;
            values.set(counter.field, Value::Text(text));
        }
        for (field, default) in &self.audit_defaults {
            if matches!(values.get(*field), None | Some(Value::Null)) {
                values.set(*field, default.clone());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bulkforce_core::org::audit_fields::with_settable_audit_fields;
    use bulkforce_core::schema::Schema;

    fn schema() -> Schema {
        let mut schema = Schema::builtin();
        schema
            .merge_describe(
                r#"{"name":"Ticket__c","fields":[
                    {"name":"Name","type":"string","length":30,"autoNumber":true,"displayFormat":"T-{000}"}]}"#,
            )
            .unwrap();
        schema
    }

    #[test]
    fn numbers_are_taken_a_block_at_a_time_and_issued_in_order() {
        let schema = schema();
        let ticket = schema.object("Ticket__c").unwrap();
        let name = ticket.field_index("Name").unwrap();
        let user = SfId::parse("005000000000001").unwrap();
        let mut fields = InsertFields::new(ticket, Utc::now(), user, 2);
        let mut taken = Vec::new();
        let mut next = 1;
        let mut reserve = |counter: &str, count: u64| {
            taken.push((counter.to_owned(), count));
            let first = next;
            next += count;
            Ok(first)
        };
        let mut issued = Vec::new();
        for _ in 0..3 {
            let mut values = RowValues::default();
            fields.fill(&mut values, &mut reserve).unwrap();
            issued.push(values.get(name).cloned().unwrap());
        }
        assert_eq!(
            issued,
            ["T-001", "T-002", "T-003"].map(|t| Value::Text(t.into()))
        );
        assert_eq!(
            taken,
            [
                ("Ticket__c.Name".to_owned(), 2),
                ("Ticket__c.Name".to_owned(), 2)
            ]
        );
        assert!(stamped_fields(ticket).eq([name]));
    }

    #[test]
    fn settable_audit_fields_keep_given_values_and_default_the_rest() {
        let schema = with_settable_audit_fields(&schema());
        let account = schema.object("Account").unwrap();
        let created = account.field_index("CreatedDate").unwrap();
        let by = account.field_index("CreatedById").unwrap();
        let user = SfId::parse("005000000000001").unwrap();
        let mut fields = InsertFields::new(account, Utc::now(), user, 1);
        let mut values = RowValues::default();
        values.set(created, Value::Text("2020-01-02T03:04:05.000Z".into()));
        fields
            .fill(&mut values, &mut |_, _| {
                unreachable!("Account has no auto-number")
            })
            .unwrap();
        assert_eq!(
            values.get(created),
            Some(&Value::Text("2020-01-02T03:04:05.000Z".into()))
        );
        assert_eq!(values.get(by), Some(&Value::Text(user.as_str().into())));
        assert_eq!(stamped_fields(account).count(), 4);
    }
}

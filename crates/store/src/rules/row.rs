//! The row a rule is evaluated on: the row's values over the stored record's (an update's merged record),
//! parents and globals from the chunk's fetched records, every reference found through its [`Slot`].

use super::plan::{Slot, Slots, Source};
use super::state::{ChunkRules, as_id};
use bulkforce_core::id::SfId;
use bulkforce_core::ingest::RowValues;
use bulkforce_core::org::rules::convert::to_formula;
use bulkforce_core::value::Value;
use bulkforce_formula::{FValue, FieldRef, GlobalRef, RowSource};
use chrono::{DateTime, Utc};

/// One row seen by one formula (its slots).
pub(super) struct RowView<'a> {
    state: &'a ChunkRules,
    values: &'a RowValues,
    /// The stored record (node 0's fields) of an update; `None` for a new record.
    prior: Option<&'a [Value]>,
    slots: &'a Slots,
}

impl<'a> RowView<'a> {
    pub fn new(
        state: &'a ChunkRules,
        values: &'a RowValues,
        prior: Option<&'a [Value]>,
        slots: &'a Slots,
    ) -> RowView<'a> {
        RowView {
            state,
            values,
            prior,
            slots,
        }
    }

    /// The row's value of field `field` (at `pos` in the stored record): the row's own, else the stored.
    fn own(&self, field: usize, pos: usize) -> Option<&'a Value> {
        self.values
            .get(field)
            .or_else(|| self.prior.and_then(|p| p.get(pos)))
    }

    /// The id of the record node `node` stands for on this row.
    pub fn node_id(&self, node: usize) -> Option<SfId> {
        let nodes = &self.state.rules.plan.nodes;
        match nodes.get(node)?.source {
            Source::Row => None,
            Source::Lookup { from: 0, via } => as_id(self.own(nodes[0].fields[via], via)?),
            Source::Lookup { from, via } => as_id(self.node_value(from, via)?),
            Source::User => Some(self.state.user),
            Source::Singleton => self.state.singles[node],
        }
    }

    /// Node `node`'s record's value at `pos`, when the record was fetched.
    fn node_value(&self, node: usize, pos: usize) -> Option<&'a Value> {
        let id = self.node_id(node)?;
        let state: &'a ChunkRules = self.state;
        state.records[node].get(&id)?.as_ref()?.get(pos)
    }

    fn slot_value(&self, slot: Slot, ty: bulkforce_formula::FType) -> FValue {
        let value = match slot {
            Slot::Own { field, pos } => self.own(field, pos),
            Slot::Node { node, pos } => self.node_value(node, pos),
            Slot::Formula(index) => return self.nested(index),
            Slot::Blank => None,
        };
        value.map_or(FValue::Null, |v| to_formula(v, ty))
    }

    /// A formula field of the row, evaluated on the same row (its error reads as blank, as `#Error!`
    /// compares as nothing).
    fn nested(&self, index: usize) -> FValue {
        let state: &'a ChunkRules = self.state;
        let Some(nested) = state.rules.plan.nested.get(index) else {
            return FValue::Null;
        };
        let view = RowView::new(state, self.values, self.prior, &nested.slots);
        nested.formula.eval(&view).unwrap_or(FValue::Null)
    }
}

impl RowSource for RowView<'_> {
    fn field(&self, index: usize, field: &FieldRef) -> FValue {
        match self.slots.fields.get(index) {
            Some(slot) => self.slot_value(*slot, field.ty),
            None => FValue::Null,
        }
    }

    fn prior(&self, index: usize, field: &FieldRef) -> Option<FValue> {
        let prior = self.prior?;
        Some(match self.slots.fields.get(index) {
            Some(Slot::Own { pos, .. }) => prior
                .get(*pos)
                .map_or(FValue::Null, |v| to_formula(v, field.ty)),
            _ => FValue::Null,
        })
    }

    fn global(&self, index: usize, global: &GlobalRef) -> FValue {
        match self.slots.globals.get(index) {
            Some(slot) => self.slot_value(*slot, global.ty),
            None => FValue::Null,
        }
    }

    fn is_new(&self) -> bool {
        self.prior.is_none()
    }

    fn now(&self) -> DateTime<Utc> {
        self.state.now
    }
}

//! What a chunk's rules read, worked out once per writer: the records they reach (the row itself, parents
//! through lookups, the running user, the org) as a small graph of [`Node`]s, and for every field and
//! global of every compiled formula the [`Slot`] its value comes from. Evaluating a row then looks nothing
//! up by name.

use bulkforce_core::schema::{SObject, Schema};
use bulkforce_formula::typed::Hop;
use bulkforce_formula::{FieldRef, Formula, GlobalRef};
use std::sync::Arc;

/// Where a node's record comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// The row being written (node 0): its values over the stored record's (updates).
    Row,
    /// The record a lookup of node `from` points at; `via` is the lookup's position in `from`'s fields.
    Lookup { from: usize, via: usize },
    /// The running user's User record.
    User,
    /// The org's one record of the node's object (`Organization`).
    Singleton,
}

/// A record the rules read, and which of its fields.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub object: Arc<SObject>,
    pub source: Source,
    /// Field indexes of `object` read from this record (lookups to further nodes included), each once.
    pub fields: Vec<usize>,
}

impl Node {
    /// The position of field `field` in [`Node::fields`], added when new.
    fn position(&mut self, field: usize) -> usize {
        if let Some(pos) = self.fields.iter().position(|f| *f == field) {
            pos
        } else {
            self.fields.push(field);
            self.fields.len() - 1
        }
    }
}

/// Where one formula reference's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    /// A field of the row: its index in the object and its position in node 0's fields (the stored record).
    Own { field: usize, pos: usize },
    /// A field of another node's record.
    Node { node: usize, pos: usize },
    /// A formula field of the row: `ReadPlan::nested[i]`, evaluated on the same row.
    Formula(usize),
    /// Nothing this writer can read (an unknown global, a formula field of a parent): blank.
    Blank,
}

/// The slots of one compiled formula, by the index of its `fields` and `globals`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Slots {
    pub fields: Vec<Slot>,
    pub globals: Vec<Slot>,
}

/// A formula field of the row that a rule reads, compiled, with its own slots.
#[derive(Debug, Clone)]
pub(crate) struct Nested {
    pub formula: Formula,
    pub slots: Slots,
}

/// The graph of records and the slots of every formula.
#[derive(Debug, Clone)]
pub(crate) struct ReadPlan {
    pub nodes: Vec<Node>,
    pub nested: Vec<Nested>,
}

/// How deep formula fields may read formula fields (the compiler refuses cycles; this bounds the rest).
const MAX_NESTING: usize = 8;

impl ReadPlan {
    pub fn new(object: &Arc<SObject>) -> ReadPlan {
        ReadPlan {
            nodes: vec![Node {
                object: Arc::clone(object),
                source: Source::Row,
                fields: Vec::new(),
            }],
            nested: Vec::new(),
        }
    }

    /// The slots of `formula`, adding the records and fields it reads to the plan. `compile_field` compiles
    /// a formula field of the row (its FormulaSpec), for rules that read one.
    pub fn slots(
        &mut self,
        schema: &Schema,
        formula: &Formula,
        compile_field: &dyn Fn(usize) -> Option<Formula>,
    ) -> Slots {
        self.slots_at(schema, formula, compile_field, 0)
    }

    fn slots_at(
        &mut self,
        schema: &Schema,
        formula: &Formula,
        compile_field: &dyn Fn(usize) -> Option<Formula>,
        depth: usize,
    ) -> Slots {
        let fields = formula
            .fields
            .iter()
            .map(|f| self.field_slot(schema, f, compile_field, depth))
            .collect();
        let globals = formula
            .globals
            .iter()
            .map(|g| self.global_slot(schema, g))
            .collect();
        Slots { fields, globals }
    }

    fn field_slot(
        &mut self,
        schema: &Schema,
        field: &FieldRef,
        compile_field: &dyn Fn(usize) -> Option<Formula>,
        depth: usize,
    ) -> Slot {
        if field.hops.is_empty() {
            let Some(index) = self.nodes[0].object.field_index(&field.field) else {
                return Slot::Blank;
            };
            if field.is_formula {
                return self.nested_slot(schema, index, compile_field, depth);
            }
            let pos = self.nodes[0].position(index);
            return Slot::Own { field: index, pos };
        }
        if field.is_formula {
            return Slot::Blank;
        }
        let Some(node) = self.path(schema, 0, &field.hops) else {
            return Slot::Blank;
        };
        self.node_field(node, &field.field)
    }

    fn nested_slot(
        &mut self,
        schema: &Schema,
        index: usize,
        compile_field: &dyn Fn(usize) -> Option<Formula>,
        depth: usize,
    ) -> Slot {
        if depth >= MAX_NESTING {
            return Slot::Blank;
        }
        let Some(formula) = compile_field(index) else {
            return Slot::Blank;
        };
        let slots = self.slots_at(schema, &formula, compile_field, depth + 1);
        self.nested.push(Nested { formula, slots });
        Slot::Formula(self.nested.len() - 1)
    }

    fn global_slot(&mut self, schema: &Schema, global: &GlobalRef) -> Slot {
        let node = match global.variable.to_ascii_lowercase().as_str() {
            "user" => self.root(schema, "User", Source::User),
            "profile" => self
                .root(schema, "User", Source::User)
                .and_then(|user| self.hop(schema, user, "ProfileId", "Profile")),
            "organization" => self.root(schema, "Organization", Source::Singleton),
            "recordtype" => self.hop(schema, 0, "RecordTypeId", "RecordType"),
            _ => None,
        };
        match node {
            Some(node) => self.node_field(node, &global.field),
            None => Slot::Blank,
        }
    }

    fn node_field(&mut self, node: usize, name: &str) -> Slot {
        match self.nodes[node].object.field_index(name) {
            Some(index) => Slot::Node {
                node,
                pos: self.nodes[node].position(index),
            },
            None => Slot::Blank,
        }
    }

    /// The node reached from `from` through `hops`, added when new.
    fn path(&mut self, schema: &Schema, from: usize, hops: &[Hop]) -> Option<usize> {
        hops.iter().try_fold(from, |node, hop| {
            self.hop(schema, node, &hop.reference_field, &hop.object)
        })
    }

    /// The node a lookup `reference_field` of node `from` leads to, in `object`.
    fn hop(
        &mut self,
        schema: &Schema,
        from: usize,
        reference_field: &str,
        object: &str,
    ) -> Option<usize> {
        let field = self.nodes[from].object.field_index(reference_field)?;
        let target = Arc::clone(schema.object(object)?);
        let via = self.nodes[from].position(field);
        let source = Source::Lookup { from, via };
        self.node(target, source)
    }

    fn root(&mut self, schema: &Schema, object: &str, source: Source) -> Option<usize> {
        let target = Arc::clone(schema.object(object)?);
        self.node(target, source)
    }

    fn node(&mut self, object: Arc<SObject>, source: Source) -> Option<usize> {
        if let Some(existing) = self
            .nodes
            .iter()
            .position(|n| n.source == source && n.object.name == object.name)
        {
            return Some(existing);
        }
        self.nodes.push(Node {
            object,
            source,
            fields: Vec::new(),
        });
        Some(self.nodes.len() - 1)
    }
}

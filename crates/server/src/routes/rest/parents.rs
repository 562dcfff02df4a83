//! The parent records a selected field nests under in a REST record, and whether the record answers the
//! field at all.
//!
//! An ordinary parent is `{"attributes": {"type": "Account", …}}`. Through a polymorphic relationship the
//! parent's object is the one whose key prefix its id starts with: `What.Name` nests under a record whose
//! `attributes.type` is `Name` (the object polymorphic fields are read from) with the URL of the actual
//! record, and a TYPEOF field under one typed as the actual object. A TYPEOF field answers only for the
//! records whose parent takes its branch (`WHEN Account THEN Phone` only where What is an Account), so the
//! REST answer shows, per record, just the fields of the branch taken.

use bulkforce_core::org::polymorphic::{NAME_OBJECT, target_of};
use bulkforce_soql::bound::{Branch, FieldPath};

/// One parent on a field's path, as its record nests it.
pub(super) struct Parent<'a> {
    /// The key it nests under (`What`).
    pub(super) relationship: &'a str,
    /// Its `attributes.type`.
    pub(super) attributes_type: &'a str,
    /// The object its `attributes.url` names.
    pub(super) object: &'a str,
    /// Its id (`None`: no parent, the nested record is `null`).
    pub(super) id: Option<&'a str>,
}

/// The parents of `path` (`id_of` gives the parent id reached by a path of relationship names), and
/// whether the record answers the field (false for a TYPEOF branch its parent does not take).
pub(super) fn parents<'a>(
    path: &'a FieldPath,
    id_of: impl Fn(&[String]) -> Option<&'a str>,
) -> (Vec<Parent<'a>>, bool) {
    let mut names = Vec::with_capacity(path.hops.len());
    let mut answered = true;
    let parents = path
        .hops
        .iter()
        .map(|hop| {
            names.push(hop.relationship.clone());
            let id = id_of(&names);
            let Some(poly) = &hop.polymorphic else {
                return Parent {
                    relationship: &hop.relationship,
                    attributes_type: &hop.to.name,
                    object: &hop.to.name,
                    id,
                };
            };
            let actual = id.and_then(|id| target_of(&poly.targets, id));
            let object = actual.map_or(hop.to.name.as_str(), |a| a.name.as_str());
            answered &= match &poly.branch {
                Branch::Name => true,
                Branch::When => actual.is_some_and(|a| a.name == hop.to.name),
                Branch::Else(named) => actual.is_none_or(|a| !named.contains(&a.name)),
            };
            Parent {
                relationship: &hop.relationship,
                attributes_type: match poly.branch {
                    Branch::Name => NAME_OBJECT,
                    _ => object,
                },
                object,
                id,
            }
        })
        .collect();
    (parents, answered)
}

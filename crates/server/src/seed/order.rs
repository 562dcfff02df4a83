//! The order seed files load in: every object after the objects its rows look up, so that a child's
//! lookup (an `AccountId`, an `Account.External_Id__c`) finds its parent already loaded.

use std::collections::BTreeSet;

/// One object to load and the objects it looks up (any case; self-references and objects outside the
/// seed are ignored).
pub(super) struct Node<'a> {
    pub(super) name: &'a str,
    pub(super) parents: Vec<&'a str>,
}

/// The positions of `nodes` in load order: parents first, and among objects free to load, the order
/// given (the caller sorts by name, so the order is the same on every start). A cycle of lookups
/// between seeded objects cannot be loaded in one pass: `Err` names the objects on it.
pub(super) fn parents_first(nodes: &[Node<'_>]) -> Result<Vec<usize>, Vec<String>> {
    let edges = edges(nodes);
    let mut waiting_on: Vec<usize> = (0..nodes.len())
        .map(|child| edges.iter().filter(|&&(_, c)| c == child).count())
        .collect();
    let mut done = vec![false; nodes.len()];
    let mut order = Vec::with_capacity(nodes.len());
    while let Some(next) = (0..nodes.len()).find(|&i| !done[i] && waiting_on[i] == 0) {
        done[next] = true;
        order.push(next);
        for &(_, child) in edges.iter().filter(|&&(parent, _)| parent == next) {
            waiting_on[child] -= 1;
        }
    }
    if order.len() == nodes.len() {
        return Ok(order);
    }
    Err(on_cycles(nodes, &edges, &done))
}

/// (parent, child) positions: one per distinct lookup between two different seeded objects.
fn edges(nodes: &[Node<'_>]) -> Vec<(usize, usize)> {
    let position = |name: &str| nodes.iter().position(|n| n.name.eq_ignore_ascii_case(name));
    let mut edges = BTreeSet::new();
    for (child, node) in nodes.iter().enumerate() {
        for parent in node.parents.iter().filter_map(|p| position(p)) {
            if parent != child {
                edges.insert((parent, child));
            }
        }
    }
    edges.into_iter().collect()
}

/// The objects left unloaded, less those that only wait on a cycle without being on one (their
/// children, peeled off from the bottom): what the error names.
fn on_cycles(nodes: &[Node<'_>], edges: &[(usize, usize)], done: &[bool]) -> Vec<String> {
    let mut left: Vec<bool> = done.iter().map(|d| !d).collect();
    while let Some(leaf) = (0..nodes.len()).find(|&i| {
        left[i]
            && !edges
                .iter()
                .any(|&(parent, child)| parent == i && left[child])
    }) {
        left[leaf] = false;
    }
    (0..nodes.len())
        .filter(|&i| left[i])
        .map(|i| nodes[i].name.to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node<'a>(name: &'a str, parents: &[&'a str]) -> Node<'a> {
        Node {
            name,
            parents: parents.to_vec(),
        }
    }

    fn names(nodes: &[Node<'_>]) -> Result<Vec<String>, Vec<String>> {
        parents_first(nodes).map(|order| order.iter().map(|&i| nodes[i].name.to_owned()).collect())
    }

    #[test]
    fn parents_load_before_children_whatever_the_given_order() {
        let nodes = [
            node("Case", &["Contact", "Account", "User"]),
            node("Contact", &["account", "Contact"]),
            node("Account", &["Account", "User"]),
            node("Opportunity", &["Account"]),
        ];
        assert_eq!(
            names(&nodes).unwrap(),
            ["Account", "Contact", "Case", "Opportunity"]
        );
    }

    #[test]
    fn objects_without_lookups_keep_the_given_order() {
        let nodes = [node("A", &[]), node("B", &["Z"]), node("C", &[])];
        assert_eq!(names(&nodes).unwrap(), ["A", "B", "C"]);
    }

    #[test]
    fn a_cycle_is_refused_naming_only_the_objects_on_it() {
        let nodes = [
            node("Account", &["Contact"]),
            node("Contact", &["Account"]),
            node("Case", &["Contact"]),
            node("Lead", &[]),
        ];
        assert_eq!(names(&nodes).unwrap_err(), ["Account", "Contact"]);
    }
}

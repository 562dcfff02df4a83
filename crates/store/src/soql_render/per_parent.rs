//! A child statement read for a page of parents ([`Query::per_parent`]): its LIMIT and OFFSET count within
//! each parent, so the SQL numbers each parent's rows in the statement's order (`ROW_NUMBER() OVER
//! (PARTITION BY lookup …)`) and keeps only the numbers inside the window. Each row also carries, as one
//! last column, how many rows its parent matched before LIMIT and OFFSET (`COUNT(*) OVER (PARTITION BY
//! lookup)`): what a nested result's `totalSize` needs when not every child is written inline.
//!
//! Window functions are standard SQL: SQLite (3.25 on) and PostgreSQL render the same text.
//!
//! [`Query::per_parent`]: bulkforce_soql::bound::Query::per_parent

use super::select::quote;

/// The numbering of one child statement's rows per parent.
pub(super) struct PerParent {
    partition: String,
    order: String,
}

impl PerParent {
    /// Rows numbered per value of `lookup` (a column of the statement's root table `root`) in `order`
    /// (the statement's ORDER BY keys, rendered; `tie_break` last so the numbering is deterministic).
    pub(super) fn new(root: &str, lookup: &str, order: &[String], tie_break: String) -> PerParent {
        let mut keys = order.to_vec();
        keys.push(tie_break);
        PerParent {
            partition: format!("{root}.{}", quote(lookup)),
            order: keys.join(", "),
        }
    }

    /// The two hidden columns the inner statement adds: the row's number and its parent's count.
    pub(super) fn columns(&self) -> [String; 2] {
        [
            format!(
                "ROW_NUMBER() OVER (PARTITION BY {} ORDER BY {}) AS per_parent_row",
                self.partition, self.order
            ),
            format!(
                "COUNT(*) OVER (PARTITION BY {}) AS per_parent_count",
                self.partition
            ),
        ]
    }

    /// The statement `inner` (its `selected` columns named c0, c1, …, no ORDER BY or LIMIT) cut to each
    /// parent's window: rows `offset + 1 ..= offset + limit` of each parent, in their order, each with
    /// its parent's count as one more column.
    pub(super) fn wrap(
        inner: &str,
        selected: usize,
        limit: Option<u64>,
        offset: Option<u64>,
    ) -> String {
        let mut columns: Vec<String> = (0..selected).map(|i| format!("c{i}")).collect();
        columns.push("per_parent_count".to_owned());
        let skip = offset.unwrap_or(0);
        let mut window = format!("per_parent_row > {skip}");
        if let Some(limit) = limit {
            window.push_str(&format!(
                " AND per_parent_row <= {}",
                skip.saturating_add(limit)
            ));
        }
        format!(
            "SELECT {} FROM ({inner}) AS per_parent WHERE {window} ORDER BY per_parent_row",
            columns.join(", ")
        )
    }
}

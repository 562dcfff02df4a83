//! The SQL of a path from deleted parents down to the records a delete reaches, written once for both
//! dialects: a backend gives the quoted table of an object and its predicate "is one of the parents"
//! (`IN (SELECT value FROM json_each(?1))`, `= ANY($1::text[])`); the joins, live conditions and
//! per-parent limits are the same text on SQLite and PostgreSQL.

use bulkforce_core::org::cascade::ChildLookup;
use bulkforce_core::schema::SObject;

/// Identifiers are schema names; both dialects quote them alike.
fn quote(name: &str) -> String {
    format!("\"{name}\"")
}

/// The condition keeping a record of `object` (under `alias`, if any) live: `IsDeleted = 0`, or always
/// true for an object without a recycle bin (one whose describe has no `IsDeleted`, as Organization:
/// every row is live).
pub(crate) fn live_condition(object: &SObject, alias: Option<&str>) -> String {
    if object.field("IsDeleted").is_none() {
        return "1 = 1".to_owned();
    }
    match alias {
        Some(alias) => format!("{alias}.\"IsDeleted\" = 0"),
        None => "\"IsDeleted\" = 0".to_owned(),
    }
}

/// The tables of a path joined (aliases `t0` for the parents' children, `t1` for theirs, ...).
pub(crate) struct PathSql {
    /// `FROM … AS t0 JOIN … AS t1 ON t1."F" = t0."Id" …`
    from: String,
    /// The column of `t0` pointing at the parents.
    top: String,
    /// The alias of the path's last table.
    last: String,
    /// Every record along the path live (`AND …` each).
    live: String,
}

impl PathSql {
    /// The joins of `path` (not empty), each object's table as `table` names it.
    pub(crate) fn new(path: &[&ChildLookup], table: &dyn Fn(&SObject) -> String) -> PathSql {
        let mut from = String::from("FROM");
        let mut live = String::new();
        for (index, lookup) in path.iter().enumerate() {
            let alias = format!("t{index}");
            if index == 0 {
                from.push_str(&format!(" {} AS {alias}", table(&lookup.child)));
            } else {
                from.push_str(&format!(
                    " JOIN {} AS {alias} ON {alias}.{} = t{}.\"Id\"",
                    table(&lookup.child),
                    quote(&lookup.field),
                    index - 1
                ));
            }
            live.push_str(&format!(
                " AND {}",
                live_condition(&lookup.child, Some(&alias))
            ));
        }
        PathSql {
            from,
            top: format!("t0.{}", quote(&path[0].field)),
            last: format!("t{}", path.len() - 1),
            live,
        }
    }

    /// The live records at the end of the path, at most `per_parent` per parent (the first by Id):
    /// columns id, parent, `name` (an expression over the last table's columns, `{last}` standing for
    /// its alias, or `NULL`). `in_parents` follows the parent column: `IN (…)`, `= ANY(…)`.
    pub(crate) fn first_reached(&self, name: &str, in_parents: &str, per_parent: usize) -> String {
        let PathSql {
            from,
            top,
            last,
            live,
        } = self;
        let name = name.replace("{last}", last);
        format!(
            "SELECT id, parent, name FROM (SELECT {last}.\"Id\" AS id, {top} AS parent, {name} AS name, \
             ROW_NUMBER() OVER (PARTITION BY {top} ORDER BY {last}.\"Id\") AS position \
             {from} WHERE {top} {in_parents}{live}) AS reached \
             WHERE position <= {per_parent} ORDER BY parent, id"
        )
    }

    /// How many records, live or in the recycle bin, are at the end of the path, per parent: columns
    /// parent, count.
    pub(crate) fn count_reached(&self, in_parents: &str) -> String {
        let PathSql { from, top, .. } = self;
        format!("SELECT {top}, COUNT(*) {from} WHERE {top} {in_parents} GROUP BY {top}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bulkforce_core::schema::Schema;

    #[test]
    fn a_path_joins_each_table_on_the_previous_one_and_keeps_only_live_records() {
        let mut schema = Schema::builtin();
        schema
            .merge_describe(
                r#"{"name":"Child__c","custom":true,"fields":[
                {"name":"Account__c","type":"reference","referenceTo":["Account"],"nillable":false,
                 "createable":true,"updateable":false,"cascadeDelete":true,"custom":true}]}"#,
            )
            .unwrap();
        let child = ChildLookup {
            child: schema.object("Child__c").unwrap().clone(),
            field: "Account__c".into(),
        };
        let organization = ChildLookup {
            child: schema.object("Organization").unwrap().clone(),
            field: "PrimaryContact".into(),
        };
        let sql = PathSql::new(&[&child, &organization], &|o| quote(&o.name));
        assert_eq!(
            sql.count_reached("= ANY($1)"),
            "SELECT t0.\"Account__c\", COUNT(*) FROM \"Child__c\" AS t0 JOIN \"Organization\" AS t1 ON \
             t1.\"PrimaryContact\" = t0.\"Id\" WHERE t0.\"Account__c\" = ANY($1) GROUP BY t0.\"Account__c\""
        );
        let first = sql.first_reached("{last}.\"Name\"", "= ANY($1)", 10);
        assert!(
            first.contains("t1.\"Name\" AS name"),
            "the name is the last table's: {first}"
        );
        assert!(
            first.contains("AND t0.\"IsDeleted\" = 0 AND 1 = 1)"),
            "Organization has no IsDeleted: {first}"
        );
        assert!(first.ends_with("WHERE position <= 10 ORDER BY parent, id"));
    }
}

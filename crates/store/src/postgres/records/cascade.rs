//! The statements of a delete's cascade on PostgreSQL ([`CascadeSql`]): each over a slice of parent
//! ids passed as one `text[]`, in the chunk's transaction.

use super::writer::RowWriter;
use crate::Result;
use crate::cascade::{
    AuditValue, CascadeSql, ChildRow, ChunkDeletes, PathSql, audit_assignments, live_condition,
    name_column,
};
use crate::postgres::ddl::quote;
use bulkforce_core::id::SfId;
use bulkforce_core::org::cascade::ChildLookup;
use bulkforce_core::schema::SObject;
use postgres::Transaction;
use std::collections::HashMap;

/// A cascade run in `tx` on the tables of `org_schema`, stamping what it deletes or clears.
struct PgCascade<'a, 'c> {
    tx: &'a mut Transaction<'c>,
    org_schema: &'a str,
    now: &'a str,
    user: &'a str,
}

impl<'c> RowWriter<'_, 'c> {
    fn cascade_sql(&mut self) -> PgCascade<'_, 'c> {
        PgCascade {
            tx: self.tx,
            org_schema: &self.org_schema,
            now: &self.now,
            user: &self.user,
        }
    }

    /// What deleting the records `ids` of this writer's object does beyond them (see [`ChunkDeletes`]).
    pub(super) fn prepare_deletes(&mut self, ids: &[SfId]) -> Result<Option<ChunkDeletes>> {
        let (schema, plan) = (self.schema, self.plan);
        ChunkDeletes::prepare(&mut self.cascade_sql(), schema, plan, ids)
    }

    /// Cascades the deletes of the records `deleted`.
    pub(super) fn finish_deletes(
        &mut self,
        deletes: Option<ChunkDeletes>,
        deleted: &[String],
    ) -> Result<()> {
        match deletes {
            Some(deletes) => deletes.finish_ids(&mut self.cascade_sql(), deleted),
            None => Ok(()),
        }
    }
}

impl PgCascade<'_, '_> {
    fn table(&self, object: &SObject) -> String {
        format!("{}.{}", quote(self.org_schema), quote(&object.name))
    }

    /// The first column of what `sql` returns.
    fn strings(
        &mut self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Vec<String>> {
        Ok(self
            .tx
            .query(sql, params)?
            .iter()
            .map(|r| r.get::<_, String>(0))
            .collect())
    }
}

/// Whether the column is one of the parents (`$1`: a `text[]` of ids).
const IN_PARENTS: &str = "= ANY($1::text[])";

impl CascadeSql for PgCascade<'_, '_> {
    fn is_used(&mut self, lookup: &ChildLookup) -> Result<bool> {
        let field = quote(&lookup.field);
        let sql = format!(
            "SELECT EXISTS (SELECT 1 FROM {} WHERE {field} IS NOT NULL)",
            self.table(&lookup.child)
        );
        Ok(self.tx.query_one(&sql, &[])?.get(0))
    }

    fn first_reached(
        &mut self,
        path: &[&ChildLookup],
        parents: &[String],
        per_parent: usize,
    ) -> Result<Vec<ChildRow>> {
        let last = &path.last().expect("a path is never empty").child;
        let name = name_column(last).map_or_else(
            || "NULL::text".to_owned(),
            |n| format!("{{last}}.{}::text", quote(n)),
        );
        let sql =
            PathSql::new(path, &|o| self.table(o)).first_reached(&name, IN_PARENTS, per_parent);
        Ok(self
            .tx
            .query(&sql, &[&parents])?
            .iter()
            .map(|r| ChildRow {
                id: r.get(0),
                parent: r.get(1),
                name: r.get(2),
            })
            .collect())
    }

    fn count_reached(
        &mut self,
        path: &[&ChildLookup],
        parents: &[String],
    ) -> Result<Vec<(String, u64)>> {
        let sql = PathSql::new(path, &|o| self.table(o)).count_reached(IN_PARENTS);
        Ok(self
            .tx
            .query(&sql, &[&parents])?
            .iter()
            .map(|r| (r.get(0), u64::try_from(r.get::<_, i64>(1)).unwrap_or(0)))
            .collect())
    }

    fn child_ids(
        &mut self,
        lookup: &ChildLookup,
        parents: &[String],
        after: Option<&str>,
        limit: usize,
        all: bool,
    ) -> Result<Vec<String>> {
        let live = if all {
            "1 = 1".to_owned()
        } else {
            live_condition(&lookup.child, None)
        };
        let sql = format!(
            "SELECT \"Id\" FROM {} WHERE {} {IN_PARENTS} AND {live} AND \"Id\" > $2::text \
             ORDER BY \"Id\" LIMIT {limit}",
            self.table(&lookup.child),
            quote(&lookup.field),
        );
        let after = after.unwrap_or("").to_owned();
        self.strings(&sql, &[&parents, &after])
    }

    fn delete_children(
        &mut self,
        lookup: &ChildLookup,
        parents: &[String],
        hard: bool,
    ) -> Result<()> {
        let (table, field) = (self.table(&lookup.child), quote(&lookup.field));
        if hard {
            let sql = format!("DELETE FROM {table} WHERE {field} {IN_PARENTS}");
            self.tx.execute(&sql, &[&parents])?;
            return Ok(());
        }
        let stamps: Vec<String> = audit_assignments(&lookup.child)
            .into_iter()
            .map(|(name, value)| {
                let slot = match value {
                    AuditValue::Now => "$2",
                    AuditValue::User => "$3",
                };
                format!(", {} = {slot}::text", quote(name))
            })
            .collect();
        let sql = format!(
            "UPDATE {table} SET \"IsDeleted\" = 1{} WHERE {field} {IN_PARENTS} AND \"IsDeleted\" = 0",
            stamps.concat()
        );
        // PostgreSQL wants exactly the parameters the statement names.
        let (now, user) = (self.now.to_owned(), self.user.to_owned());
        let mut params: Vec<&(dyn postgres::types::ToSql + Sync)> = vec![&parents];
        if sql.contains("$3") {
            params.extend([&now as &(dyn postgres::types::ToSql + Sync), &user]);
        } else if sql.contains("$2") {
            params.push(&now);
        }
        self.tx.execute(&sql, &params)?;
        Ok(())
    }

    fn clear_lookup(&mut self, lookup: &ChildLookup, parents: &[String]) -> Result<()> {
        let stamped = lookup.child.field("SystemModstamp").is_some();
        let field = quote(&lookup.field);
        let sql = format!(
            "UPDATE {} SET {field} = NULL{} WHERE {field} {IN_PARENTS} AND {}",
            self.table(&lookup.child),
            if stamped {
                ", \"SystemModstamp\" = $2::text"
            } else {
                ""
            },
            live_condition(&lookup.child, None)
        );
        let now = self.now.to_owned();
        if stamped {
            self.tx.execute(&sql, &[&parents, &now])?;
        } else {
            self.tx.execute(&sql, &[&parents])?;
        }
        Ok(())
    }

    fn names(&mut self, object: &SObject, ids: &[String]) -> Result<HashMap<String, String>> {
        let Some(name) = name_column(object) else {
            return Ok(HashMap::new());
        };
        let sql = format!(
            "SELECT \"Id\", {}::text FROM {} WHERE \"Id\" = ANY($1::text[])",
            quote(name),
            self.table(object)
        );
        let mut names = HashMap::new();
        for row in self.tx.query(&sql, &[&ids])? {
            if let Some(name) = row.get::<_, Option<String>>(1) {
                names.insert(row.get(0), name);
            }
        }
        Ok(names)
    }
}

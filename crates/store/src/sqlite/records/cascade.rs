//! The statements of a delete's cascade on SQLite ([`CascadeSql`]): each over a slice of parent ids
//! passed as one JSON array (`json_each`), in the chunk's transaction.

use super::bind::Sql;
use super::{ChunkWriter, quote};
use crate::Result;
use crate::RowOutcome;
use crate::cascade::{
    AuditValue, CascadeSql, ChildRow, ChunkDeletes, PathSql, audit_assignments, delete_ids,
    live_condition, name_column,
};
use crate::sqlite::reset::id_list;
use bulkforce_core::ingest::{RowFailure, RowOp};
use bulkforce_core::org::cascade::ChildLookup;
use bulkforce_core::schema::SObject;
use bulkforce_core::value::Value;
use rusqlite::Connection;
use std::collections::HashMap;

impl ChunkWriter<'_> {
    fn cascade_sql(&self) -> SqliteCascade<'_> {
        SqliteCascade {
            conn: self.conn,
            now: &self.now,
            user: &self.user,
        }
    }

    /// What the delete rows among `rows` do beyond their records (see [`ChunkDeletes`]).
    pub(super) fn prepare_deletes(
        &self,
        rows: &[Result<RowOp, RowFailure>],
    ) -> Result<Option<ChunkDeletes>> {
        let ids = delete_ids(rows);
        ChunkDeletes::prepare(&mut self.cascade_sql(), self.schema, self.plan, &ids)
    }

    /// Cascades the deletes that succeeded among `outcomes`.
    pub(super) fn finish_deletes(
        &self,
        deletes: Option<ChunkDeletes>,
        outcomes: &[RowOutcome],
    ) -> Result<()> {
        match deletes {
            Some(deletes) => deletes.finish(&mut self.cascade_sql(), outcomes),
            None => Ok(()),
        }
    }
}

/// A cascade run on `conn`, stamping what it deletes or clears with `now` and `user`.
struct SqliteCascade<'a> {
    conn: &'a Connection,
    now: &'a Value,
    user: &'a Value,
}

impl SqliteCascade<'_> {
    /// The first column of what `sql` returns, with `params` bound.
    fn strings(&self, sql: &str, params: &[&dyn rusqlite::ToSql]) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map(params, |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

/// `?2` for the time, `?3` for the user.
fn stamps(object: &SObject) -> Vec<String> {
    audit_assignments(object)
        .into_iter()
        .map(|(name, value)| {
            let slot = match value {
                AuditValue::Now => "?2",
                AuditValue::User => "?3",
            };
            format!(", {} = {slot}", quote(name))
        })
        .collect()
}

/// Whether the column is one of the parents (`?1`: a JSON array of ids).
const IN_PARENTS: &str = "IN (SELECT value FROM json_each(?1))";

/// A display name read as text (an auto-number may be stored as an integer).
fn text(value: Option<rusqlite::types::Value>) -> Option<String> {
    match value? {
        rusqlite::types::Value::Text(t) => Some(t),
        rusqlite::types::Value::Integer(i) => Some(i.to_string()),
        _ => None,
    }
}

impl CascadeSql for SqliteCascade<'_> {
    fn is_used(&mut self, lookup: &ChildLookup) -> Result<bool> {
        let field = quote(&lookup.field);
        let sql = format!(
            "SELECT EXISTS (SELECT 1 FROM {} WHERE {field} IS NOT NULL)",
            quote(&lookup.child.name)
        );
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row([], |r| r.get(0))?)
    }

    fn first_reached(
        &mut self,
        path: &[&ChildLookup],
        parents: &[String],
        per_parent: usize,
    ) -> Result<Vec<ChildRow>> {
        let last = &path.last().expect("a path is never empty").child;
        let name = name_column(last)
            .map_or_else(|| "NULL".to_owned(), |n| format!("{{last}}.{}", quote(n)));
        let sql =
            PathSql::new(path, &|o| quote(&o.name)).first_reached(&name, IN_PARENTS, per_parent);
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([id_list(parents)], |r| {
            Ok(ChildRow {
                id: r.get(0)?,
                parent: r.get(1)?,
                name: text(r.get(2)?),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn count_reached(
        &mut self,
        path: &[&ChildLookup],
        parents: &[String],
    ) -> Result<Vec<(String, u64)>> {
        let sql = PathSql::new(path, &|o| quote(&o.name)).count_reached(IN_PARENTS);
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([id_list(parents)], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })?;
        rows.map(|row| {
            let (parent, count) = row?;
            Ok((parent, u64::try_from(count).unwrap_or(0)))
        })
        .collect()
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
            "SELECT \"Id\" FROM {} WHERE {} {IN_PARENTS} AND {live} AND \"Id\" > ?2 \
             ORDER BY \"Id\" LIMIT {limit}",
            quote(&lookup.child.name),
            quote(&lookup.field),
        );
        self.strings(&sql, &[&id_list(parents), &after.unwrap_or("")])
    }

    fn delete_children(
        &mut self,
        lookup: &ChildLookup,
        parents: &[String],
        hard: bool,
    ) -> Result<()> {
        let (table, field) = (quote(&lookup.child.name), quote(&lookup.field));
        let parents = id_list(parents);
        if hard {
            let sql = format!("DELETE FROM {table} WHERE {field} {IN_PARENTS}");
            self.conn.prepare_cached(&sql)?.execute([parents])?;
            return Ok(());
        }
        let stamps = stamps(&lookup.child);
        let sql = format!(
            "UPDATE {table} SET \"IsDeleted\" = 1{} WHERE {field} {IN_PARENTS} AND \"IsDeleted\" = 0",
            stamps.concat()
        );
        // SQLite counts parameters up to the highest one used: bind exactly those.
        let (now, user) = (Sql(self.now), Sql(self.user));
        let mut params: Vec<&dyn rusqlite::ToSql> = vec![&parents];
        if sql.contains("?3") {
            params.extend([&now as &dyn rusqlite::ToSql, &user]);
        } else if sql.contains("?2") {
            params.push(&now);
        }
        self.conn.prepare_cached(&sql)?.execute(params.as_slice())?;
        Ok(())
    }

    fn clear_lookup(&mut self, lookup: &ChildLookup, parents: &[String]) -> Result<()> {
        let stamped = lookup.child.field("SystemModstamp").is_some();
        let field = quote(&lookup.field);
        let sql = format!(
            "UPDATE {} SET {field} = NULL{} WHERE {field} {IN_PARENTS} AND {}",
            quote(&lookup.child.name),
            if stamped {
                ", \"SystemModstamp\" = ?2"
            } else {
                ""
            },
            live_condition(&lookup.child, None)
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let parents = id_list(parents);
        if stamped {
            stmt.execute(rusqlite::params![parents, Sql(self.now)])?;
        } else {
            stmt.execute([parents])?;
        }
        Ok(())
    }

    fn names(&mut self, object: &SObject, ids: &[String]) -> Result<HashMap<String, String>> {
        let Some(name) = name_column(object) else {
            return Ok(HashMap::new());
        };
        let sql = format!(
            "SELECT \"Id\", {} FROM {} WHERE \"Id\" IN (SELECT value FROM json_each(?1))",
            quote(name),
            quote(&object.name)
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([id_list(ids)], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
        })?;
        let mut names = HashMap::new();
        for row in rows {
            if let (id, Some(name)) = row? {
                names.insert(id, name);
            }
        }
        Ok(names)
    }
}

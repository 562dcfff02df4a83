//! The statements of a delete's cascade on SQLite ([`CascadeSql`]): each over the chunk's parent ids
//! passed as one JSON array (`json_each`), in the chunk's transaction.

use super::bind::Sql;
use super::{ChunkWriter, quote};
use crate::Result;
use crate::RowOutcome;
use crate::cascade::{
    AuditValue, CascadeSql, ChildRow, ChunkDeletes, audit_assignments, delete_ids, name_column,
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

/// The condition keeping a record of `object` live: `IsDeleted = 0`, or always true for an object
/// without a recycle bin (Group, RecordType have no `IsDeleted`: every row is live).
fn live_condition(object: &SObject) -> &'static str {
    if object.field("IsDeleted").is_some() {
        "\"IsDeleted\" = 0"
    } else {
        "1 = 1"
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

    fn live_children(&mut self, lookup: &ChildLookup, parents: &[String]) -> Result<Vec<ChildRow>> {
        let name = name_column(&lookup.child).map_or_else(|| "NULL".to_owned(), quote);
        let sql = format!(
            "SELECT \"Id\", {field}, {name} FROM {table} \
             WHERE {field} IN (SELECT value FROM json_each(?1)) AND {live} ORDER BY \"Id\"",
            field = quote(&lookup.field),
            table = quote(&lookup.child.name),
            live = live_condition(&lookup.child),
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([id_list(parents)], |r| {
            Ok(ChildRow {
                id: r.get(0)?,
                parent: r.get(1)?,
                name: r
                    .get::<_, Option<rusqlite::types::Value>>(2)?
                    .and_then(|v| match v {
                        rusqlite::types::Value::Text(t) => Some(t),
                        rusqlite::types::Value::Integer(i) => Some(i.to_string()),
                        _ => None,
                    }),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn delete_children(
        &mut self,
        lookup: &ChildLookup,
        parents: &[String],
        hard: bool,
    ) -> Result<Vec<String>> {
        let (table, field) = (quote(&lookup.child.name), quote(&lookup.field));
        let parents = id_list(parents);
        if hard {
            let sql = format!(
                "DELETE FROM {table} WHERE {field} IN (SELECT value FROM json_each(?1)) RETURNING \"Id\""
            );
            return self.strings(&sql, &[&parents]);
        }
        let stamps = stamps(&lookup.child);
        let sql = format!(
            "UPDATE {table} SET \"IsDeleted\" = 1{} WHERE {field} IN (SELECT value FROM json_each(?1)) \
             AND \"IsDeleted\" = 0 RETURNING \"Id\"",
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
        self.strings(&sql, &params)
    }

    fn clear_lookup(&mut self, lookup: &ChildLookup, parents: &[String]) -> Result<()> {
        let stamped = lookup.child.field("SystemModstamp").is_some();
        let field = quote(&lookup.field);
        let sql = format!(
            "UPDATE {} SET {field} = NULL{} WHERE {field} IN (SELECT value FROM json_each(?1)) \
             AND {}",
            quote(&lookup.child.name),
            if stamped {
                ", \"SystemModstamp\" = ?2"
            } else {
                ""
            },
            live_condition(&lookup.child)
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

//! The PostgreSQL renderer's tests: the SQL it writes for representative queries (`sql_text`), and the
//! same queries over the same rows on SQLite and on a real PostgreSQL giving the same answers
//! (`same_as_sqlite`), which is how SOQL's semantics are kept identical on both backends.

mod fixture;
mod same_as_sqlite;
mod sql_text;
mod streaming;

//! PostgreSQL's own reference: the same CSV loaded with `COPY … FROM STDIN` into a table with the same
//! columns and indexes as the server's Account table (`LIKE … INCLUDING ALL`, created beside it in a schema
//! of its own once the server has made its table), written out with `COPY … TO STDOUT` of the CSV's
//! columns, then the upsert CSV merged in: `COPY` into a staging table and one `INSERT … ON CONFLICT
//! (external id) DO UPDATE`, where an empty cell leaves the field as it is (bulkforce's upsert semantics).
//! Each is timed from the bench (the CSV read and sent over the connection, as `psql \copy` does); the peak
//! RSS is that of the PostgreSQL backend serving the connection (shared buffers it touched included).

use crate::csvcount::CsvCounter;
use crate::data::{COLUMNS, EXTERNAL_ID};
use crate::process::RssSampler;
use crate::reference::{Reference, Timed};
use anyhow::{Context, bail};
use postgres::{Client, NoTls};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::Instant;

/// The reference table's schema.
const SCHEMA: &str = "bench_reference";
/// The reference table.
const TABLE: &str = "bench_reference.\"Account\"";

/// The server's Account table (`org_<id>."Account"`): the one org the bench uses must have made it.
fn server_table(client: &mut Client) -> anyhow::Result<String> {
    let rows = client.query(
        "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname LIKE 'org\\_%' AND c.relname = 'Account' AND c.relkind = 'r'",
        &[],
    )?;
    match rows.as_slice() {
        [row] => Ok(row.get(0)),
        [] => bail!("the server made no Account table in an org_… schema"),
        _ => bail!("the server made several Account tables; the bench uses one org"),
    }
}

/// The reference table, made like the server's (columns, types, primary key, unique and plain indexes);
/// its `Id` minted from a sequence, as the server mints one per row.
fn create_table(client: &mut Client, server_table: &str) -> anyhow::Result<()> {
    client.batch_execute(&format!(
        "DROP SCHEMA IF EXISTS {SCHEMA} CASCADE;
         CREATE SCHEMA {SCHEMA};
         CREATE TABLE {TABLE} (LIKE {server_table} INCLUDING ALL);
         CREATE SEQUENCE {SCHEMA}.ids;
         ALTER TABLE {TABLE} ALTER COLUMN \"Id\" SET DEFAULT '001' || lpad(nextval('{SCHEMA}.ids')::text, 15, '0');"
    ))?;
    Ok(())
}

fn column_list() -> String {
    COLUMNS.map(|c| format!("\"{c}\"")).join(", ")
}

/// `COPY` of every part into `table`; answers the rows copied.
fn copy_parts(
    client: &mut impl postgres::GenericClient,
    table: &str,
    parts: &[PathBuf],
) -> anyhow::Result<u64> {
    let statement = format!(
        "COPY {table} ({}) FROM STDIN WITH (FORMAT csv, HEADER true)",
        column_list()
    );
    let mut rows = 0;
    for part in parts {
        let mut file =
            std::fs::File::open(part).with_context(|| format!("opening {}", part.display()))?;
        let mut writer = client.copy_in(&statement)?;
        std::io::copy(&mut file, &mut writer)
            .with_context(|| format!("COPY of {}", part.display()))?;
        writer.flush()?;
        rows += writer.finish()?;
    }
    Ok(rows)
}

/// `COPY … TO STDOUT` of the CSV's columns; answers the data records and the bytes.
fn copy_out(client: &mut Client) -> anyhow::Result<(u64, u64)> {
    let mut reader = client.copy_out(&format!(
        "COPY {TABLE} ({}) TO STDOUT WITH (FORMAT csv, HEADER true)",
        column_list()
    ))?;
    let mut counter = CsvCounter::new();
    let mut buffer = vec![0u8; 256 * 1024];
    let mut bytes = 0u64;
    loop {
        let n = reader.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        bytes += n as u64;
        counter.feed(&buffer[..n]);
    }
    let records = counter
        .finish()
        .valid()
        .context("COPY TO STDOUT wrote malformed CSV")?
        .records;
    Ok((records.saturating_sub(1), bytes))
}

/// The upsert CSV into a staging table of the same types, then merged in one statement, in one
/// transaction.
fn upsert(client: &mut Client, parts: &[PathBuf]) -> anyhow::Result<()> {
    let columns = column_list();
    let sets = COLUMNS
        .iter()
        .filter(|c| **c != EXTERNAL_ID)
        .map(|c| format!("\"{c}\" = coalesce(excluded.\"{c}\", t.\"{c}\")"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut tx = client.transaction()?;
    tx.batch_execute(&format!(
        "CREATE TEMP TABLE staging ON COMMIT DROP AS SELECT {columns} FROM {TABLE} WITH NO DATA"
    ))?;
    copy_parts(&mut tx, "staging", parts)?;
    tx.batch_execute(&format!(
        "INSERT INTO {TABLE} AS t ({columns}) SELECT {columns} FROM staging \
         ON CONFLICT (\"{EXTERNAL_ID}\") DO UPDATE SET {sets}"
    ))?;
    tx.commit()?;
    Ok(())
}

fn count(client: &mut Client) -> anyhow::Result<u64> {
    let n: i64 = client
        .query_one(&format!("SELECT count(*) FROM {TABLE}"), &[])?
        .get(0);
    Ok(n.max(0) as u64)
}

/// Times `f`, sampling the resident memory of the backend process `backend` (when it is on this machine).
fn timed<T>(
    backend: Option<u32>,
    client: &mut Client,
    f: impl FnOnce(&mut Client) -> anyhow::Result<T>,
) -> anyhow::Result<(Timed, T)> {
    let sampler = backend.map(RssSampler::start);
    let started = Instant::now();
    let result = f(client)?;
    let seconds = started.elapsed().as_secs_f64();
    let peak_rss = sampler.and_then(RssSampler::finish);
    Ok((
        Timed {
            seconds,
            peak_rss,
            stderr: String::new(),
        },
        result,
    ))
}

/// The backend's process id when the database is on this machine (its `/proc` entry is then that
/// backend's, not an unrelated local process's).
fn local_backend(client: &mut Client, url: &str) -> anyhow::Result<Option<u32>> {
    let config: postgres::Config = url.parse()?;
    let local = config.get_hosts().iter().all(|host| match host {
        postgres::config::Host::Tcp(name) => {
            matches!(name.as_str(), "localhost" | "127.0.0.1" | "::1")
        }
        postgres::config::Host::Unix(_) => true,
    });
    if !local {
        return Ok(None);
    }
    let pid: i32 = client.query_one("SELECT pg_backend_pid()", &[])?.get(0);
    Ok(u32::try_from(pid).ok())
}

/// Runs the reference in the database at `url`, after the server has made its tables there: the insert
/// CSV copied in, exported, then the upsert CSV merged in; counts after each.
pub fn measure(
    url: &str,
    insert_parts: &[PathBuf],
    upsert_parts: &[PathBuf],
) -> anyhow::Result<Reference> {
    let mut client = Client::connect(url, NoTls).with_context(|| format!("connecting to {url}"))?;
    let server_table = server_table(&mut client)?;
    create_table(&mut client, &server_table)?;
    let backend = local_backend(&mut client, url)?;
    let (import, copied) = timed(backend, &mut client, |c| copy_parts(c, TABLE, insert_parts))?;
    let imported_rows = count(&mut client)?;
    if copied != imported_rows {
        bail!("COPY reported {copied} rows, the table holds {imported_rows}");
    }
    let (export, (exported_rows, export_bytes)) = timed(backend, &mut client, copy_out)?;
    let (upsert, ()) = timed(backend, &mut client, |c| upsert(c, upsert_parts))?;
    let rows_after_upsert = count(&mut client)?;
    Ok(Reference {
        import,
        imported_rows,
        export,
        exported_rows,
        export_bytes,
        upsert,
        rows_after_upsert,
    })
}

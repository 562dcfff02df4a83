//! The seed directory read and checked before anything loads: one `<Object>.csv` per object, each header
//! planned against the schema (an unknown column refuses the seed before its first row is written).

use super::error::SeedError;
use bulkforce_core::csv::{LineEnding, Record, RecordReader, Terminator};
use bulkforce_core::ingest::IngestPlan;
use bulkforce_core::job::Operation;
use bulkforce_core::schema::{SObject, Schema};
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One seed file, checked.
pub(super) struct SeedFile {
    pub(super) path: PathBuf,
    /// Its name in the directory, as errors name it.
    pub(super) name: String,
    pub(super) object: Arc<SObject>,
    /// The insert plan of its header: the same the worker builds, kept to locate failed rows.
    pub(super) plan: IngestPlan,
    /// The header's column names.
    pub(super) columns: Vec<String>,
    /// The line ending of its header, which the job declares (the file's, not a default that fails it).
    pub(super) line_ending: LineEnding,
}

/// Every `*.csv` of `dir`, in name order; anything else in it refuses the seed, as does a file larger
/// than one job may upload (`limit` bytes), since an HTTP upload that large is refused too.
pub(super) fn discover(
    schema: &Schema,
    dir: &Path,
    limit: u64,
) -> Result<Vec<SeedFile>, SeedError> {
    let read_dir = |source| SeedError::ReadDir {
        dir: dir.to_owned(),
        source,
    };
    let mut paths = std::fs::read_dir(dir)
        .map_err(read_dir)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(read_dir)?;
    paths.sort();
    let mut files: Vec<SeedFile> = Vec::with_capacity(paths.len());
    for path in paths {
        let file = check(schema, path, limit)?;
        if let Some(first) = files.iter().find(|f| f.object.name == file.object.name) {
            return Err(SeedError::DuplicateObject {
                first: first.name.clone(),
                second: file.name,
                object: file.object.name.clone(),
            });
        }
        files.push(file);
    }
    Ok(files)
}

/// One entry of the directory: a regular `<Object>.csv` file whose object exists and whose header the
/// object accepts.
fn check(schema: &Schema, path: PathBuf, limit: u64) -> Result<SeedFile, SeedError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = path
        .extension()
        .filter(|e| e.eq_ignore_ascii_case("csv") && path.is_file())
        .and_then(|_| path.file_stem())
        .map(|s| s.to_string_lossy().into_owned())
        .ok_or_else(|| SeedError::NotCsv { file: name.clone() })?;
    let object = schema
        .object(&stem)
        .cloned()
        .ok_or_else(|| SeedError::UnknownObject {
            file: name.clone(),
            object: stem,
        })?;
    let bytes = std::fs::metadata(&path)
        .map_err(|source| SeedError::Io {
            file: name.clone(),
            source,
        })?
        .len();
    if bytes > limit {
        return Err(SeedError::TooLarge {
            file: name,
            bytes,
            limit,
        });
    }
    let (columns, line_ending) = read_header(&path, &name)?;
    let plan = IngestPlan::new(schema, object.clone(), Operation::Insert, None, &columns).map_err(
        |message| SeedError::Header {
            file: name.clone(),
            message,
        },
    )?;
    Ok(SeedFile {
        path,
        name,
        object,
        plan,
        columns,
        line_ending,
    })
}

/// The header's column names and line ending.
fn read_header(path: &Path, name: &str) -> Result<(Vec<String>, LineEnding), SeedError> {
    let header = |message: String| SeedError::Header {
        file: name.to_owned(),
        message,
    };
    let file = File::open(path).map_err(|source| SeedError::Io {
        file: name.to_owned(),
        source,
    })?;
    let mut reader = RecordReader::new(BufReader::new(file), b',', 0);
    let mut record = Record::default();
    let found = reader
        .skip_bom()
        .and_then(|_| reader.read(&mut record))
        .map_err(|e| header(format!("its header cannot be read: {e}")))?;
    if !found || record.is_blank() {
        return Err(header("the file is empty: it needs a header row".into()));
    }
    let columns = record
        .iter()
        .map(|cell| String::from_utf8_lossy(cell).into_owned())
        .collect();
    let line_ending = match record.terminator() {
        Terminator::CrLf => LineEnding::Crlf,
        _ => LineEnding::Lf,
    };
    Ok((columns, line_ending))
}

//! What a finished seed job's result files say: the ids it created (taken back when the seed is refused)
//! and its first failed row, located in the seed file by number.
//!
//! Result files carry no row numbers (Salesforce's do not either), but both list their rows in upload
//! order and echo each row's cells as the worker echoes them ([`IngestPlan::echo`]): walking the seed
//! file beside the successful and the failed rows, each row is the next successful one or the next
//! failed one. A row that matches both (two identical rows, one refused as a duplicate of the other) is
//! taken as successful, since the earlier of two such rows is the one that loads.

use super::error::{FailedRow, SeedError};
use super::files::SeedFile;
use crate::state::AppState;
use bulkforce_core::csv::{Record, RecordReader};
use bulkforce_core::id::SfId;
use bulkforce_store::Checkpoint;
use bulkforce_store::blob::BlobStore;
use bulkforce_store::blob::keys::{self, ResultKind};
use std::io::{self, BufReader, Read};
use std::sync::Arc;

/// The finished job whose results are read.
pub(super) struct JobResults {
    pub(super) blobs: Arc<dyn BlobStore>,
    pub(super) org: SfId,
    pub(super) job: SfId,
    pub(super) checkpoint: Checkpoint,
}

impl JobResults {
    /// The results of the finished job `job` of `org`.
    pub(super) async fn of(state: &AppState, org: SfId, job: SfId) -> Result<Self, SeedError> {
        let checkpoint = state
            .with_store(move |store| store.checkpoint(org, job))
            .await?
            .unwrap_or_default();
        Ok(JobResults {
            blobs: state.blobs.clone(),
            org,
            job,
            checkpoint,
        })
    }

    /// The ids of the records the job created.
    pub(super) fn created_ids(&self) -> Result<Vec<SfId>, SeedError> {
        let mut rows = self.rows(ResultKind::Successful);
        let mut ids = Vec::new();
        while let Some(row) = rows.next_row()? {
            let id = SfId::parse(&row.id)
                .map_err(|e| SeedError::Store(format!("a result row has no valid id: {e}")))?;
            ids.push(id);
        }
        Ok(ids)
    }

    /// The first failed row of `file`, with its number and values; `failed` rows failed in all.
    pub(super) fn first_failure(
        &self,
        file: &SeedFile,
        failed: u64,
    ) -> Result<FailedRow, SeedError> {
        let failure = self
            .rows(ResultKind::Failed)
            .next_row()?
            .ok_or_else(|| SeedError::Store("a failed row is missing from its results".into()))?;
        let row = locate(file, &mut self.rows(ResultKind::Successful), &failure.echo)?;
        let mut values: Vec<(String, String)> = Vec::with_capacity(failure.echo.len());
        for (i, cell) in failure.echo.iter().enumerate() {
            let column = file
                .columns
                .get(i)
                .cloned()
                .unwrap_or_else(|| format!("column {}", i + 1));
            values.push((column, String::from_utf8_lossy(cell).into_owned()));
        }
        Ok(FailedRow {
            file: file.name.clone(),
            row,
            error: failure.note,
            values,
            more: failed.saturating_sub(1),
        })
    }

    fn rows(&self, kind: ResultKind) -> ResultRows<'_> {
        let parts = Parts {
            results: self,
            kind,
            next: 0,
            current: None,
        };
        ResultRows {
            reader: RecordReader::new(BufReader::new(parts), b',', 0),
            record: Record::default(),
        }
    }
}

/// Data row number and line of the row of `file` that failed with `failed_echo`: the first row with that
/// echo that is not the next successful row (`None` if none matches).
fn locate(
    file: &SeedFile,
    successes: &mut ResultRows<'_>,
    failed_echo: &[Vec<u8>],
) -> Result<Option<(u64, u64)>, SeedError> {
    let io = |e: bulkforce_core::csv::CsvError| SeedError::Io {
        file: file.name.clone(),
        source: io::Error::other(e.to_string()),
    };
    let seed = std::fs::File::open(&file.path).map_err(|source| SeedError::Io {
        file: file.name.clone(),
        source,
    })?;
    let mut reader = RecordReader::new(BufReader::new(seed), b',', 0);
    let mut record = Record::default();
    reader.skip_bom().map_err(io)?;
    reader.read(&mut record).map_err(io)?; // the header
    let mut next_success = successes.next_row()?;
    let mut row = 0;
    while reader.read(&mut record).map_err(io)? {
        if record.is_blank() {
            continue;
        }
        row += 1;
        let echo: Vec<Vec<u8>> = (0..record.len())
            .map(|i| {
                file.plan
                    .echo(i, record.get(i).unwrap_or_default())
                    .into_owned()
            })
            .collect();
        if next_success.as_ref().is_some_and(|s| s.echo == echo) {
            next_success = successes.next_row()?;
        } else if echo == failed_echo {
            return Ok(Some((row, record.line())));
        }
    }
    Ok(None)
}

/// One result row: `sf__Id`, the second `sf__` cell (`sf__Created` or `sf__Error`), the echoed cells.
struct ResultRow {
    id: String,
    note: String,
    echo: Vec<Vec<u8>>,
}

/// The rows of one of a job's result files, in order.
struct ResultRows<'a> {
    reader: RecordReader<BufReader<Parts<'a>>>,
    record: Record,
}

impl ResultRows<'_> {
    fn next_row(&mut self) -> Result<Option<ResultRow>, SeedError> {
        let found = self
            .reader
            .read(&mut self.record)
            .map_err(|e| SeedError::Store(format!("reading a seed job's results: {e}")))?;
        if !found {
            return Ok(None);
        }
        let text = |i| String::from_utf8_lossy(self.record.get(i).unwrap_or_default()).into_owned();
        Ok(Some(ResultRow {
            id: text(0),
            note: text(1),
            echo: self.record.iter().skip(2).map(<[u8]>::to_vec).collect(),
        }))
    }
}

/// The committed chunks' result parts of one kind, read one after the other (what the result file
/// streams after its header).
struct Parts<'a> {
    results: &'a JobResults,
    kind: ResultKind,
    next: u64,
    current: Option<Box<dyn Read + Send>>,
}

impl Read for Parts<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if let Some(part) = &mut self.current {
                let n = part.read(buf)?;
                if n > 0 || buf.is_empty() {
                    return Ok(n);
                }
                self.current = None;
            }
            let results = self.results;
            if self.next >= results.checkpoint.chunks_done {
                return Ok(0);
            }
            let key = keys::result_part(results.org, results.job, self.kind, self.next);
            self.current = results.blobs.open(&key, 0).map_err(io::Error::other)?;
            self.next += 1;
        }
    }
}

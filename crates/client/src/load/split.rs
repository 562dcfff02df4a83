//! Plans the parts of a CSV file too large for one job: byte ranges of the file that end on record boundaries,
//! each small enough for one upload, found in one streaming pass.
//!
//! Why byte ranges: a part is then uploaded straight from the file (a seek and a bounded read behind the header
//! line), with no temporary copy and no re-encoding, so the server receives exactly the bytes the user wrote.
//!
//! Records are found with the same rules as the server's CSV reader (and Salesforce's): a double quote opens a
//! quoted value only at the start of a cell, doubled quotes inside are literal, and a line feed (or CRLF) ends a
//! record only outside quotes. Blank lines, which the server skips, are not counted as rows. Every record must
//! end with the header line's ending (the file's declared `lineEnding`), otherwise the file is refused before
//! any job exists: Salesforce would fail each job for it.
//!
//! ```
//! use bulkforce_client::load::split::{plan_reader, SplitOptions};
//! let csv = b"Name,Note\nA,\"two\nlines\"\nB,x\nC,y\n";
//! let plan = plan_reader(&csv[..], &SplitOptions { max_bytes: 1000, max_rows: Some(2) })?;
//! let uploads: Vec<Vec<u8>> = plan.parts.iter()
//!     .map(|p| [&plan.header[..], &csv[p.start as usize..p.end as usize]].concat())
//!     .collect();
//! assert_eq!(uploads, [&b"Name,Note\nA,\"two\nlines\"\nB,x\n"[..], b"Name,Note\nC,y\n"]);
//! # Ok::<(), bulkforce_client::Error>(())
//! ```

use super::LoadError;
use crate::{ColumnDelimiter, LineEnding, Result};
use planner::Pass;
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::path::Path;

mod planner;
mod records;

pub(crate) use records::Scanner;

/// The default largest upload of one part, header included: 100 MB, the raw size Salesforce documents as
/// fitting its 150 MB limit per job once it has base64-encoded the data.
///
/// ```
/// use bulkforce_client::load::split::{DEFAULT_MAX_BYTES, SplitOptions};
/// assert_eq!(SplitOptions::default().max_bytes, DEFAULT_MAX_BYTES);
/// ```
pub const DEFAULT_MAX_BYTES: u64 = 100_000_000;

/// The longest header line the splitter keeps in memory (it is sent at the start of every part).
///
/// ```
/// use bulkforce_client::load::split::{plan_reader, SplitOptions, MAX_HEADER_BYTES};
/// let header = "x".repeat(MAX_HEADER_BYTES as usize + 1) + "\n";
/// assert!(plan_reader(header.as_bytes(), &SplitOptions::default()).is_err());
/// ```
pub const MAX_HEADER_BYTES: u64 = 1 << 20;

/// The read buffer of one planning pass: memory stays at this size whatever the file's.
const BUFFER_BYTES: usize = 1 << 20;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// How large a part may be.
///
/// ```
/// use bulkforce_client::load::split::SplitOptions;
/// let options = SplitOptions { max_bytes: 64 * 1024, max_rows: Some(10_000) };
/// assert_eq!(SplitOptions::default().max_bytes, 100_000_000);
/// assert!(options.validate().is_ok());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SplitOptions {
    /// Largest upload of one part in bytes, the header line included.
    pub max_bytes: u64,
    /// Most rows in one part (`None`: no limit but the size).
    #[serde(default)]
    pub max_rows: Option<u64>,
}

impl Default for SplitOptions {
    /// [`DEFAULT_MAX_BYTES`] and no row limit.
    fn default() -> Self {
        SplitOptions {
            max_bytes: DEFAULT_MAX_BYTES,
            max_rows: None,
        }
    }
}

impl SplitOptions {
    /// Refuses limits that cannot work (zero bytes or zero rows).
    ///
    /// ```
    /// use bulkforce_client::load::split::SplitOptions;
    /// assert!(SplitOptions { max_bytes: 0, max_rows: None }.validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<()> {
        if self.max_bytes == 0 {
            return Err(
                LoadError::InvalidOptions("the size limit per job must be above 0".into()).into(),
            );
        }
        if self.max_rows == Some(0) {
            return Err(
                LoadError::InvalidOptions("the row limit per job must be above 0".into()).into(),
            );
        }
        Ok(())
    }
}

/// One part of the file: the records in bytes `start..end`, uploaded behind the header line as one job.
///
/// ```
/// use bulkforce_client::load::split::Part;
/// let part = Part { start: 10, end: 110, rows: 4 };
/// assert_eq!(part.len(), 100);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    /// Offset of the part's first byte in the file.
    pub start: u64,
    /// Offset just past its last record's line ending.
    pub end: u64,
    /// Records in it (blank lines not counted).
    pub rows: u64,
}

impl Part {
    /// Bytes of the file in this part (the header not counted).
    ///
    /// ```
    /// # use bulkforce_client::load::split::Part;
    /// assert_eq!(Part { start: 5, end: 5, rows: 0 }.len(), 0);
    /// ```
    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    /// True for the part of a file that has a header and no rows.
    ///
    /// ```
    /// # use bulkforce_client::load::split::Part;
    /// assert!(Part { start: 5, end: 5, rows: 0 }.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

/// The parts of a file and what every job must declare about it.
///
/// ```
/// use bulkforce_client::load::split::{plan_reader, SplitOptions};
/// use bulkforce_client::{ColumnDelimiter, LineEnding};
/// let csv = b"\xEF\xBB\xBFName;Note\r\nA;\"x\r\ny\"\r\nB;z\r\n";
/// let plan = plan_reader(&csv[..], &SplitOptions::default()).unwrap();
/// assert!(plan.bom);
/// assert_eq!(plan.header, b"Name;Note\r\n");
/// assert_eq!((plan.delimiter, plan.line_ending), (ColumnDelimiter::Semicolon, LineEnding::Crlf));
/// assert_eq!(plan.rows, 2);
/// assert_eq!(plan.parts.len(), 1);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitPlan {
    /// The file starts with a UTF-8 byte-order mark, which is not sent.
    pub bom: bool,
    /// The header line with its line ending (without the BOM), sent at the start of every part.
    pub header: Vec<u8>,
    /// Offset of the header in the file (3 after a BOM, else 0).
    pub header_start: u64,
    /// The column delimiter, detected from the header line.
    pub delimiter: ColumnDelimiter,
    /// The line ending of the header line, which every record has.
    pub line_ending: LineEnding,
    /// The parts in file order; a file with a header and no rows has one empty part (the server still checks
    /// the header).
    pub parts: Vec<Part>,
    /// Rows in the file (blank lines not counted).
    pub rows: u64,
    /// Bytes read: the file's size.
    pub file_bytes: u64,
}

impl SplitPlan {
    /// Offset just past the header line.
    ///
    /// ```
    /// # use bulkforce_client::load::split::{plan_reader, SplitOptions};
    /// let plan = plan_reader(&b"Name\nA\n"[..], &SplitOptions::default()).unwrap();
    /// assert_eq!(plan.header_end(), 5);
    /// ```
    pub fn header_end(&self) -> u64 {
        self.header_start + self.header.len() as u64
    }

    /// Bytes sent for `part`: the header line and the part's range.
    ///
    /// ```
    /// # use bulkforce_client::load::split::{plan_reader, SplitOptions};
    /// let plan = plan_reader(&b"Name\nA\n"[..], &SplitOptions::default()).unwrap();
    /// assert_eq!(plan.upload_bytes(&plan.parts[0]), 7);
    /// ```
    pub fn upload_bytes(&self, part: &Part) -> u64 {
        self.header.len() as u64 + part.len()
    }
}

/// The delimiter and line ending of a CSV file, from its first line: the delimiter is the one of the six that
/// occurs most often outside quotes (comma when none does, or on a tie with it), the line ending CRLF when the
/// line ends in `\r\n`.
///
/// ```
/// use bulkforce_client::load::split::detect_dialect;
/// use bulkforce_client::{ColumnDelimiter, LineEnding};
/// assert_eq!(detect_dialect(b"Name\tNote\r\n"), (ColumnDelimiter::Tab, LineEnding::Crlf));
/// ```
pub fn detect_dialect(first_line: &[u8]) -> (ColumnDelimiter, LineEnding) {
    let ending = if first_line.ends_with(b"\r\n") {
        LineEnding::Crlf
    } else {
        LineEnding::Lf
    };
    let mut counts = [0usize; 6];
    let mut quoted = false;
    for &b in first_line {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted && let Some(i) = ColumnDelimiter::ALL.iter().position(|d| d.byte() == b) {
            counts[i] += 1;
        }
    }
    let comma = ColumnDelimiter::ALL
        .iter()
        .position(|d| *d == ColumnDelimiter::Comma)
        .unwrap_or(0);
    let mut best = ColumnDelimiter::Comma;
    let mut best_count = counts[comma];
    for (i, d) in ColumnDelimiter::ALL.into_iter().enumerate() {
        if counts[i] > best_count {
            best = d;
            best_count = counts[i];
        }
    }
    (best, ending)
}

/// Plans the parts of the CSV file at `path` in one pass with a fixed buffer.
///
/// ```no_run
/// use bulkforce_client::load::split::{plan_file, SplitOptions};
/// let plan = plan_file("accounts.csv".as_ref(), &SplitOptions::default())?;
/// println!("{} rows in {} parts", plan.rows, plan.parts.len());
/// # Ok::<(), bulkforce_client::Error>(())
/// ```
pub fn plan_file(path: &Path, options: &SplitOptions) -> Result<SplitPlan> {
    plan_reader(std::fs::File::open(path)?, options)
}

/// Plans the parts of the CSV read from `reader` (see [`plan_file`]).
///
/// ```
/// use bulkforce_client::load::split::{plan_reader, SplitOptions};
/// let csv = b"Name,Note\nA,\"one\ntwo\"\nB,x\nC,y\n";
/// let plan = plan_reader(&csv[..], &SplitOptions { max_bytes: 1000, max_rows: Some(2) }).unwrap();
/// assert_eq!(plan.parts.iter().map(|p| p.rows).collect::<Vec<_>>(), [2, 1]);
/// ```
pub fn plan_reader<R: Read>(reader: R, options: &SplitOptions) -> Result<SplitPlan> {
    plan_with_buffer(reader, options, BUFFER_BYTES)
}

/// Reads until the prefix holds the first line (a line feed outside quotes, quotes simply toggling), the
/// header limit, or the end of the input: enough to detect the dialect before scanning properly.
fn read_prefix<R: Read>(reader: &mut R, step: usize) -> Result<Vec<u8>> {
    let mut prefix = Vec::new();
    let mut chunk = vec![0u8; step];
    let mut quoted = false;
    let mut scanned = 0;
    loop {
        let n = reader.read(&mut chunk)?;
        if n == 0 {
            return Ok(prefix);
        }
        prefix.extend_from_slice(&chunk[..n]);
        for &b in &prefix[scanned..] {
            if b == b'"' {
                quoted = !quoted;
            } else if b == b'\n' && !quoted {
                return Ok(prefix);
            }
        }
        scanned = prefix.len();
        if prefix.len() as u64 > MAX_HEADER_BYTES + BOM.len() as u64 {
            return Ok(prefix);
        }
    }
}

/// [`plan_reader`] with a chosen buffer size (tests use tiny ones so that records straddle buffers).
pub(crate) fn plan_with_buffer<R: Read>(
    mut reader: R,
    options: &SplitOptions,
    buffer: usize,
) -> Result<SplitPlan> {
    options.validate()?;
    let buffer = buffer.max(1);
    let prefix = read_prefix(&mut reader, buffer)?;
    let bom = prefix.starts_with(BOM);
    let header_start = if bom { BOM.len() } else { 0 };
    let first = &prefix[header_start..];
    if first.is_empty() {
        return Err(LoadError::EmptyFile.into());
    }
    let first_line = match memchr::memchr(b'\n', first) {
        Some(end) => &first[..=end],
        None => first,
    };
    let (delimiter, _) = detect_dialect(first_line);
    let mut pass = Pass::new(options, delimiter, header_start as u64);
    for slice in first.chunks(buffer) {
        pass.feed(slice)?;
    }
    let mut buf = vec![0u8; buffer];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        pass.feed(&buf[..n])?;
    }
    let scanned = pass.finish()?;
    Ok(SplitPlan {
        bom,
        header: scanned.header,
        header_start: header_start as u64,
        delimiter,
        line_ending: scanned.line_ending,
        parts: scanned.parts,
        rows: scanned.rows,
        file_bytes: scanned.file_bytes,
    })
}

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

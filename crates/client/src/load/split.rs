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
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::path::Path;

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

/// How a record ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Terminator {
    Lf,
    CrLf,
    /// A carriage return not followed by a line feed, outside quotes.
    Cr,
    /// The end of the input, without a line ending.
    Eof,
}

impl Terminator {
    fn len(self) -> u64 {
        match self {
            Terminator::Lf | Terminator::Cr => 1,
            Terminator::CrLf => 2,
            Terminator::Eof => 0,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Terminator::Lf => "LF",
            Terminator::CrLf => "CRLF",
            Terminator::Cr => "CR",
            Terminator::Eof => "the end of the file",
        }
    }
}

/// One record found by the [`Scanner`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RecordEnd {
    /// Offset of its first byte.
    pub start: u64,
    /// Offset just past its line ending.
    pub end: u64,
    pub terminator: Terminator,
    /// Nothing before the line ending (a blank line, skipped by the server).
    pub blank: bool,
    /// The 1-based line it starts on.
    pub line: u64,
    /// The 1-based line of its line ending.
    pub end_line: u64,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    StartCell,
    Unquoted,
    Quoted,
    /// A quote inside a quoted value: the first of a doubled quote, or the closing one.
    QuoteInQuoted,
    /// A carriage return outside quotes.
    AfterCr,
}

/// A push scanner for record boundaries: feed it the input in slices of any size; it keeps only its state
/// between them. Mirrors the server's CSV reader, so both agree on where every record ends.
pub(crate) struct Scanner {
    delimiter: u8,
    state: State,
    /// Offset of the next byte to be fed.
    offset: u64,
    /// The line of the byte at `offset`.
    line: u64,
    record_start: u64,
    record_line: u64,
}

impl Scanner {
    /// A scanner whose first fed byte sits at `offset` of the input, at the start of a record on line 1.
    pub(crate) fn new(delimiter: u8, offset: u64) -> Scanner {
        Scanner {
            delimiter,
            state: State::StartCell,
            offset,
            line: 1,
            record_start: offset,
            record_line: 1,
        }
    }

    /// Scans `buf`, calling `on_record` for each record that ends in it; stops early (returning `false`) when
    /// `on_record` returns `false`.
    pub(crate) fn feed(
        &mut self,
        buf: &[u8],
        mut on_record: impl FnMut(RecordEnd) -> Result<bool>,
    ) -> Result<bool> {
        let base = self.offset;
        let delimiter = self.delimiter;
        let mut i = 0;
        // Newlines are counted lazily, up to `counted`, into `self.line`.
        let mut counted = 0;
        let count =
            |from: usize, to: usize| memchr::memchr_iter(b'\n', &buf[from..to]).count() as u64;
        while i < buf.len() {
            let mut ended = None;
            match self.state {
                State::StartCell => {
                    let b = buf[i];
                    if b == b'"' {
                        self.state = State::Quoted;
                        i += 1;
                    } else if b == delimiter {
                        i += 1;
                    } else if b == b'\n' {
                        i += 1;
                        ended = Some(Terminator::Lf);
                    } else if b == b'\r' {
                        self.state = State::AfterCr;
                        i += 1;
                    } else {
                        self.state = State::Unquoted;
                    }
                }
                State::Unquoted => match memchr::memchr3(delimiter, b'\n', b'\r', &buf[i..]) {
                    None => i = buf.len(),
                    Some(k) => {
                        let b = buf[i + k];
                        i += k + 1;
                        if b == delimiter {
                            self.state = State::StartCell;
                        } else if b == b'\n' {
                            ended = Some(Terminator::Lf);
                        } else {
                            self.state = State::AfterCr;
                        }
                    }
                },
                State::Quoted => match memchr::memchr(b'"', &buf[i..]) {
                    None => i = buf.len(),
                    Some(k) => {
                        i += k + 1;
                        self.state = State::QuoteInQuoted;
                    }
                },
                State::QuoteInQuoted => {
                    let b = buf[i];
                    i += 1;
                    if b == b'"' {
                        self.state = State::Quoted;
                    } else if b == delimiter {
                        self.state = State::StartCell;
                    } else if b == b'\n' {
                        ended = Some(Terminator::Lf);
                    } else if b == b'\r' {
                        self.state = State::AfterCr;
                    } else {
                        let line = self.line + count(counted, i);
                        return Err(LoadError::TextAfterQuote { line }.into());
                    }
                }
                State::AfterCr => {
                    if buf[i] == b'\n' {
                        i += 1;
                        ended = Some(Terminator::CrLf);
                    } else {
                        // A bare CR ends the record, as the server reads it; the byte starts the next one.
                        ended = Some(Terminator::Cr);
                    }
                }
            }
            if let Some(terminator) = ended {
                self.line += count(counted, i);
                counted = i;
                let record = self.end_record(base + i as u64, terminator);
                if !on_record(record)? {
                    self.offset = base + i as u64;
                    return Ok(false);
                }
            }
        }
        self.line += count(counted, buf.len());
        self.offset = base + buf.len() as u64;
        Ok(true)
    }

    /// The record left open at the end of the input, if any.
    pub(crate) fn finish(&mut self) -> Result<Option<RecordEnd>> {
        let end = self.offset;
        match self.state {
            State::StartCell if self.record_start == end => Ok(None),
            State::Quoted => Err(LoadError::UnterminatedQuote {
                line: self.record_line,
            }
            .into()),
            State::AfterCr => Ok(Some(self.end_record(end, Terminator::Cr))),
            _ => Ok(Some(self.end_record(end, Terminator::Eof))),
        }
    }

    fn end_record(&mut self, end: u64, terminator: Terminator) -> RecordEnd {
        let record = RecordEnd {
            start: self.record_start,
            end,
            terminator,
            blank: end - terminator.len() == self.record_start,
            line: self.record_line,
            end_line: match terminator {
                Terminator::Lf | Terminator::CrLf => self.line - 1,
                Terminator::Cr | Terminator::Eof => self.line,
            },
        };
        self.state = State::StartCell;
        self.record_start = end;
        self.record_line = self.line;
        record
    }
}

struct Header {
    len: u64,
    ending: LineEnding,
}

/// Turns records into parts.
struct Planner<'a> {
    options: &'a SplitOptions,
    header: Option<Header>,
    parts: Vec<Part>,
    current: Part,
    rows: u64,
}

impl Planner<'_> {
    fn record(&mut self, record: RecordEnd) -> Result<()> {
        let Some(header) = &self.header else {
            if record.blank {
                return Err(LoadError::BlankHeader.into());
            }
            let ending = match record.terminator {
                Terminator::CrLf => LineEnding::Crlf,
                Terminator::Lf | Terminator::Eof => LineEnding::Lf,
                Terminator::Cr => {
                    return Err(LoadError::MixedLineEndings {
                        line: record.end_line,
                        found: "CR",
                        expected: LineEnding::Lf,
                    }
                    .into());
                }
            };
            self.header = Some(Header {
                len: record.end - record.start,
                ending,
            });
            self.current = Part {
                start: record.end,
                end: record.end,
                rows: 0,
            };
            return Ok(());
        };
        let fits_ending = matches!(
            (record.terminator, header.ending),
            (Terminator::Eof, _)
                | (Terminator::Lf, LineEnding::Lf)
                | (Terminator::CrLf, LineEnding::Crlf)
        );
        if !fits_ending {
            return Err(LoadError::MixedLineEndings {
                line: record.end_line,
                found: record.terminator.name(),
                expected: header.ending,
            }
            .into());
        }
        let max_bytes = self.options.max_bytes;
        let fits = |part: &Part| header.len + (record.end - part.start) <= max_bytes;
        if record.blank {
            // Blank lines are kept inside a part when they fit, and dropped at a part's start: the server skips
            // them, so they never need a job of their own.
            if self.current.rows > 0 && fits(&self.current) {
                self.current.end = record.end;
            } else {
                if self.current.rows > 0 {
                    self.parts.push(self.current);
                }
                self.current = Part {
                    start: record.end,
                    end: record.end,
                    rows: 0,
                };
            }
            return Ok(());
        }
        let row_room = self
            .options
            .max_rows
            .is_none_or(|max| self.current.rows < max);
        if self.current.rows > 0 && !(row_room && fits(&self.current)) {
            self.parts.push(self.current);
            self.current = Part {
                start: record.start,
                end: record.start,
                rows: 0,
            };
        }
        if !fits(&self.current) {
            return Err(LoadError::RecordTooLarge {
                line: record.line,
                offset: record.start,
                bytes: header.len + (record.end - record.start),
                max_bytes,
            }
            .into());
        }
        self.current.end = record.end;
        self.current.rows += 1;
        self.rows += 1;
        Ok(())
    }
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
    let mut scanner = Scanner::new(delimiter.byte(), header_start as u64);
    let mut planner = Planner {
        options,
        header: None,
        parts: Vec::new(),
        current: Part {
            start: 0,
            end: 0,
            rows: 0,
        },
        rows: 0,
    };
    // The header's bytes, collected while its record is open.
    let mut header = Vec::new();
    let mut feed = |scanner: &mut Scanner, planner: &mut Planner, data: &[u8]| -> Result<()> {
        let collecting = planner.header.is_none();
        scanner.feed(data, |record| planner.record(record).map(|()| true))?;
        if collecting {
            header.extend_from_slice(data);
            match &planner.header {
                Some(h) => header.truncate(h.len as usize),
                None if header.len() as u64 > MAX_HEADER_BYTES => {
                    return Err(LoadError::HeaderTooLarge {
                        max: MAX_HEADER_BYTES,
                    }
                    .into());
                }
                None => {}
            }
        }
        Ok(())
    };
    for slice in first.chunks(buffer) {
        feed(&mut scanner, &mut planner, slice)?;
    }
    let mut buf = vec![0u8; buffer];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        feed(&mut scanner, &mut planner, &buf[..n])?;
    }
    if let Some(record) = scanner.finish()? {
        let collecting = planner.header.is_none();
        planner.record(record)?;
        if collecting && let Some(h) = &planner.header {
            header.truncate(h.len as usize);
        }
    }
    let file_bytes = scanner.offset;
    let Some(h) = planner.header.take() else {
        return Err(LoadError::EmptyFile.into());
    };
    let mut parts = planner.parts;
    if planner.current.rows > 0 || parts.is_empty() {
        parts.push(planner.current);
    }
    if header.len() as u64 > MAX_HEADER_BYTES {
        return Err(LoadError::HeaderTooLarge {
            max: MAX_HEADER_BYTES,
        }
        .into());
    }
    Ok(SplitPlan {
        bom,
        header,
        header_start: header_start as u64,
        delimiter,
        line_ending: h.ending,
        parts,
        rows: planner.rows,
        file_bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    fn plan(
        data: &[u8],
        max_bytes: u64,
        max_rows: Option<u64>,
        buffer: usize,
    ) -> Result<SplitPlan> {
        plan_with_buffer(
            data,
            &SplitOptions {
                max_bytes,
                max_rows,
            },
            buffer,
        )
    }

    /// A straightforward reference: records as (start, end, blank) by walking the bytes one at a time with
    /// the same rules, written independently of the scanner.
    fn reference_records(data: &[u8], delimiter: u8) -> Vec<(usize, usize, bool)> {
        let mut records = Vec::new();
        let mut start = 0;
        let mut i = 0;
        let mut in_quotes = false;
        let mut cell_start = true;
        while i < data.len() {
            let b = data[i];
            if in_quotes {
                if b == b'"' {
                    if data.get(i + 1) == Some(&b'"') {
                        i += 2;
                        continue;
                    }
                    in_quotes = false;
                }
                i += 1;
                continue;
            }
            if b == b'"' && cell_start {
                in_quotes = true;
                cell_start = false;
                i += 1;
            } else if b == b'\n' || (b == b'\r' && data.get(i + 1) == Some(&b'\n')) {
                let end = if b == b'\n' { i + 1 } else { i + 2 };
                let raw_end = i;
                records.push((start, end, raw_end == start));
                start = end;
                i = end;
                cell_start = true;
            } else {
                cell_start = b == delimiter;
                i += 1;
            }
        }
        if start < data.len() {
            records.push((start, data.len(), false));
        }
        records
    }

    /// Every part is whole records, the parts tile the data after the header (blank lines aside), and the
    /// limits hold.
    fn check_plan(data: &[u8], plan: &SplitPlan, max_bytes: u64, max_rows: Option<u64>) {
        let body_start = plan.header_end() as usize;
        let records = reference_records(&data[body_start..], plan.delimiter.byte());
        let boundaries: std::collections::HashSet<usize> = records
            .iter()
            .flat_map(|r| [r.0 + body_start, r.1 + body_start])
            .chain([body_start])
            .collect();
        let mut rows = 0;
        for part in &plan.parts {
            assert!(
                boundaries.contains(&(part.start as usize)),
                "{part:?} starts mid-record"
            );
            assert!(
                boundaries.contains(&(part.end as usize)),
                "{part:?} ends mid-record"
            );
            assert!(plan.upload_bytes(part) <= max_bytes, "{part:?} too large");
            if let Some(max) = max_rows {
                assert!(part.rows <= max);
            }
            let inside = records
                .iter()
                .filter(|r| {
                    r.0 + body_start >= part.start as usize && r.1 + body_start <= part.end as usize
                })
                .filter(|r| !r.2)
                .count() as u64;
            assert_eq!(inside, part.rows, "{part:?}");
            rows += part.rows;
        }
        for pair in plan.parts.windows(2) {
            assert!(pair[0].end <= pair[1].start);
            // Only blank lines between parts.
            let gap = &data[pair[0].end as usize..pair[1].start as usize];
            assert!(gap.iter().all(|&b| b == b'\n' || b == b'\r'), "{gap:?}");
        }
        assert_eq!(rows, records.iter().filter(|r| !r.2).count() as u64);
        assert_eq!(rows, plan.rows);
    }

    fn tricky_csv(rows: usize, crlf: bool) -> Vec<u8> {
        let nl = if crlf { "\r\n" } else { "\n" };
        let mut s = format!("Name,Description,External_Id__c{nl}");
        for i in 0..rows {
            match i % 5 {
                0 => s.push_str(&format!(
                    "\"Acme, {i}\",\"line one{nl}line \"\"two\"\"{nl}\",E{i}{nl}"
                )),
                1 => s.push_str(&format!("Plain {i},,E{i}{nl}")),
                2 => s.push_str(&format!("\"{nl}{nl}\",\"\"\"\",E{i}{nl}")),
                3 => s.push_str(&format!("Quote\"inside {i},x,E{i}{nl}")),
                _ => s.push_str(&format!("\"Long {}\",y,E{i}{nl}", "z".repeat(i % 37))),
            }
        }
        s.into_bytes()
    }

    #[test]
    fn any_buffer_size_gives_the_same_plan_and_parts_never_cut_a_record() {
        for crlf in [false, true] {
            let data = tricky_csv(60, crlf);
            for (max_bytes, max_rows) in [
                (u64::MAX, None),
                (300, None),
                (180, Some(3)),
                (10_000, Some(7)),
            ] {
                let whole = plan(&data, max_bytes, max_rows, 1 << 20).unwrap();
                check_plan(&data, &whole, max_bytes, max_rows);
                for buffer in [1, 2, 3, 5, 7, 13, 64] {
                    let small = plan(&data, max_bytes, max_rows, buffer).unwrap();
                    assert_eq!(
                        small, whole,
                        "buffer {buffer}, crlf {crlf}, max {max_bytes}"
                    );
                }
            }
        }
    }

    #[test]
    fn quoted_newlines_straddling_part_and_buffer_boundaries() {
        // Records whose quoted line breaks fall exactly where a naive line splitter would cut.
        let mut data = b"Name,Note\n".to_vec();
        for i in 0..40 {
            data.extend_from_slice(format!("r{i},\"a\nb\nc,{}\"\n", "x".repeat(i)).as_bytes());
        }
        for max_bytes in 20..90 {
            let whole = plan(&data, max_bytes, None, 4096);
            let Ok(whole) = whole else {
                assert!(matches!(
                    whole,
                    Err(Error::Load(LoadError::RecordTooLarge { .. }))
                ));
                continue;
            };
            check_plan(&data, &whole, max_bytes, None);
            for buffer in [1, 4, 9] {
                assert_eq!(plan(&data, max_bytes, None, buffer).unwrap(), whole);
            }
        }
    }

    #[test]
    fn row_and_byte_limits() {
        let data = b"Name\nA\nB\nC\nD\nE\n";
        let p = plan(data, 1000, Some(2), 3).unwrap();
        assert_eq!(
            p.parts.iter().map(|p| p.rows).collect::<Vec<_>>(),
            [2, 2, 1]
        );
        assert_eq!(
            p.parts[0],
            Part {
                start: 5,
                end: 9,
                rows: 2
            }
        );
        // 5 header bytes + 2 per row: at most 4 rows in 13 bytes.
        let p = plan(data, 13, None, 2).unwrap();
        assert_eq!(p.parts.iter().map(|p| p.rows).collect::<Vec<_>>(), [4, 1]);
        // Exactly at the limit fits.
        let p = plan(data, 15, None, 2).unwrap();
        assert_eq!(p.parts.len(), 1);
    }

    #[test]
    fn bom_crlf_semicolon_and_no_final_newline() {
        let data = b"\xEF\xBB\xBFName;Note\r\nA;\"1\r\n2\"\r\nB;3";
        let p = plan(data, 1000, None, 2).unwrap();
        assert!(p.bom);
        assert_eq!(p.header_start, 3);
        assert_eq!(p.header, b"Name;Note\r\n");
        assert_eq!(p.delimiter, ColumnDelimiter::Semicolon);
        assert_eq!(p.line_ending, LineEnding::Crlf);
        assert_eq!(p.rows, 2);
        assert_eq!(
            p.parts,
            [Part {
                start: 14,
                end: data.len() as u64,
                rows: 2
            }]
        );
        assert_eq!(p.file_bytes, data.len() as u64);
    }

    #[test]
    fn blank_lines_are_not_rows_and_never_make_a_part() {
        let data = b"Name\n\nA\n\n\nB\n\n\n";
        let p = plan(data, 1000, Some(1), 1).unwrap();
        assert_eq!(p.rows, 2);
        assert_eq!(p.parts.iter().map(|p| p.rows).collect::<Vec<_>>(), [1, 1]);
        check_plan(data, &p, 1000, Some(1));
    }

    #[test]
    fn header_only_gives_one_empty_part() {
        for data in [&b"Name,Note\n"[..], b"Name,Note", b"Name\n\n\n"] {
            let p = plan(data, 1000, None, 4).unwrap();
            assert_eq!(p.rows, 0);
            assert_eq!(p.parts.len(), 1);
            assert!(p.parts[0].rows == 0);
        }
    }

    #[test]
    fn refusals_are_clear() {
        let err =
            |data: &[u8], max_bytes: u64| plan(data, max_bytes, None, 3).unwrap_err().to_string();
        assert!(err(b"", 100).contains("empty"));
        assert!(err(b"\xEF\xBB\xBF", 100).contains("empty"));
        assert!(err(b"\nName\n", 100).contains("blank"));
        let e = err(b"Name\nshort\nthis one is long\n", 16);
        assert!(
            e.contains("line 3") && e.contains("byte 11") && e.contains("22 bytes"),
            "{e}"
        );
        let e = err(b"Name\nA\n\"open\nB\nC\n", 100);
        assert!(e.contains("starts on line 3 is never closed"), "{e}");
        let e = err(b"Name,X\n\"a\"b,c\n", 100);
        assert!(e.contains("closing quote on line 2"), "{e}");
        let e = err(b"Name\r\nA\r\nB\nC\r\n", 100);
        assert!(
            e.contains("line 3 ends in LF but the header line ends in CRLF"),
            "{e}"
        );
        let e = err(b"Name\nA\nB\r\nC\n", 100);
        assert!(e.contains("line 3 ends in CRLF"), "{e}");
        let e = err(b"Name\nA\rB\n", 100);
        assert!(e.contains("line 2 ends in CR"), "{e}");
        let e = plan(b"Name\n", 0, None, 3).unwrap_err().to_string();
        assert!(e.contains("above 0"), "{e}");
        // A quoted CRLF inside an LF file is data, not a line ending.
        assert_eq!(plan(b"Name\n\"a\r\nb\"\n", 100, None, 1).unwrap().rows, 1);
    }

    #[test]
    fn detects_the_six_delimiters_and_both_line_endings() {
        let cases: [(&[u8], ColumnDelimiter); 6] = [
            (b"Name,Description\n", ColumnDelimiter::Comma),
            (b"Name;\"A,B\";C\n", ColumnDelimiter::Semicolon),
            (b"Name\tDescription\n", ColumnDelimiter::Tab),
            (b"Name|Description|X\n", ColumnDelimiter::Pipe),
            (b"Name^Description\n", ColumnDelimiter::Caret),
            (b"Name`Description\n", ColumnDelimiter::Backquote),
        ];
        for (line, expected) in cases {
            assert_eq!(detect_dialect(line), (expected, LineEnding::Lf));
        }
        assert_eq!(
            detect_dialect(b"Name\r\n"),
            (ColumnDelimiter::Comma, LineEnding::Crlf)
        );
        assert_eq!(
            detect_dialect(b"\"a|b\",c\r\n"),
            (ColumnDelimiter::Comma, LineEnding::Crlf)
        );
    }

    #[test]
    fn scanner_stops_when_asked_and_reports_lines() {
        let mut scanner = Scanner::new(b',', 0);
        let mut seen = Vec::new();
        let more = scanner
            .feed(b"\"a\nb\",c\nd\ne\n", |r| {
                seen.push(r);
                Ok(false)
            })
            .unwrap();
        assert!(!more);
        assert_eq!(seen.len(), 1);
        assert_eq!(
            (seen[0].start, seen[0].end, seen[0].line, seen[0].end_line),
            (0, 8, 1, 2)
        );
    }
}

//! A streaming CSV record reader over any `BufRead`, allocation-free per record once warmed up.

use std::io::BufRead;

/// What ended a record. Jobs accept only their declared line ending (or the end of the upload).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Terminator {
    #[default]
    Lf,
    CrLf,
    /// A carriage return that is not followed by a line feed, outside quotes.
    Cr,
    /// The upload ended without a line ending after its last record.
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
}

/// Structural problems that make an upload unreadable as CSV.
#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    #[error("a quoted value that starts on line {line} is never closed")]
    UnterminatedQuote { line: u64 },
    #[error(
        "unexpected character after a closing quote on line {line}: a quoted value must be followed by a delimiter or a line ending"
    )]
    TextAfterQuote { line: u64 },
    #[error("the record starting on line {line} is longer than {limit} bytes")]
    RecordTooLarge { line: u64, limit: usize },
    #[error("the record starting on line {line} has more than {limit} fields")]
    TooManyFields { line: u64, limit: usize },
    #[error("reading the upload failed: {0}")]
    Io(#[from] std::io::Error),
}

/// Salesforce's limits on one record: 400,000 characters (at most 4 bytes each in UTF-8) and 5,000 fields.
pub const MAX_RECORD_BYTES: usize = 4 * 400_000;
pub const MAX_FIELDS: usize = 5_000;

/// One record: its unescaped cells, where it sits in the input and how it ended.
#[derive(Debug, Default, Clone)]
pub struct Record {
    data: Vec<u8>,
    ends: Vec<usize>,
    start: u64,
    end: u64,
    terminator: Terminator,
    line: u64,
}

impl Record {
    /// Number of cells.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The unescaped bytes of cell `i`.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(&self.data[start..end])
    }

    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.len()).map(move |i| self.get(i).unwrap_or_default())
    }

    /// Byte offset of the record's first byte in the input.
    pub fn start(&self) -> u64 {
        self.start
    }

    /// Byte offset just past the record's terminator.
    pub fn end(&self) -> u64 {
        self.end
    }

    /// The record's raw bytes without its terminator span `start()..raw_end()`.
    pub fn raw_end(&self) -> u64 {
        self.end - self.terminator.len()
    }

    pub fn terminator(&self) -> Terminator {
        self.terminator
    }

    /// 1-based physical line on which the record starts.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// A line with nothing but its terminator.
    pub fn is_blank(&self) -> bool {
        self.raw_end() == self.start
    }

    fn clear(&mut self) {
        self.data.clear();
        self.ends.clear();
    }

    fn end_cell(&mut self) {
        self.ends.push(self.data.len());
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    StartCell,
    Unquoted,
    Quoted,
    /// A quote inside a quoted value: either the first of a doubled quote or the closing one.
    QuoteInQuoted,
    /// A carriage return outside quotes: a CRLF terminator if a line feed follows.
    AfterCr,
}

/// Reads records one at a time, tracking byte offsets from `start_offset`.
pub struct RecordReader<R> {
    inner: R,
    delimiter: u8,
    offset: u64,
    line: u64,
    max_record_bytes: usize,
    max_fields: usize,
}

impl<R: BufRead> RecordReader<R> {
    /// `start_offset` is the position of `inner` in the whole upload, so offsets stay absolute after a seek.
    pub fn new(inner: R, delimiter: u8, start_offset: u64) -> Self {
        RecordReader {
            inner,
            delimiter,
            offset: start_offset,
            line: 1,
            max_record_bytes: MAX_RECORD_BYTES,
            max_fields: MAX_FIELDS,
        }
    }

    /// Changes the per-record limits, which keep memory bounded whatever the input (an unterminated quote
    /// would otherwise make one record of the whole rest of the file).
    pub fn with_limits(mut self, max_record_bytes: usize, max_fields: usize) -> Self {
        self.max_record_bytes = max_record_bytes;
        self.max_fields = max_fields;
        self
    }

    /// Skips a UTF-8 byte-order mark at the current position; returns whether there was one.
    pub fn skip_bom(&mut self) -> Result<bool, CsvError> {
        let buf = self.inner.fill_buf()?;
        if buf.starts_with(b"\xEF\xBB\xBF") {
            self.inner.consume(3);
            self.offset += 3;
            return Ok(true);
        }
        Ok(false)
    }

    /// Byte offset of the next unread byte.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Sets the line number reported for the next record (after a seek).
    pub fn set_line(&mut self, line: u64) {
        self.line = line;
    }

    /// Reads the next record into `rec`. Returns `Ok(false)` at the end of the input.
    pub fn read(&mut self, rec: &mut Record) -> Result<bool, CsvError> {
        rec.clear();
        rec.start = self.offset;
        rec.line = self.line;
        let delimiter = self.delimiter;
        let mut state = State::StartCell;
        let mut started = false;
        loop {
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                return match state {
                    State::StartCell if !started => Ok(false),
                    State::Quoted => Err(CsvError::UnterminatedQuote { line: rec.line }),
                    State::AfterCr => {
                        rec.end_cell();
                        self.finish(rec, Terminator::Cr);
                        Ok(true)
                    }
                    _ => {
                        rec.end_cell();
                        self.finish(rec, Terminator::Eof);
                        Ok(true)
                    }
                };
            }
            started = true;
            let mut i = 0;
            let mut ended = None;
            while i < buf.len() && ended.is_none() {
                match state {
                    State::StartCell => {
                        let b = buf[i];
                        if b == b'"' {
                            state = State::Quoted;
                            i += 1;
                        } else if b == delimiter {
                            rec.end_cell();
                            i += 1;
                        } else if b == b'\n' {
                            rec.end_cell();
                            i += 1;
                            ended = Some(Terminator::Lf);
                        } else if b == b'\r' {
                            state = State::AfterCr;
                            i += 1;
                        } else {
                            state = State::Unquoted;
                        }
                    }
                    State::Unquoted => {
                        let run = memchr::memchr3(delimiter, b'\n', b'\r', &buf[i..])
                            .unwrap_or(buf.len() - i);
                        rec.data.extend_from_slice(&buf[i..i + run]);
                        i += run;
                        if i < buf.len() {
                            let b = buf[i];
                            i += 1;
                            if b == delimiter {
                                rec.end_cell();
                                state = State::StartCell;
                            } else if b == b'\n' {
                                rec.end_cell();
                                ended = Some(Terminator::Lf);
                            } else {
                                state = State::AfterCr;
                            }
                        }
                    }
                    State::Quoted => {
                        let run = memchr::memchr(b'"', &buf[i..]).unwrap_or(buf.len() - i);
                        rec.data.extend_from_slice(&buf[i..i + run]);
                        i += run;
                        if i < buf.len() {
                            i += 1;
                            state = State::QuoteInQuoted;
                        }
                    }
                    State::QuoteInQuoted => {
                        let b = buf[i];
                        i += 1;
                        if b == b'"' {
                            rec.data.push(b'"');
                            state = State::Quoted;
                        } else if b == delimiter {
                            rec.end_cell();
                            state = State::StartCell;
                        } else if b == b'\n' {
                            rec.end_cell();
                            ended = Some(Terminator::Lf);
                        } else if b == b'\r' {
                            state = State::AfterCr;
                        } else {
                            let line = self.line + count_lines(&buf[..i]);
                            return Err(CsvError::TextAfterQuote { line });
                        }
                    }
                    State::AfterCr => {
                        rec.end_cell();
                        if buf[i] == b'\n' {
                            i += 1;
                            ended = Some(Terminator::CrLf);
                        } else {
                            ended = Some(Terminator::Cr);
                        }
                    }
                }
            }
            self.line += count_lines(&buf[..i]);
            self.inner.consume(i);
            self.offset += i as u64;
            if rec.data.len() > self.max_record_bytes {
                return Err(CsvError::RecordTooLarge {
                    line: rec.line,
                    limit: self.max_record_bytes,
                });
            }
            if rec.ends.len() > self.max_fields {
                return Err(CsvError::TooManyFields {
                    line: rec.line,
                    limit: self.max_fields,
                });
            }
            if let Some(terminator) = ended {
                self.finish(rec, terminator);
                return Ok(true);
            }
        }
    }

    fn finish(&mut self, rec: &mut Record, terminator: Terminator) {
        rec.end = self.offset;
        rec.terminator = terminator;
    }
}

fn count_lines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufReader;

    fn read_all(
        input: &[u8],
        delimiter: u8,
        capacity: usize,
    ) -> Vec<(Vec<String>, Terminator, u64, u64)> {
        let mut reader = RecordReader::new(BufReader::with_capacity(capacity, input), delimiter, 0);
        let mut rec = Record::default();
        let mut out = Vec::new();
        while reader.read(&mut rec).unwrap() {
            let cells = rec
                .iter()
                .map(|c| String::from_utf8(c.to_vec()).unwrap())
                .collect();
            out.push((cells, rec.terminator(), rec.start(), rec.end()));
        }
        out
    }

    #[test]
    fn parses_quotes_delimiters_and_terminators_at_any_buffer_size() {
        let input = b"Name,Desc\r\n\"a,\"\"b\"\"\",\"x\ny\"\nplain,\r\nlast,\"q\"";
        for capacity in [1, 2, 3, 7, 64] {
            let got = read_all(input, b',', capacity);
            assert_eq!(got.len(), 4, "capacity {capacity}");
            assert_eq!(got[0].0, ["Name", "Desc"]);
            assert_eq!(got[0].1, Terminator::CrLf);
            assert_eq!(got[1].0, ["a,\"b\"", "x\ny"]);
            assert_eq!(got[1].1, Terminator::Lf);
            assert_eq!(got[2].0, ["plain", ""]);
            assert_eq!(got[3].0, ["last", "q"]);
            assert_eq!(got[3].1, Terminator::Eof);
            assert_eq!(got[3].3, input.len() as u64);
            assert_eq!(got[1].2, got[0].3);
        }
    }

    #[test]
    fn every_delimiter_splits_cells() {
        for d in crate::csv::ColumnDelimiter::ALL {
            let b = d.byte();
            let input = [b"a".as_slice(), &[b], b"\"b", &[b], b"c\"", &[b], b"\n"].concat();
            let got = read_all(&input, b, 4);
            assert_eq!(got[0].0, ["a", &format!("b{}c", b as char), ""]);
        }
    }

    #[test]
    fn reports_bare_carriage_returns_and_structural_errors() {
        assert_eq!(read_all(b"a\rb\n", b',', 8)[0].1, Terminator::Cr);
        let mut reader = RecordReader::new(&b"a,\"b\nc"[..], b',', 0);
        let mut rec = Record::default();
        assert!(matches!(
            reader.read(&mut rec),
            Err(CsvError::UnterminatedQuote { line: 1 })
        ));
        let mut reader = RecordReader::new(&b"x\n\"a\" ,b\n"[..], b',', 0);
        assert!(reader.read(&mut rec).unwrap());
        assert!(matches!(
            reader.read(&mut rec),
            Err(CsvError::TextAfterQuote { line: 2 })
        ));
    }

    #[test]
    fn skips_a_bom_and_keeps_offsets_absolute() {
        let mut reader = RecordReader::new(&b"\xEF\xBB\xBFId\n1\n"[..], b',', 0);
        assert!(reader.skip_bom().unwrap());
        let mut rec = Record::default();
        assert!(reader.read(&mut rec).unwrap());
        assert_eq!(rec.get(0).unwrap(), b"Id");
        assert_eq!(rec.start(), 3);
        assert!(reader.read(&mut rec).unwrap());
        assert_eq!((rec.start(), rec.end(), rec.line()), (6, 8, 2));
        assert!(!reader.read(&mut rec).unwrap());
    }

    #[test]
    fn oversized_records_stop_the_reader_instead_of_filling_memory() {
        let input = format!("a\n\"{}", "x".repeat(10_000));
        let mut reader = RecordReader::new(BufReader::with_capacity(64, input.as_bytes()), b',', 0)
            .with_limits(1_000, 10);
        let mut rec = Record::default();
        assert!(reader.read(&mut rec).unwrap());
        assert!(matches!(
            reader.read(&mut rec),
            Err(CsvError::RecordTooLarge {
                line: 2,
                limit: 1_000
            })
        ));
        let commas = ",".repeat(100);
        let mut reader =
            RecordReader::new(BufReader::with_capacity(16, commas.as_bytes()), b',', 0)
                .with_limits(1_000, 10);
        assert!(matches!(
            reader.read(&mut rec),
            Err(CsvError::TooManyFields { line: 1, limit: 10 })
        ));
    }

    #[test]
    fn blank_lines_are_recognised() {
        let got = read_all(b"a\n\nb\n", b',', 16);
        assert_eq!(got.len(), 3);
        assert_eq!(got[1].0, [""]);
    }
}

//! The one CSV record scanner of the workspace: where records start and end, how each ended, and where the
//! quoting is broken.
//!
//! It is push-style (the caller feeds byte slices of any size, the scanner keeps only its state between them)
//! so that a `BufRead` reader, a planner reading a file in fixed buffers and a counter fed with an HTTP body as
//! it arrives can all share it, and therefore agree byte for byte on every record boundary.
//!
//! What a caller does with the bytes is up to its [`Sink`]: the server's reader copies the unescaped cells,
//! the client's splitter only wants the boundaries. The sink is a generic parameter, so a sink that ignores the
//! cells costs nothing for them. Runs of ordinary bytes are found with `memchr`, never looked at one by one.
//!
//! The rules are Salesforce's (and RFC 4180's): a double quote opens a quoted value only at the start of a
//! cell, a doubled quote inside one is a literal quote, and a line feed, a CRLF or a lone carriage return
//! ends a record only outside quotes.

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
    /// Bytes of the input the terminator takes.
    fn byte_len(self) -> u64 {
        match self {
            Terminator::Lf | Terminator::Cr => 1,
            Terminator::CrLf => 2,
            Terminator::Eof => 0,
        }
    }

    /// How messages name it: `LF`, `CRLF`, `CR`, or "the end of the input".
    pub fn name(self) -> &'static str {
        match self {
            Terminator::Lf => "LF",
            Terminator::CrLf => "CRLF",
            Terminator::Cr => "CR",
            Terminator::Eof => "the end of the input",
        }
    }

    /// Whether the terminator ends its record with a line feed (so the next record starts on the next line).
    fn ends_line(self) -> bool {
        matches!(self, Terminator::Lf | Terminator::CrLf)
    }
}

/// Where one record sits in the input and how it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RecordSpan {
    /// Offset of the record's first byte.
    pub start: u64,
    /// Offset just past its terminator.
    pub end: u64,
    pub terminator: Terminator,
    /// The 1-based line it starts on.
    pub line: u64,
    /// The 1-based line of its terminator (its last line).
    pub end_line: u64,
}

impl RecordSpan {
    /// Offset just past the record's last byte before its terminator.
    pub fn raw_end(&self) -> u64 {
        self.end - self.terminator.byte_len()
    }

    /// A line with nothing but its terminator.
    pub fn is_blank(&self) -> bool {
        self.raw_end() == self.start
    }
}

/// Broken quoting, with where it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ScanError {
    /// The input ended inside a quoted value: the record starting at `offset`, on `line`, never ends.
    #[error("a quoted value that starts on line {line} is never closed")]
    UnterminatedQuote {
        /// Offset of the record's first byte.
        offset: u64,
        /// The 1-based line the record starts on.
        line: u64,
    },
    /// A byte other than a delimiter, a quote or a line ending follows a closing quote.
    #[error(
        "unexpected character after a closing quote on line {line}: a quoted value must be followed by a delimiter or a line ending"
    )]
    TextAfterQuote {
        /// Offset of the offending byte.
        offset: u64,
        /// The 1-based line of the offending byte.
        line: u64,
    },
}

/// What the scanner tells as it goes. Only [`Sink::record`] is required: a sink that wants boundaries only
/// leaves the cell methods empty, and they compile to nothing.
pub trait Sink {
    /// The next bytes of the current cell's value, unescaped (quotes removed, a doubled quote given as one).
    /// A value may come in several runs.
    #[inline]
    fn value(&mut self, _bytes: &[u8]) {}

    /// The current cell ended at a delimiter (the last cell of a record ends with [`Sink::record`]).
    #[inline]
    fn end_cell(&mut self) {}

    /// A record ended (its last cell with it). Returning `false` stops the scan just after it.
    fn record(&mut self, span: RecordSpan) -> bool;
}

/// How much of a fed slice was scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fed {
    /// Bytes scanned from the start of the slice: all of it unless the sink stopped the scan.
    pub consumed: usize,
    /// The sink asked to stop after a record ending at `consumed`.
    pub stopped: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    StartCell,
    Unquoted,
    Quoted,
    /// A quote inside a quoted value: either the first of a doubled quote or the closing one.
    QuoteInQuoted,
    /// A carriage return outside quotes: a CRLF terminator if a line feed follows, else a lone CR.
    AfterCr,
}

/// The record scanner. See the module documentation.
#[derive(Debug, Clone)]
pub struct Scanner {
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
    pub fn new(delimiter: u8, offset: u64) -> Scanner {
        Scanner {
            delimiter,
            state: State::StartCell,
            offset,
            line: 1,
            record_start: offset,
            record_line: 1,
        }
    }

    /// Offset of the next byte to be fed.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The line of the next byte to be fed.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// Sets the line of the next record (after a seek into the input). Only meaningful between records.
    pub fn set_line(&mut self, line: u64) {
        self.line = line;
        self.record_line = line;
    }

    /// Passes over `bytes` bytes that are not CSV (a byte-order mark) before the next record.
    pub fn skip(&mut self, bytes: u64) {
        debug_assert!(
            self.at_record_start(),
            "skip is only meaningful between records"
        );
        self.offset += bytes;
        self.record_start = self.offset;
    }

    /// Nothing of a record has been fed since the last one ended.
    pub fn at_record_start(&self) -> bool {
        self.state == State::StartCell && self.record_start == self.offset
    }

    /// Scans `buf`, the next bytes of the input, telling `sink` about its cells and records; stops early
    /// when the sink asks to. After an error the scanner is not meant to be fed again.
    ///
    /// One loop over the bytes with the scanner's state held in locals: this is the ingest path's
    /// innermost loop, kept whole so that the state never crosses a call boundary per byte.
    #[allow(clippy::too_many_lines)]
    pub fn feed<S: Sink>(&mut self, buf: &[u8], sink: &mut S) -> Result<Fed, ScanError> {
        let delimiter = self.delimiter;
        let mut state = self.state;
        let mut i = 0;
        // Line feeds before `counted` are in `self.line`; the rest are counted when a record or the slice
        // ends, one `memchr` count per record rather than a look at every byte.
        let mut counted = 0;
        while i < buf.len() {
            let mut ended = None;
            match state {
                State::StartCell => {
                    let b = buf[i];
                    if b == b'"' {
                        state = State::Quoted;
                        i += 1;
                    } else if b == delimiter {
                        sink.end_cell();
                        i += 1;
                    } else if b == b'\n' {
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
                    let rest = &buf[i..];
                    match memchr::memchr3(delimiter, b'\n', b'\r', rest) {
                        None => {
                            sink.value(rest);
                            i = buf.len();
                        }
                        Some(run) => {
                            sink.value(&rest[..run]);
                            let b = rest[run];
                            i += run + 1;
                            if b == delimiter {
                                sink.end_cell();
                                state = State::StartCell;
                            } else if b == b'\n' {
                                ended = Some(Terminator::Lf);
                            } else {
                                state = State::AfterCr;
                            }
                        }
                    }
                }
                State::Quoted => {
                    let rest = &buf[i..];
                    match memchr::memchr(b'"', rest) {
                        None => {
                            sink.value(rest);
                            i = buf.len();
                        }
                        Some(run) => {
                            sink.value(&rest[..run]);
                            i += run + 1;
                            state = State::QuoteInQuoted;
                        }
                    }
                }
                State::QuoteInQuoted => {
                    let b = buf[i];
                    if b == b'"' {
                        sink.value(b"\"");
                        state = State::Quoted;
                    } else if b == delimiter {
                        sink.end_cell();
                        state = State::StartCell;
                    } else if b == b'\n' {
                        ended = Some(Terminator::Lf);
                    } else if b == b'\r' {
                        state = State::AfterCr;
                    } else {
                        self.state = state;
                        return Err(ScanError::TextAfterQuote {
                            offset: self.offset + i as u64,
                            line: self.line + count_lines(&buf[counted..i]),
                        });
                    }
                    i += 1;
                }
                State::AfterCr => {
                    // A lone CR ends the record too; the byte after it starts the next one.
                    if buf[i] == b'\n' {
                        i += 1;
                        ended = Some(Terminator::CrLf);
                    } else {
                        ended = Some(Terminator::Cr);
                    }
                }
            }
            if let Some(terminator) = ended {
                self.line += count_lines(&buf[counted..i]);
                counted = i;
                state = State::StartCell;
                let span = self.end_record(self.offset + i as u64, terminator);
                if !sink.record(span) {
                    self.state = state;
                    self.offset += i as u64;
                    return Ok(Fed {
                        consumed: i,
                        stopped: true,
                    });
                }
            }
        }
        self.state = state;
        self.line += count_lines(&buf[counted..]);
        self.offset += buf.len() as u64;
        Ok(Fed {
            consumed: buf.len(),
            stopped: false,
        })
    }

    /// The end of the input: tells `sink` about the record left open, if any (a last line without a line
    /// ending); answers whether there was one.
    pub fn finish<S: Sink>(&mut self, sink: &mut S) -> Result<bool, ScanError> {
        let terminator = match self.state {
            State::StartCell if self.record_start == self.offset => return Ok(false),
            State::Quoted => {
                return Err(ScanError::UnterminatedQuote {
                    offset: self.record_start,
                    line: self.record_line,
                });
            }
            State::AfterCr => Terminator::Cr,
            State::StartCell | State::Unquoted | State::QuoteInQuoted => Terminator::Eof,
        };
        self.state = State::StartCell;
        let span = self.end_record(self.offset, terminator);
        sink.record(span);
        Ok(true)
    }

    /// The span of the record ending at `end`, with the line count already past its terminator; the next
    /// record starts there.
    fn end_record(&mut self, end: u64, terminator: Terminator) -> RecordSpan {
        let span = RecordSpan {
            start: self.record_start,
            end,
            terminator,
            line: self.record_line,
            end_line: self.line - u64::from(terminator.ends_line()),
        };
        self.record_start = end;
        self.record_line = self.line;
        span
    }
}

fn count_lines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

#[cfg(test)]
mod tests;

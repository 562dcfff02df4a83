//! One planning pass: records from the scanner become parts, and the header line is kept as it goes by.

use super::records::Scanner;
use super::{MAX_HEADER_BYTES, Part, SplitOptions};
use crate::load::LoadError;
use crate::{ColumnDelimiter, LineEnding, Result};
use bulkforce_core::csv::{RecordSpan, Terminator};

/// What a pass found, for [`super::SplitPlan`].
pub(super) struct Scanned {
    /// The header line with its line ending.
    pub header: Vec<u8>,
    pub line_ending: LineEnding,
    pub parts: Vec<Part>,
    pub rows: u64,
    /// Offset just past the last byte read.
    pub file_bytes: u64,
}

/// Scans the input fed to it (from the header's first byte on) and plans its parts.
pub(super) struct Pass<'a> {
    scanner: Scanner,
    planner: Planner<'a>,
    /// The header's bytes, collected while its record is open.
    header: Vec<u8>,
}

impl<'a> Pass<'a> {
    /// A pass over a file whose header line starts at `header_start`.
    pub(super) fn new(
        options: &'a SplitOptions,
        delimiter: ColumnDelimiter,
        header_start: u64,
    ) -> Self {
        Pass {
            scanner: Scanner::new(delimiter.byte(), header_start),
            planner: Planner {
                options,
                header: None,
                parts: Vec::new(),
                current: Part {
                    start: 0,
                    end: 0,
                    rows: 0,
                },
                rows: 0,
            },
            header: Vec::new(),
        }
    }

    /// Scans the next bytes of the file.
    pub(super) fn feed(&mut self, data: &[u8]) -> Result<()> {
        let collecting = self.planner.header.is_none();
        let planner = &mut self.planner;
        self.scanner
            .feed(data, |record| planner.record(record).map(|()| true))?;
        if collecting {
            self.header.extend_from_slice(data);
            match &self.planner.header {
                Some(h) => self.header.truncate(h.len as usize),
                None if self.header.len() as u64 > MAX_HEADER_BYTES => {
                    return Err(header_too_large());
                }
                None => {}
            }
        }
        Ok(())
    }

    /// The end of the file: plans its last record, and closes the last part.
    pub(super) fn finish(mut self) -> Result<Scanned> {
        if let Some(record) = self.scanner.finish()? {
            let collecting = self.planner.header.is_none();
            self.planner.record(record)?;
            if collecting && let Some(h) = &self.planner.header {
                self.header.truncate(h.len as usize);
            }
        }
        let file_bytes = self.scanner.offset();
        let Some(h) = self.planner.header.take() else {
            return Err(LoadError::EmptyFile.into());
        };
        let mut parts = self.planner.parts;
        if self.planner.current.rows > 0 || parts.is_empty() {
            parts.push(self.planner.current);
        }
        if self.header.len() as u64 > MAX_HEADER_BYTES {
            return Err(header_too_large());
        }
        Ok(Scanned {
            header: self.header,
            line_ending: h.ending,
            parts,
            rows: self.planner.rows,
            file_bytes,
        })
    }
}

fn header_too_large() -> crate::Error {
    LoadError::HeaderTooLarge {
        max: MAX_HEADER_BYTES,
    }
    .into()
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
    fn record(&mut self, record: RecordSpan) -> Result<()> {
        let Some(header) = &self.header else {
            if record.is_blank() {
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
        if record.is_blank() {
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

//! Helpers shared by the fuzz targets: an independent CSV oracle to compare the workspace's scanner and
//! reader against, and the fixed inputs (schema, clock) the targets bind against.

use bulkforce_core::csv::{ColumnDelimiter, RecordSpan, ScanError, Terminator};
use bulkforce_core::schema::Schema;
use std::sync::OnceLock;

/// The built-in schema, built once per process (every target reads it, none changes it).
pub fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(Schema::builtin)
}

/// One of the six Bulk API delimiters, chosen by a fuzzer byte.
pub fn delimiter(selector: u8) -> u8 {
    ColumnDelimiter::ALL[usize::from(selector) % ColumnDelimiter::ALL.len()].byte()
}

/// A record as the oracle reads it: where it sits and its unescaped cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OracleRecord {
    pub span: RecordSpan,
    pub cells: Vec<Vec<u8>>,
}

/// Reads the whole input the slow, obvious way (one byte at a time, one cell at a time), with the rules the
/// scanner documents: a quote opens a quoted value only at the start of a cell, `""` inside one is a quote,
/// LF, CRLF and a lone CR end a record outside quotes. Returns the records before the first error, if any.
pub fn oracle(data: &[u8], delimiter: u8) -> (Vec<OracleRecord>, Option<ScanError>) {
    let mut records = Vec::new();
    let (mut pos, mut line) = (0usize, 1u64);
    while pos < data.len() {
        let (start, start_line) = (pos, line);
        let mut cells = Vec::new();
        let terminator = loop {
            let mut cell = Vec::new();
            if data[pos] == b'"' {
                pos += 1;
                loop {
                    let Some(&b) = data.get(pos) else {
                        let error = ScanError::UnterminatedQuote {
                            offset: start as u64,
                            line: start_line,
                        };
                        return (records, Some(error));
                    };
                    if b == b'"' {
                        if data.get(pos + 1) == Some(&b'"') {
                            cell.push(b'"');
                            pos += 2;
                            continue;
                        }
                        pos += 1;
                        break;
                    }
                    line += u64::from(b == b'\n');
                    cell.push(b);
                    pos += 1;
                }
                if let Some(&b) = data.get(pos)
                    && b != delimiter
                    && b != b'\n'
                    && b != b'\r'
                {
                    let error = ScanError::TextAfterQuote {
                        offset: pos as u64,
                        line,
                    };
                    return (records, Some(error));
                }
            } else {
                while let Some(&b) = data.get(pos)
                    && b != delimiter
                    && b != b'\n'
                    && b != b'\r'
                {
                    cell.push(b);
                    pos += 1;
                }
            }
            cells.push(cell);
            match data.get(pos) {
                None => break Terminator::Eof,
                Some(&b) if b == delimiter => pos += 1,
                Some(b'\n') => {
                    pos += 1;
                    line += 1;
                    break Terminator::Lf;
                }
                Some(_) => {
                    pos += 1;
                    if data.get(pos) == Some(&b'\n') {
                        pos += 1;
                        line += 1;
                        break Terminator::CrLf;
                    }
                    break Terminator::Cr;
                }
            }
            if pos == data.len() {
                // A delimiter just before the end: one more, empty, cell.
                cells.push(Vec::new());
                break Terminator::Eof;
            }
        };
        let ends_line = matches!(terminator, Terminator::Lf | Terminator::CrLf);
        records.push(OracleRecord {
            span: RecordSpan {
                start: start as u64,
                end: pos as u64,
                terminator,
                line: start_line,
                end_line: line - u64::from(ends_line),
            },
            cells,
        });
    }
    (records, None)
}

/// The bytes a terminator stands for in the input.
pub fn terminator_bytes(terminator: Terminator) -> &'static [u8] {
    match terminator {
        Terminator::Lf => b"\n",
        Terminator::CrLf => b"\r\n",
        Terminator::Cr => b"\r",
        Terminator::Eof => b"",
    }
}

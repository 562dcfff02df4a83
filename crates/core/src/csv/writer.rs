//! The all-quoted CSV that Salesforce writes in result files: every cell in double quotes, quotes doubled.

use super::Dialect;

/// Appends one cell in double quotes, doubling any quote inside it.
pub fn write_quoted_cell(out: &mut Vec<u8>, cell: &[u8]) {
    out.push(b'"');
    let mut rest = cell;
    while let Some(pos) = memchr::memchr(b'"', rest) {
        out.extend_from_slice(&rest[..=pos]);
        out.push(b'"');
        rest = &rest[pos + 1..];
    }
    out.extend_from_slice(rest);
    out.push(b'"');
}

/// Appends a whole row of quoted cells separated by the dialect's delimiter and ended by its line ending.
pub fn write_quoted_row<'a>(
    out: &mut Vec<u8>,
    dialect: Dialect,
    cells: impl IntoIterator<Item = &'a [u8]>,
) {
    for (i, cell) in cells.into_iter().enumerate() {
        if i > 0 {
            out.push(dialect.delimiter.byte());
        }
        write_quoted_cell(out, cell);
    }
    out.extend_from_slice(dialect.line_ending.bytes());
}

/// The quoted header row of a result file: each name quoted, then the dialect's line ending.
pub fn header_row(names: &[String], dialect: Dialect) -> Vec<u8> {
    let mut out = Vec::new();
    write_quoted_row(
        &mut out,
        dialect,
        names.iter().map(std::string::String::as_bytes),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csv::{ColumnDelimiter, LineEnding};

    #[test]
    fn quotes_every_cell_and_doubles_quotes() {
        let mut out = Vec::new();
        let dialect = Dialect {
            delimiter: ColumnDelimiter::Tab,
            line_ending: LineEnding::Crlf,
        };
        write_quoted_row(&mut out, dialect, [&b"a\"b"[..], b"", b"x\ny"]);
        assert_eq!(out, b"\"a\"\"b\"\t\"\"\t\"x\ny\"\r\n");
    }
}

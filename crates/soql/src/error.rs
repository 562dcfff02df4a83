//! Salesforce-shaped SOQL errors.
//!
//! Salesforce reports a query compile error as an error code plus a message that, when the error points into
//! the statement, starts with an echo of the offending line, a caret under the offending token and
//! `ERROR at Row:R:Column:C`:
//!
//! ```text
//! \nSELECT Foo FROM Account\n       ^\nERROR at Row:1:Column:8\nNo such column 'Foo' on entity 'Account'. …
//! ```
//!
//! Clients show these messages verbatim and some match on their tail, so the shape is reproduced exactly.
//! Long lines are echoed as Salesforce does: a window from about 30 characters before the error to about
//! 30 characters after it, widened to whole tokens (reconstructed from real responses; see `window`).

/// A SOQL statement Salesforce would refuse: its error code (`MALFORMED_QUERY`, `INVALID_FIELD`, …) and the
/// full message, echo included.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct SoqlError {
    pub code: &'static str,
    pub message: String,
}

pub const MALFORMED_QUERY: &str = "MALFORMED_QUERY";
pub const INVALID_FIELD: &str = "INVALID_FIELD";
pub const INVALID_TYPE: &str = "INVALID_TYPE";
pub const INVALID_QUERY_FILTER_OPERATOR: &str = "INVALID_QUERY_FILTER_OPERATOR";
pub const API_ERROR: &str = "API_ERROR";
pub const NUMBER_OUTSIDE_VALID_RANGE: &str = "NUMBER_OUTSIDE_VALID_RANGE";
/// A statement past the complexity the server accepts (see [`crate::limits`]).
pub const QUERY_TOO_COMPLICATED: &str = "QUERY_TOO_COMPLICATED";

/// How many characters of context Salesforce echoes on each side of the error.
const CONTEXT: usize = 30;

impl SoqlError {
    /// An error that does not point into the statement (Bulk refusals and the like): the message alone.
    pub fn plain(code: &'static str, message: impl Into<String>) -> SoqlError {
        SoqlError {
            code,
            message: message.into(),
        }
    }

    /// An error pointing at byte `offset` of `text`: echo, caret, `ERROR at Row:R:Column:C`, then `message`.
    pub fn at(
        text: &str,
        offset: usize,
        code: &'static str,
        message: impl AsRef<str>,
    ) -> SoqlError {
        let place = Place::of(text, offset);
        SoqlError {
            code,
            message: place.render(place.column, message.as_ref()),
        }
    }

    /// A lexer error (`line R:C no viable alternative at character 'x'`). Salesforce's lexer counts columns
    /// from zero, and the reported column is that zero-based position (so the caret sits on the character
    /// before the offending one), as in `ERROR at Row:1:Column:75\nline 1:75 no viable alternative at
    /// character '<EOF>'` for a 75-character statement.
    pub fn lexical(
        text: &str,
        offset: usize,
        describe: impl FnOnce(usize, usize) -> String,
    ) -> SoqlError {
        let place = Place::of(text, offset);
        let zero_based = place.column - 1;
        let message = describe(place.row, zero_based);
        SoqlError {
            code: MALFORMED_QUERY,
            message: place.render(zero_based.max(1), &message),
        }
    }
}

/// Where an offset falls: its row, its 1-based column (in characters) and the text of its line.
struct Place<'a> {
    row: usize,
    column: usize,
    line: &'a str,
}

impl<'a> Place<'a> {
    fn of(text: &'a str, offset: usize) -> Place<'a> {
        let offset = clamp_to_boundary(text, offset);
        let before = &text[..offset];
        let row = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[line_start..]
            .find('\n')
            .map_or(text.len(), |i| line_start + i);
        let line = text[line_start..line_end]
            .strip_suffix('\r')
            .unwrap_or(&text[line_start..line_end]);
        let column = text[line_start..offset].chars().count() + 1;
        Place { row, column, line }
    }

    /// The echo block for a caret at 1-based `caret_column` of the line, followed by `message`.
    fn render(&self, caret_column: usize, message: &str) -> String {
        let chars: Vec<char> = self.line.chars().collect();
        let caret = (caret_column - 1).min(chars.len());
        let (start, end) = window(&chars, caret);
        let snippet: String = chars[start..end].iter().collect();
        format!(
            "\n{snippet}\n{}^\nERROR at Row:{}:Column:{}\n{message}",
            " ".repeat(caret - start),
            self.row,
            caret_column
        )
    }
}

fn clamp_to_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// The `[start, end)` character range of a line that Salesforce echoes around the character at `caret`.
///
/// Reconstructed from real error messages: the window starts [`CONTEXT`] characters before the error, moved
/// back to the start of the token it falls in (leading blanks are kept), and ends [`CONTEXT`] characters after
/// it, moved forward to the end of the token it falls in, or to the end of the next token when it falls on
/// blanks. Short lines are echoed whole.
pub(crate) fn window(line: &[char], caret: usize) -> (usize, usize) {
    let tokens = token_ranges(line);
    let start = match caret.checked_sub(CONTEXT) {
        None => 0,
        Some(s) => tokens
            .iter()
            .find(|(a, b)| *a <= s && s < *b)
            .map_or(s, |(a, _)| *a),
    };
    let p = caret + CONTEXT;
    let end = if p >= line.len() {
        line.len()
    } else {
        tokens
            .iter()
            .find(|(_, b)| p < *b)
            .map_or(line.len(), |(_, b)| *b)
    };
    (start, end)
}

/// Token ranges of one line, for the echo window only: quoted strings, dotted names (`Account.Owner.Name`),
/// numbers and date literals (`2024-03-10T10:05:00Z`), and single punctuation characters. Tolerant of
/// anything (an unterminated string runs to the end of the line).
fn token_ranges(line: &[char]) -> Vec<(usize, usize)> {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = Vec::new();
    let mut i = 0;
    while i < line.len() {
        let c = line[i];
        let start = i;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '\'' {
            i += 1;
            while i < line.len() && line[i] != '\'' {
                i += if line[i] == '\\' { 2 } else { 1 };
            }
            i = (i + 1).min(line.len());
        } else if c.is_ascii_digit() {
            while i < line.len() && (word(line[i]) || matches!(line[i], ':' | '.' | '+' | '-')) {
                i += 1;
            }
        } else if word(c) {
            while i < line.len()
                && (word(line[i]) || (line[i] == '.' && line.get(i + 1).is_some_and(|&n| word(n))))
            {
                i += 1;
            }
        } else {
            i += 1;
        }
        out.push((start, i));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const WSDL: &str = "If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.";

    #[test]
    fn short_statement_is_echoed_whole() {
        let text = "SELECT Foo FROM Account";
        let e = SoqlError::at(
            text,
            7,
            INVALID_FIELD,
            format!("No such column 'Foo' on entity 'Account'. {WSDL}"),
        );
        assert_eq!(
            e.message,
            format!(
                "\nSELECT Foo FROM Account\n       ^\nERROR at Row:1:Column:8\nNo such column 'Foo' on entity 'Account'. {WSDL}"
            )
        );
    }

    #[test]
    fn rows_count_lines_and_only_the_error_line_is_echoed() {
        let text = "SELECT Id\nFROM Contact\n\tWHERE IsActive = 'TRUE'";
        let offset = text.find("IsActive").unwrap();
        let e = SoqlError::at(text, offset, INVALID_FIELD, "msg");
        assert_eq!(
            e.message,
            "\n\tWHERE IsActive = 'TRUE'\n       ^\nERROR at Row:3:Column:8\nmsg"
        );
    }

    #[test]
    fn crlf_is_not_echoed() {
        let text = "SELECT Id\r\nFROM Nope";
        let e = SoqlError::at(text, text.find("Nope").unwrap(), INVALID_TYPE, "m");
        assert_eq!(e.message, "\nFROM Nope\n     ^\nERROR at Row:2:Column:6\nm");
    }

    /// Windows observed on real Salesforce responses.
    #[test]
    fn long_lines_are_windowed_like_salesforce() {
        let cases = [
            (
                "SELECT Id, DepProbeField__c FROM Account LIMIT 1",
                "DepProbeField__c",
                "SELECT Id, DepProbeField__c FROM Account LIMIT",
            ),
            (
                "SELECT Name, Access_Key__c, Image_Vendor__c FROM Opportunity WHERE Image_Vendor__c LIKE 'Getty%'",
                "Image_Vendor__c LIKE",
                "Image_Vendor__c FROM Opportunity WHERE Image_Vendor__c LIKE 'Getty%'",
            ),
            (
                "select Id, Company,Email,LastName,SF_date__c, ConvertedContactId from Lead where x = 1",
                "SF_date__c",
                "select Id, Company,Email,LastName,SF_date__c, ConvertedContactId from",
            ),
            (
                "WHERE AccountId = '0014000000p6XlS' AND LastName LIKE 'test' OR email LIKE 'test'",
                "OR email",
                "'0014000000p6XlS' AND LastName LIKE 'test' OR email LIKE 'test'",
            ),
        ];
        for (text, at, echoed) in cases {
            let offset = text.find(at).unwrap();
            let e = SoqlError::at(text, offset, MALFORMED_QUERY, "m");
            let snippet = e.message.split('\n').nth(1).unwrap();
            assert_eq!(snippet, echoed, "{text}");
            let caret_line = e.message.split('\n').nth(2).unwrap();
            let caret = caret_line.len() - 1;
            assert_eq!(
                &snippet[caret..caret + at.len()],
                at,
                "caret under the token in {text}"
            );
        }
    }

    #[test]
    fn lexical_errors_report_the_zero_based_column() {
        let text = "SELECT Id FROM Opportunity WHERE CloseDate < 2016-07-31T04:17:54";
        let e = SoqlError::lexical(text, text.len(), |row, col| {
            format!("line {row}:{col} no viable alternative at character '<EOF>'")
        });
        assert!(
            e.message.ends_with(
                "^\nERROR at Row:1:Column:64\nline 1:64 no viable alternative at character '<EOF>'"
            ),
            "{}",
            e.message
        );
    }

    #[test]
    fn display_is_code_then_message() {
        let e = SoqlError::plain(API_ERROR, "nope");
        assert_eq!(e.to_string(), "API_ERROR: nope");
    }
}

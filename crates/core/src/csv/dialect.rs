//! The `columnDelimiter` and `lineEnding` job properties.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// One of the six separators a job may declare. Serialised by its job-JSON name (`COMMA`, `TAB`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ColumnDelimiter {
    Backquote,
    Caret,
    #[default]
    Comma,
    Pipe,
    Semicolon,
    Tab,
}

impl ColumnDelimiter {
    /// The six delimiters Bulk API 2.0 accepts, in alphabetical order of their names.
    pub const ALL: [ColumnDelimiter; 6] = [
        ColumnDelimiter::Backquote,
        ColumnDelimiter::Caret,
        ColumnDelimiter::Comma,
        ColumnDelimiter::Pipe,
        ColumnDelimiter::Semicolon,
        ColumnDelimiter::Tab,
    ];

    /// The byte that separates cells.
    pub fn byte(self) -> u8 {
        match self {
            ColumnDelimiter::Backquote => b'`',
            ColumnDelimiter::Caret => b'^',
            ColumnDelimiter::Comma => b',',
            ColumnDelimiter::Pipe => b'|',
            ColumnDelimiter::Semicolon => b';',
            ColumnDelimiter::Tab => b'\t',
        }
    }

    /// The name used in job JSON.
    pub fn name(self) -> &'static str {
        match self {
            ColumnDelimiter::Backquote => "BACKQUOTE",
            ColumnDelimiter::Caret => "CARET",
            ColumnDelimiter::Comma => "COMMA",
            ColumnDelimiter::Pipe => "PIPE",
            ColumnDelimiter::Semicolon => "SEMICOLON",
            ColumnDelimiter::Tab => "TAB",
        }
    }

    /// The delimiter a byte stands for, if it is one of the six.
    pub fn from_byte(byte: u8) -> Option<ColumnDelimiter> {
        Self::ALL.into_iter().find(|d| d.byte() == byte)
    }
}

impl FromStr for ColumnDelimiter {
    type Err = ();
    /// Job properties are matched exactly, as Salesforce does.
    fn from_str(s: &str) -> Result<Self, ()> {
        Self::ALL.into_iter().find(|d| d.name() == s).ok_or(())
    }
}

impl fmt::Display for ColumnDelimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The `lineEnding` job property: the bytes that end each record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum LineEnding {
    #[default]
    #[serde(rename = "LF")]
    Lf,
    #[serde(rename = "CRLF")]
    Crlf,
}

impl LineEnding {
    /// The bytes that end a row: `\n` or `\r\n`.
    pub fn bytes(self) -> &'static [u8] {
        match self {
            LineEnding::Lf => b"\n",
            LineEnding::Crlf => b"\r\n",
        }
    }

    /// The name used in job JSON: `LF` or `CRLF`.
    pub fn name(self) -> &'static str {
        match self {
            LineEnding::Lf => "LF",
            LineEnding::Crlf => "CRLF",
        }
    }
}

impl FromStr for LineEnding {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "LF" => Ok(LineEnding::Lf),
            "CRLF" => Ok(LineEnding::Crlf),
            _ => Err(()),
        }
    }
}

impl fmt::Display for LineEnding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A job's CSV dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Dialect {
    pub delimiter: ColumnDelimiter,
    pub line_ending: LineEnding,
}

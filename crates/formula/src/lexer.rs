//! Formula text -> tokens with positions (§3.1 of the org-metadata spec).
//!
//! Identifiers take letters, digits, `_`, `$`, `:`, `.` and `#` as Salesforce's lexer does, so
//! `Account.Owner.Name` and `$User.Id` are one token each; the parser splits them at the dots. Comments
//! (`/* … */`) and white space separate tokens and are dropped here.

use crate::ast::Span;
use crate::error::FormulaError;

/// One token of formula text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Number(f64),
    /// A string literal, unescaped.
    Text(String),
    /// A name (field path, function, keyword, `$Global.Field`), as written.
    Ident(String),
    LParen,
    RParen,
    Comma,
    Plus,
    Minus,
    Star,
    Slash,
    Caret,
    Amp,
    /// `=` or `==`.
    Eq,
    /// `!=` or `<>`.
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    AndAnd,
    OrOr,
    Bang,
    End,
}

impl Tok {
    /// How an error message shows the token (`Syntax error.  Found ','`).
    pub(crate) fn describe(&self) -> String {
        match self {
            Tok::Number(n) => format_number(*n),
            Tok::Text(_) => "string literal".into(),
            Tok::Ident(s) => s.clone(),
            Tok::LParen => "(".into(),
            Tok::RParen => ")".into(),
            Tok::Comma => ",".into(),
            Tok::Plus => "+".into(),
            Tok::Minus => "-".into(),
            Tok::Star => "*".into(),
            Tok::Slash => "/".into(),
            Tok::Caret => "^".into(),
            Tok::Amp => "&".into(),
            Tok::Eq => "=".into(),
            Tok::Ne => "<>".into(),
            Tok::Lt => "<".into(),
            Tok::Le => "<=".into(),
            Tok::Gt => ">".into(),
            Tok::Ge => ">=".into(),
            Tok::AndAnd => "&&".into(),
            Tok::OrOr => "||".into(),
            Tok::Bang => "!".into(),
            Tok::End => "end of formula".into(),
        }
    }
}

fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{n:.0}")
    } else {
        n.to_string()
    }
}

/// A token and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    pub span: Span,
}

/// Walks the text by character, keeping the 1-based line and column.
struct Cursor<'a> {
    src: &'a str,
    offset: usize,
    line: u32,
    column: u32,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<char> {
        self.src[self.offset..].chars().next()
    }

    fn peek2(&self) -> Option<char> {
        self.src[self.offset..].chars().nth(1)
    }

    fn span(&self) -> Span {
        Span {
            offset: self.offset,
            line: self.line,
            column: self.column,
        }
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.offset += c.len_utf8();
        if c == '\n' {
            self.line = self.line.saturating_add(1);
            self.column = 1;
        } else {
            self.column = self.column.saturating_add(1);
        }
        Some(c)
    }
}

fn found(span: Span, what: &str) -> FormulaError {
    FormulaError::at(span, format!("Syntax error.  Found '{what}'"))
}

fn missing(span: Span, what: &str) -> FormulaError {
    FormulaError::at(span, format!("Syntax error.  Missing {what}"))
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '$' || c == '_'
}

fn is_ident_part(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '$' | ':' | '.' | '#')
}

/// Splits `src` into tokens, the last one [`Tok::End`].
pub(crate) fn tokenize(src: &str) -> Result<Vec<Token>, FormulaError> {
    let mut cur = Cursor {
        src,
        offset: 0,
        line: 1,
        column: 1,
    };
    let mut out = Vec::new();
    loop {
        skip_blanks(&mut cur)?;
        let span = cur.span();
        let Some(c) = cur.peek() else {
            out.push(Token {
                tok: Tok::End,
                span,
            });
            return Ok(out);
        };
        let tok = if c.is_ascii_digit() {
            number(&mut cur)?
        } else if c == '"' || c == '\'' {
            text(&mut cur)?
        } else if is_ident_start(c) {
            let start = cur.offset;
            while cur.peek().is_some_and(is_ident_part) {
                cur.bump();
            }
            Tok::Ident(src[start..cur.offset].to_string())
        } else {
            operator(&mut cur, span)?
        };
        out.push(Token { tok, span });
    }
}

/// Skips white space and `/* … */` comments.
fn skip_blanks(cur: &mut Cursor<'_>) -> Result<(), FormulaError> {
    loop {
        match cur.peek() {
            Some(c) if c.is_whitespace() => {
                cur.bump();
            }
            Some('/') if cur.peek2() == Some('*') => {
                let start = cur.span();
                cur.bump();
                cur.bump();
                loop {
                    match cur.bump() {
                        None => return Err(missing(start, "'*/'")),
                        Some('*') if cur.peek() == Some('/') => {
                            cur.bump();
                            break;
                        }
                        Some(_) => {}
                    }
                }
            }
            _ => return Ok(()),
        }
    }
}

/// Digits with an optional `.digits` (no exponent, no leading dot).
fn number(cur: &mut Cursor<'_>) -> Result<Tok, FormulaError> {
    let start_span = cur.span();
    let start = cur.offset;
    while cur.peek().is_some_and(|c| c.is_ascii_digit()) {
        cur.bump();
    }
    if cur.peek() == Some('.') {
        let dot = cur.span();
        cur.bump();
        if !cur.peek().is_some_and(|c| c.is_ascii_digit()) {
            return Err(found(dot, "."));
        }
        while cur.peek().is_some_and(|c| c.is_ascii_digit()) {
            cur.bump();
        }
    }
    let text = &cur.src[start..cur.offset];
    // Digits (and one dot) always parse; a literal too long for f64 reads as infinity and is refused.
    match text.parse::<f64>() {
        Ok(n) if n.is_finite() => Ok(Tok::Number(n)),
        _ => Err(found(start_span, text)),
    }
}

/// A string literal in `"…"` or `'…'` with the escapes `\n \r \t \" \' \\`; no raw line break inside.
fn text(cur: &mut Cursor<'_>) -> Result<Tok, FormulaError> {
    let start = cur.span();
    let quote = cur.bump().unwrap_or('"');
    let mut value = String::new();
    loop {
        let here = cur.span();
        match cur.bump() {
            None | Some('\n' | '\r') => return Err(missing(start, &format!("'{quote}'"))),
            Some(c) if c == quote => return Ok(Tok::Text(value)),
            Some('\\') => match cur.bump() {
                Some('n') => value.push('\n'),
                Some('r') => value.push('\r'),
                Some('t') => value.push('\t'),
                Some(c @ ('"' | '\'' | '\\')) => value.push(c),
                Some(c) => return Err(found(here, &format!("\\{c}"))),
                None => return Err(missing(start, &format!("'{quote}'"))),
            },
            Some(c) => value.push(c),
        }
    }
}

fn operator(cur: &mut Cursor<'_>, span: Span) -> Result<Tok, FormulaError> {
    let c = cur.bump().unwrap_or(' ');
    let next = cur.peek();
    let (tok, two) = match (c, next) {
        ('=', Some('=')) => (Tok::Eq, true),
        ('=', _) => (Tok::Eq, false),
        ('!', Some('=')) | ('<', Some('>')) => (Tok::Ne, true),
        ('!', _) => (Tok::Bang, false),
        ('<', Some('=')) => (Tok::Le, true),
        ('<', _) => (Tok::Lt, false),
        ('>', Some('=')) => (Tok::Ge, true),
        ('>', _) => (Tok::Gt, false),
        ('&', Some('&')) => (Tok::AndAnd, true),
        ('&', _) => (Tok::Amp, false),
        ('|', Some('|')) => (Tok::OrOr, true),
        ('+', _) => (Tok::Plus, false),
        ('-', _) => (Tok::Minus, false),
        ('*', _) => (Tok::Star, false),
        ('/', _) => (Tok::Slash, false),
        ('^', _) => (Tok::Caret, false),
        ('(', _) => (Tok::LParen, false),
        (')', _) => (Tok::RParen, false),
        (',', _) => (Tok::Comma, false),
        _ => return Err(found(span, &c.to_string())),
    };
    if two {
        cur.bump();
    }
    Ok(tok)
}

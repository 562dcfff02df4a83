//! The SOQL lexer: statement text to tokens with byte spans.
//!
//! Keywords are not distinguished from identifiers here, because SOQL keywords are case-insensitive and
//! context-dependent (`Type`, `Order` and `Group` are field or object names in some places); the parser asks
//! [`Token::is_keyword`]. Literals whose shape is lexical are recognised here: strings (escapes validated,
//! kept raw so that `LIKE` can keep its own escapes), numbers with an optional sign and exponent, and
//! unquoted date and dateTime literals (`2024-03-10`, `2024-03-10T10:05:00.000+05:30`).

use crate::error::SoqlError;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// A byte range of the statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum TokenKind {
    /// An identifier or keyword: `[A-Za-z_][A-Za-z0-9_]*`.
    Ident,
    /// A number as written, sign included: `5`, `-3.25`, `1.5E7`.
    Number,
    /// A quoted string: its text between the quotes, escapes validated but not decoded.
    Str(String),
    Date(NaiveDate),
    DateTime(DateTime<Utc>),
    LParen,
    RParen,
    Comma,
    Dot,
    Colon,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Eof,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Span,
}

impl Token {
    /// The token as written in `text` (`<EOF>` at the end), as Salesforce quotes it in `unexpected token`.
    pub fn text<'a>(&self, text: &'a str) -> &'a str {
        match self.kind {
            TokenKind::Eof => "<EOF>",
            _ => &text[self.span.start..self.span.end],
        }
    }

    /// Whether this is the identifier `keyword`, ignoring case.
    pub fn is_keyword(&self, text: &str, keyword: &str) -> bool {
        self.kind == TokenKind::Ident && self.text(text).eq_ignore_ascii_case(keyword)
    }
}

/// Splits `text` into tokens, ending with [`TokenKind::Eof`].
pub fn lex(text: &str) -> Result<Vec<Token>, SoqlError> {
    Lexer { text, pos: 0 }.run()
}

struct Lexer<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn run(mut self) -> Result<Vec<Token>, SoqlError> {
        let mut tokens = Vec::new();
        loop {
            self.skip_whitespace();
            let start = self.pos;
            let Some(c) = self.peek() else {
                tokens.push(Token {
                    kind: TokenKind::Eof,
                    span: Span::new(start, start),
                });
                return Ok(tokens);
            };
            let kind = match c {
                'a'..='z' | 'A'..='Z' | '_' => {
                    self.eat_while(|c| c.is_ascii_alphanumeric() || c == '_');
                    TokenKind::Ident
                }
                '0'..='9' => self.number_or_date()?,
                '+' | '-' if self.peek_at(1).is_some_and(|c| c.is_ascii_digit()) => {
                    self.pos += 1;
                    self.number()?
                }
                '\'' => self.string()?,
                '(' => self.single(TokenKind::LParen),
                ')' => self.single(TokenKind::RParen),
                ',' => self.single(TokenKind::Comma),
                '.' => self.single(TokenKind::Dot),
                ':' => self.single(TokenKind::Colon),
                '=' => self.single(TokenKind::Eq),
                '!' if self.peek_at(1) == Some('=') => {
                    self.pos += 2;
                    TokenKind::Ne
                }
                '<' => match self.peek_at(1) {
                    Some('=') => {
                        self.pos += 2;
                        TokenKind::Le
                    }
                    Some('>') => {
                        self.pos += 2;
                        TokenKind::Ne
                    }
                    _ => self.single(TokenKind::Lt),
                },
                '>' => match self.peek_at(1) {
                    Some('=') => {
                        self.pos += 2;
                        TokenKind::Ge
                    }
                    _ => self.single(TokenKind::Gt),
                },
                _ => return Err(self.no_viable_alternative(start)),
            };
            tokens.push(Token {
                kind,
                span: Span::new(start, self.pos),
            });
        }
    }

    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.text[self.pos..].chars().nth(n)
    }

    fn single(&mut self, kind: TokenKind) -> TokenKind {
        self.pos += 1;
        kind
    }

    fn eat_while(&mut self, keep: impl Fn(char) -> bool) -> usize {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if !keep(c) {
                break;
            }
            self.pos += c.len_utf8();
        }
        self.pos - start
    }

    fn skip_whitespace(&mut self) {
        self.eat_while(char::is_whitespace);
    }

    /// Salesforce's lexer error for a character that cannot start or continue a token (`<EOF>` at the end).
    fn no_viable_alternative(&self, offset: usize) -> SoqlError {
        let shown = match self.text[offset..].chars().next() {
            None => "<EOF>".to_owned(),
            Some(c) => c.to_string(),
        };
        SoqlError::lexical(self.text, offset, |row, col| {
            format!("line {row}:{col} no viable alternative at character '{shown}'")
        })
    }

    /// Digits: a date (`YYYY-MM-DD…`) when four digits are followed by `-`, otherwise a number.
    fn number_or_date(&mut self) -> Result<TokenKind, SoqlError> {
        let rest = &self.text.as_bytes()[self.pos..];
        let looks_like_date =
            rest.len() >= 5 && rest[..4].iter().all(u8::is_ascii_digit) && rest[4] == b'-';
        if looks_like_date {
            self.date()
        } else {
            self.number()
        }
    }

    /// `digits [. digits] [(e|E) [+|-] digits]`, after an optional sign already consumed.
    fn number(&mut self) -> Result<TokenKind, SoqlError> {
        self.eat_while(|c| c.is_ascii_digit());
        if self.peek() == Some('.') && self.peek_at(1).is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
            self.eat_while(|c| c.is_ascii_digit());
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            let signed = matches!(self.peek_at(1), Some('+' | '-'));
            let digit_at = if signed { 2 } else { 1 };
            if self.peek_at(digit_at).is_some_and(|c| c.is_ascii_digit()) {
                self.pos += digit_at;
                self.eat_while(|c| c.is_ascii_digit());
            }
        }
        Ok(TokenKind::Number)
    }

    /// `YYYY-MM-DD`, or a dateTime `YYYY-MM-DDThh:mm:ss[.fff](Z|±hh:mm|±hhmm)`. A dateTime must carry its
    /// zone: Salesforce's lexer stops at whatever comes instead.
    fn date(&mut self) -> Result<TokenKind, SoqlError> {
        let start = self.pos;
        for shape in ["dddd", "-", "dd", "-", "dd"] {
            self.expect_shape(shape)?;
        }
        let date_text = &self.text[start..self.pos];
        if !matches!(self.peek(), Some('T' | 't')) {
            return NaiveDate::parse_from_str(date_text, "%Y-%m-%d")
                .map(TokenKind::Date)
                .map_err(|_| {
                    SoqlError::at(
                        self.text,
                        start,
                        crate::error::MALFORMED_QUERY,
                        format!("Invalid date: {date_text}"),
                    )
                });
        }
        self.pos += 1;
        for shape in ["dd", ":", "dd", ":", "dd"] {
            self.expect_shape(shape)?;
        }
        if self.peek() == Some('.') && self.peek_at(1).is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
            self.eat_while(|c| c.is_ascii_digit());
        }
        let local_end = self.pos;
        match self.peek() {
            Some('Z' | 'z') => self.pos += 1,
            Some('+' | '-') => {
                self.pos += 1;
                self.expect_shape("dd")?;
                if self.peek() == Some(':') {
                    self.pos += 1;
                }
                self.expect_shape("dd")?;
            }
            _ => return Err(self.no_viable_alternative(self.pos)),
        }
        let full = &self.text[start..self.pos];
        parse_datetime(
            &self.text[start..local_end],
            &self.text[local_end..self.pos],
        )
        .map(TokenKind::DateTime)
        .ok_or_else(|| {
            SoqlError::at(
                self.text,
                start,
                crate::error::MALFORMED_QUERY,
                format!("Invalid datetime: {full}"),
            )
        })
    }

    /// Consumes `shape` where `d` is one ASCII digit and anything else is itself.
    fn expect_shape(&mut self, shape: &str) -> Result<(), SoqlError> {
        for want in shape.chars() {
            match self.peek() {
                Some(c) if (want == 'd' && c.is_ascii_digit()) || (want != 'd' && c == want) => {
                    self.pos += 1;
                }
                _ => return Err(self.no_viable_alternative(self.pos)),
            }
        }
        Ok(())
    }

    /// `'…'` with backslash escapes. The raw inner text is kept; see [`decode`].
    fn string(&mut self) -> Result<TokenKind, SoqlError> {
        let start = self.pos;
        self.pos += 1;
        let inner_start = self.pos;
        loop {
            match self.peek() {
                None => {
                    return Err(SoqlError::lexical(self.text, self.pos, |row, col| {
                        format!("line {row}:{col} mismatched character '<EOF>' expecting '''")
                    }));
                }
                Some('\'') => break,
                Some('\\') => {
                    let escape_at = self.pos;
                    self.pos += 1;
                    match self.peek() {
                        Some(c) if ESCAPES.contains(&c) => self.pos += 1,
                        other => {
                            let sequence = match other {
                                Some(c) => format!("\\{c}"),
                                None => "\\".to_owned(),
                            };
                            let literal_end = self.text[self.pos..]
                                .find('\'')
                                .map_or(self.text.len(), |i| self.pos + i + 1);
                            let literal = &self.text[start..literal_end];
                            return Err(SoqlError::at(
                                self.text,
                                escape_at,
                                crate::error::MALFORMED_QUERY,
                                format!(
                                    "Invalid string literal {literal}. Illegal character sequence '{sequence}' in string literal."
                                ),
                            ));
                        }
                    }
                }
                Some(c) => self.pos += c.len_utf8(),
            }
        }
        let inner = self.text[inner_start..self.pos].to_owned();
        self.pos += 1;
        Ok(TokenKind::Str(inner))
    }
}

/// The characters SOQL accepts after a backslash in a string literal.
const ESCAPES: [char; 15] = [
    'n', 'N', 'r', 'R', 't', 'T', 'b', 'B', 'f', 'F', '"', '\'', '\\', '_', '%',
];

fn parse_datetime(local: &str, zone: &str) -> Option<DateTime<Utc>> {
    let naive =
        NaiveDateTime::parse_from_str(&local.to_ascii_uppercase(), "%Y-%m-%dT%H:%M:%S%.f").ok()?;
    if zone.eq_ignore_ascii_case("z") {
        return Some(Utc.from_utc_datetime(&naive));
    }
    let sign = if zone.starts_with('-') { -1 } else { 1 };
    let digits: String = zone[1..].chars().filter(char::is_ascii_digit).collect();
    let hours: i32 = digits[..2].parse().ok()?;
    let minutes: i32 = digits[2..].parse().ok()?;
    if hours > 23 || minutes > 59 {
        return None;
    }
    let offset = FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))?;
    let local = offset.from_local_datetime(&naive).single()?;
    Some(local.with_timezone(&Utc))
}

/// Decodes a raw string literal for comparison: every escape becomes the character it stands for (`\%` and
/// `\_` become `%` and `_`; they only mean something to `LIKE`).
pub fn decode(raw: &str) -> String {
    decode_with(raw, false)
}

/// Decodes a raw `LIKE` pattern: quote and control-character escapes are decoded, while `\%`, `\_` and `\\`
/// are kept as written, so the store sees `%` and `_` as wildcards and `\` as the escape character.
pub fn decode_like(raw: &str) -> String {
    decode_with(raw, true)
}

fn decode_with(raw: &str, keep_like_escapes: bool) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(e) = chars.next() else {
            out.push('\\');
            break;
        };
        match e {
            'n' | 'N' => out.push('\n'),
            'r' | 'R' => out.push('\r'),
            't' | 'T' => out.push('\t'),
            'b' | 'B' => out.push('\u{8}'),
            'f' | 'F' => out.push('\u{c}'),
            '%' | '_' | '\\' if keep_like_escapes => {
                out.push('\\');
                out.push(e);
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<TokenKind> {
        lex(text).unwrap().into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn punctuation_and_identifiers() {
        use TokenKind::*;
        assert_eq!(
            kinds("a.b(c), : = != <> < <= > >="),
            [
                Ident, Dot, Ident, LParen, Ident, RParen, Comma, Colon, Eq, Ne, Ne, Lt, Le, Gt, Ge,
                Eof
            ]
        );
    }

    #[test]
    fn numbers_keep_sign_fraction_and_exponent() {
        let text = "5 -3.25 +7 1.5E7 2e-3 10.";
        let tokens = lex(text).unwrap();
        let texts: Vec<&str> = tokens.iter().map(|t| t.text(text)).collect();
        assert_eq!(
            texts,
            ["5", "-3.25", "+7", "1.5E7", "2e-3", "10", ".", "<EOF>"]
        );
    }

    #[test]
    fn dates_and_datetimes() {
        let d = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let dt = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert_eq!(kinds("2024-03-10")[0], TokenKind::Date(d("2024-03-10")));
        assert_eq!(
            kinds("2024-03-10T10:05:00Z")[0],
            TokenKind::DateTime(dt("2024-03-10T10:05:00Z"))
        );
        assert_eq!(
            kinds("2024-03-10T10:05:00.250Z")[0],
            TokenKind::DateTime(dt("2024-03-10T10:05:00.250Z"))
        );
        assert_eq!(
            kinds("2024-03-10T10:05:00+05:30")[0],
            TokenKind::DateTime(dt("2024-03-10T04:35:00Z"))
        );
        assert_eq!(
            kinds("2024-03-10T10:05:00.000-0800")[0],
            TokenKind::DateTime(dt("2024-03-10T18:05:00Z"))
        );
    }

    #[test]
    fn datetime_without_zone_is_a_lexer_error() {
        let text = "SELECT Id FROM Account WHERE CreatedDate > 2016-07-31T04:17:54";
        let e = lex(text).unwrap_err();
        assert_eq!(e.code, "MALFORMED_QUERY");
        assert!(
            e.message.ends_with(&format!(
                "ERROR at Row:1:Column:{0}\nline 1:{0} no viable alternative at character '<EOF>'",
                text.len()
            )),
            "{}",
            e.message
        );
    }

    #[test]
    fn invalid_dates_are_refused() {
        let e = lex("x = 2024-13-01").unwrap_err();
        assert!(
            e.message.ends_with("Invalid date: 2024-13-01"),
            "{}",
            e.message
        );
        let e = lex("x = 2024-02-30T00:00:00Z").unwrap_err();
        assert!(
            e.message
                .ends_with("Invalid datetime: 2024-02-30T00:00:00Z")
        );
    }

    #[test]
    fn strings_keep_raw_text_and_decode_by_context() {
        let text = r#"'it\'s \"q\" \\ \n\t\b\f \_ \%'"#;
        let TokenKind::Str(raw) = &kinds(text)[0] else {
            panic!()
        };
        assert_eq!(raw, r#"it\'s \"q\" \\ \n\t\b\f \_ \%"#);
        assert_eq!(decode(raw), "it's \"q\" \\ \n\t\u{8}\u{c} _ %");
        assert_eq!(decode_like(raw), "it's \"q\" \\\\ \n\t\u{8}\u{c} \\_ \\%");
        assert_eq!(decode(r"\N\R\T\B\F"), "\n\r\t\u{8}\u{c}");
    }

    #[test]
    fn bad_escape_and_unterminated_string() {
        let e = lex(r"Name = 'a\qb'").unwrap_err();
        assert!(
            e.message.ends_with(
                r"Invalid string literal 'a\qb'. Illegal character sequence '\q' in string literal."
            ),
            "{}",
            e.message
        );
        let e = lex("Name = 'abc").unwrap_err();
        assert!(
            e.message
                .ends_with("line 1:11 mismatched character '<EOF>' expecting '''")
        );
    }

    #[test]
    fn stray_characters() {
        let e = lex("SELECT Id FROM Account;").unwrap_err();
        assert!(
            e.message.ends_with(
                "ERROR at Row:1:Column:22\nline 1:22 no viable alternative at character ';'"
            ),
            "{}",
            e.message
        );
        assert!(lex("Name = \"x\"").is_err());
    }
}

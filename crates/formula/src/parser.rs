//! Tokens -> syntax tree, bounded in depth.
//!
//! Recursive descent over Salesforce's precedence (§3.3 of the org-metadata spec), lowest first: `||`, `&&`,
//! `= == <> !=`, `< <= > >=`, `+ - &`, `^`, `* /`, unary `- + ! NOT`, then literals, names, calls and
//! parentheses. Every binary level is left-associative, and `^` sits *below* `*`/`/` as in Salesforce's own
//! grammar (`2*3^2` is `(2*3)^2`).
//!
//! Spans: a literal, name or call starts where its token does; a unary node at its operator; a binary node
//! at its operator (so a type error or a division by zero points at the `/`, not at the left operand).
//!
//! Bounds, so no input overflows a stack here or in the passes that walk the tree: the text is at most
//! [`MAX_LENGTH`] characters (Salesforce's limit), parentheses, calls and unary operators nest at most
//! [`MAX_NESTING`] deep, and no tree is deeper than [`MAX_DEPTH`].

use crate::ast::{BinaryOp, Expr, ExprKind, Span, UnaryOp};
use crate::error::FormulaError;
use crate::lexer::{Tok, Token, tokenize};

/// Salesforce's limit on a formula's text, spaces, line breaks and comments included (§3.10).
pub const MAX_LENGTH: usize = 3_900;

/// How deeply parentheses, calls and unary operators may nest: checked before the parser recurses.
pub const MAX_NESTING: u32 = 100;

/// How deep a tree may be, chains of binary operators included (`a & b & c …` is a left-deep tree), so that
/// every pass walking the tree recursively (checker, evaluator, SQL rendering) stays within its stack.
pub const MAX_DEPTH: u32 = 400;

/// Parses a formula's text.
pub fn parse(source: &str) -> Result<Expr, FormulaError> {
    let length = source.chars().count();
    if length > MAX_LENGTH {
        return Err(FormulaError {
            message: format!(
                "Formula is too long ({} characters).  Maximum length is {} characters",
                thousands(length),
                thousands(MAX_LENGTH)
            ),
            line: 1,
            column: 1,
        });
    }
    let tokens = tokenize(source)?;
    let mut parser = Parser { tokens, pos: 0 };
    let (expr, _) = parser.expression(0)?;
    let next = parser.peek();
    if next.tok != Tok::End {
        return Err(FormulaError::at(
            next.span,
            format!("Syntax error. Extra {}", next.tok.describe()),
        ));
    }
    Ok(expr)
}

/// `3900` -> `3,900`, as Salesforce writes numbers in its messages.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A parsed subtree and its depth (a leaf is 1).
type Parsed = (Expr, u32);

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

/// The binary levels, lowest precedence first.
const LEVELS: [&[(Tok, BinaryOp)]; 7] = [
    &[(Tok::OrOr, BinaryOp::Or)],
    &[(Tok::AndAnd, BinaryOp::And)],
    &[(Tok::Eq, BinaryOp::Equal), (Tok::Ne, BinaryOp::NotEqual)],
    &[
        (Tok::Lt, BinaryOp::Less),
        (Tok::Le, BinaryOp::LessEqual),
        (Tok::Gt, BinaryOp::Greater),
        (Tok::Ge, BinaryOp::GreaterEqual),
    ],
    &[
        (Tok::Plus, BinaryOp::Add),
        (Tok::Minus, BinaryOp::Subtract),
        (Tok::Amp, BinaryOp::Concat),
    ],
    &[(Tok::Caret, BinaryOp::Power)],
    &[
        (Tok::Star, BinaryOp::Multiply),
        (Tok::Slash, BinaryOp::Divide),
    ],
];

fn too_nested(span: Span) -> FormulaError {
    FormulaError::at(
        span,
        format!("Formula is nested too deeply (more than {MAX_NESTING} levels)"),
    )
}

fn too_deep(span: Span) -> FormulaError {
    FormulaError::at(
        span,
        format!("Formula is too complex (a tree deeper than {MAX_DEPTH} levels)"),
    )
}

impl Parser {
    fn peek(&self) -> &Token {
        // `tokenize` always ends the list with `End`, and `advance` never moves past it.
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn advance(&mut self) -> Token {
        let token = self.peek().clone();
        if self.pos + 1 < self.tokens.len() {
            self.pos += 1;
        }
        token
    }

    /// A whole expression; `nesting` counts the parentheses, calls and unary operators around it, checked
    /// before recursing so that the parser's own stack stays bounded.
    fn expression(&mut self, nesting: u32) -> Result<Parsed, FormulaError> {
        if nesting >= MAX_NESTING {
            return Err(too_nested(self.peek().span));
        }
        self.binary(0, nesting)
    }

    fn binary(&mut self, level: usize, nesting: u32) -> Result<Parsed, FormulaError> {
        let Some(ops) = LEVELS.get(level) else {
            return self.unary(nesting);
        };
        let (mut left, mut depth) = self.binary(level + 1, nesting)?;
        loop {
            let token = self.peek();
            let Some(op) = ops.iter().find(|(t, _)| *t == token.tok).map(|(_, op)| *op) else {
                return Ok((left, depth));
            };
            let span = token.span;
            self.advance();
            let (right, right_depth) = self.binary(level + 1, nesting)?;
            depth = depth.max(right_depth) + 1;
            if depth > MAX_DEPTH {
                return Err(too_deep(span));
            }
            left = Expr {
                kind: ExprKind::Binary(op, Box::new(left), Box::new(right)),
                span,
            };
        }
    }

    fn unary(&mut self, nesting: u32) -> Result<Parsed, FormulaError> {
        let token = self.peek().clone();
        let op = match &token.tok {
            Tok::Minus => Some(UnaryOp::Negate),
            Tok::Plus => Some(UnaryOp::Plus),
            Tok::Bang => Some(UnaryOp::Not),
            // `NOT(x)` is the function; `NOT x` the operator.
            Tok::Ident(name) if name.eq_ignore_ascii_case("NOT") => {
                match self.tokens.get(self.pos + 1).map(|t| &t.tok) {
                    Some(Tok::LParen) => None,
                    _ => Some(UnaryOp::Not),
                }
            }
            _ => None,
        };
        let Some(op) = op else {
            return self.primary(nesting);
        };
        if nesting + 1 >= MAX_NESTING {
            return Err(too_nested(token.span));
        }
        self.advance();
        let (operand, depth) = self.unary(nesting + 1)?;
        Ok((
            Expr {
                kind: ExprKind::Unary(op, Box::new(operand)),
                span: token.span,
            },
            depth + 1,
        ))
    }

    fn primary(&mut self, nesting: u32) -> Result<Parsed, FormulaError> {
        let token = self.advance();
        let span = token.span;
        let kind = match token.tok {
            Tok::Number(n) => ExprKind::Number(n),
            Tok::Text(s) => ExprKind::Text(s),
            Tok::LParen => {
                let (inner, depth) = self.expression(nesting + 1)?;
                self.expect_close()?;
                return Ok((inner, depth));
            }
            Tok::Ident(name) => {
                if self.peek().tok == Tok::LParen {
                    return self.call(name, span, nesting);
                }
                name_kind(name)
            }
            other => {
                return Err(FormulaError::at(
                    span,
                    format!("Syntax error.  Found '{}'", other.describe()),
                ));
            }
        };
        Ok((Expr { kind, span }, 1))
    }

    /// `name(arg, …)`: the `(` is next.
    fn call(&mut self, name: String, span: Span, nesting: u32) -> Result<Parsed, FormulaError> {
        self.advance();
        let mut args = Vec::new();
        let mut depth = 0;
        if self.peek().tok == Tok::RParen {
            self.advance();
        } else {
            loop {
                let (arg, d) = self.expression(nesting + 1)?;
                depth = depth.max(d);
                args.push(arg);
                if self.peek().tok == Tok::Comma {
                    self.advance();
                } else {
                    self.expect_close()?;
                    break;
                }
            }
        }
        if depth + 1 > MAX_DEPTH {
            return Err(too_deep(span));
        }
        Ok((
            Expr {
                kind: ExprKind::Call(name, args),
                span,
            },
            depth + 1,
        ))
    }

    fn expect_close(&mut self) -> Result<(), FormulaError> {
        let token = self.peek();
        if token.tok == Tok::RParen {
            self.advance();
            Ok(())
        } else {
            Err(FormulaError::at(token.span, "Syntax error.  Missing ')'"))
        }
    }
}

/// A name that is not a call: a keyword, a global (`$User.Id`) or a field path (`Account.Industry`).
fn name_kind(name: String) -> ExprKind {
    if name.eq_ignore_ascii_case("TRUE") {
        return ExprKind::Boolean(true);
    }
    if name.eq_ignore_ascii_case("FALSE") {
        return ExprKind::Boolean(false);
    }
    if name.eq_ignore_ascii_case("NULL") {
        return ExprKind::Null;
    }
    if let Some(global) = name.strip_prefix('$') {
        let mut parts = global.split('.').map(str::to_string);
        let variable = parts.next().unwrap_or_default();
        return ExprKind::Global(variable, parts.collect());
    }
    ExprKind::Field(name.split('.').map(str::to_string).collect())
}

#[cfg(test)]
mod tests;

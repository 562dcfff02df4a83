//! The SOQL parser: tokens to an [`crate::ast::Select`], by recursive descent.
//!
//! The grammar follows Salesforce's, including its strictness: a condition is either a single `NOT`
//! expression or a chain of expressions joined by only `AND` or only `OR`, so mixing `AND` and `OR` at one
//! level without parentheses fails with `unexpected token: 'OR'`, and `a AND NOT b` fails on `NOT`. Every
//! syntax error is Salesforce's `MALFORMED_QUERY` / `unexpected token: '…'` pointing at the token.
//!
//! Descent recurses once per level of parentheses, so the nesting is bounded ([`MAX_NESTING`]) before a
//! hostile statement can exhaust the stack; statements longer than Salesforce's limit and string literals
//! past it are refused here too (see [`crate::limits`]).

use crate::ast::*;
use crate::dates::{self, LiteralName};
use crate::error::{MALFORMED_QUERY, SoqlError};
use crate::lexer::{self, Span, Token, TokenKind};
use crate::limits::{self, MAX_NESTING, MAX_STRING_CHARS};

/// Parses one SOQL statement.
pub fn parse(text: &str) -> Result<Select, SoqlError> {
    limits::check_statement_length(text)?;
    let tokens = lexer::lex(text)?;
    let mut parser = Parser {
        text,
        tokens,
        pos: 0,
        nesting: 0,
    };
    let select = parser.select()?;
    parser.expect_kind(&TokenKind::Eof)?;
    Ok(select)
}

/// Words that end the FROM clause or are reserved, so they can never be an object alias.
const CLAUSE_KEYWORDS: [&str; 12] = [
    "WHERE", "WITH", "GROUP", "HAVING", "ORDER", "LIMIT", "OFFSET", "FOR", "USING", "UPDATE",
    "FROM", "SELECT",
];

struct Parser<'a> {
    text: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    /// How many parentheses that recurse (grouped conditions and subqueries) are open.
    nesting: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> &Token {
        &self.tokens[self.pos]
    }

    fn peek_at(&self, n: usize) -> &Token {
        &self.tokens[(self.pos + n).min(self.tokens.len() - 1)]
    }

    fn bump(&mut self) -> Token {
        let token = self.tokens[self.pos].clone();
        if token.kind != TokenKind::Eof {
            self.pos += 1;
        }
        token
    }

    fn at_keyword(&self, keyword: &str) -> bool {
        self.peek().is_keyword(self.text, keyword)
    }

    fn eat_keyword(&mut self, keyword: &str) -> bool {
        let found = self.at_keyword(keyword);
        if found {
            self.pos += 1;
        }
        found
    }

    fn unexpected(&self, token: &Token) -> SoqlError {
        SoqlError::at(
            self.text,
            token.span.start,
            MALFORMED_QUERY,
            format!("unexpected token: '{}'", token.text(self.text)),
        )
    }

    fn expect_keyword(&mut self, keyword: &str) -> Result<Token, SoqlError> {
        if self.at_keyword(keyword) {
            Ok(self.bump())
        } else {
            Err(self.unexpected(self.peek()))
        }
    }

    fn expect_kind(&mut self, kind: &TokenKind) -> Result<Token, SoqlError> {
        if &self.peek().kind == kind {
            Ok(self.bump())
        } else {
            Err(self.unexpected(self.peek()))
        }
    }

    /// Runs `inside` one level deeper, after the opening parenthesis `open`; a level past [`MAX_NESTING`]
    /// is refused at that parenthesis. (An error ends the whole parse, so the count is only restored on
    /// success.)
    fn nested<T>(
        &mut self,
        open: &Token,
        inside: impl FnOnce(&mut Self) -> Result<T, SoqlError>,
    ) -> Result<T, SoqlError> {
        if self.nesting == MAX_NESTING {
            return Err(SoqlError::at(
                self.text,
                open.span.start,
                MALFORMED_QUERY,
                limits::too_deep_message(),
            ));
        }
        self.nesting += 1;
        let inner = inside(self)?;
        self.nesting -= 1;
        Ok(inner)
    }

    fn ident(&mut self) -> Result<Ident, SoqlError> {
        let token = self.expect_kind(&TokenKind::Ident)?;
        Ok(Ident {
            name: token.text(self.text).to_owned(),
            span: token.span,
        })
    }

    /// `SELECT items FROM object [alias] [USING SCOPE x] [WHERE …] [WITH …] [GROUP BY …] [HAVING …]
    /// [ORDER BY …] [LIMIT n] [OFFSET n] [FOR VIEW|REFERENCE|UPDATE]`.
    fn select(&mut self) -> Result<Select, SoqlError> {
        self.expect_keyword("SELECT")?;
        let items = self.comma_separated(Self::select_item)?;
        self.expect_keyword("FROM")?;
        let from = self.ident()?;
        let alias = self.object_alias()?;
        if self.eat_keyword("USING") {
            self.expect_keyword("SCOPE")?;
            self.ident()?;
        }
        let filter = self.optional_condition("WHERE")?;
        if self.eat_keyword("WITH") {
            // Security modes change nothing for a single-user local server.
            self.one_of(&["SECURITY_ENFORCED", "USER_MODE", "SYSTEM_MODE"])?;
        }
        let group_by = self.by_list("GROUP", Self::expr)?;
        let having = self.optional_condition("HAVING")?;
        let order_by = self.by_list("ORDER", Self::order_key)?;
        let limit = self.optional_count("LIMIT")?;
        let offset = self.optional_count("OFFSET")?;
        if self.eat_keyword("FOR") {
            // Record locking and view tracking change nothing either.
            self.comma_separated(|p| p.one_of(&["VIEW", "REFERENCE", "UPDATE"]))?;
        }
        Ok(Select {
            items,
            from,
            alias,
            filter,
            group_by,
            having,
            order_by,
            limit,
            offset,
        })
    }

    /// One or more `item`s separated by commas.
    fn comma_separated<T>(
        &mut self,
        mut item: impl FnMut(&mut Self) -> Result<T, SoqlError>,
    ) -> Result<Vec<T>, SoqlError> {
        let mut items = vec![item(self)?];
        while self.peek().kind == TokenKind::Comma {
            self.bump();
            items.push(item(self)?);
        }
        Ok(items)
    }

    /// The next token, which must be one of `keywords`.
    fn one_of(&mut self, keywords: &[&str]) -> Result<Token, SoqlError> {
        let token = self.peek().clone();
        if !keywords.iter().any(|k| token.is_keyword(self.text, k)) {
            return Err(self.unexpected(&token));
        }
        Ok(self.bump())
    }

    /// The FROM alias: an identifier that is not a clause keyword.
    fn object_alias(&mut self) -> Result<Option<Ident>, SoqlError> {
        if self.peek().kind == TokenKind::Ident
            && !CLAUSE_KEYWORDS.iter().any(|k| self.at_keyword(k))
        {
            Ok(Some(self.ident()?))
        } else {
            Ok(None)
        }
    }

    /// `keyword condition` (WHERE, HAVING), if present.
    fn optional_condition(&mut self, keyword: &str) -> Result<Option<Condition>, SoqlError> {
        if self.eat_keyword(keyword) {
            Ok(Some(self.condition()?))
        } else {
            Ok(None)
        }
    }

    /// `keyword BY item, …` (GROUP BY, ORDER BY), or nothing.
    fn by_list<T>(
        &mut self,
        keyword: &str,
        item: impl FnMut(&mut Self) -> Result<T, SoqlError>,
    ) -> Result<Vec<T>, SoqlError> {
        if !self.eat_keyword(keyword) {
            return Ok(Vec::new());
        }
        self.expect_keyword("BY")?;
        self.comma_separated(item)
    }

    /// `keyword n` (LIMIT, OFFSET), if present.
    fn optional_count(&mut self, keyword: &str) -> Result<Option<Count>, SoqlError> {
        if self.eat_keyword(keyword) {
            Ok(Some(self.count()?))
        } else {
            Ok(None)
        }
    }

    fn select_item(&mut self) -> Result<SelectItem, SoqlError> {
        let token = self.peek().clone();
        match token.kind {
            TokenKind::LParen => self.subquery_item(&token),
            TokenKind::Ident if token.is_keyword(self.text, "FROM") => Err(self.unexpected(&token)),
            TokenKind::Ident if token.is_keyword(self.text, "TYPEOF") => self.type_of_item(&token),
            TokenKind::Ident
                if token.is_keyword(self.text, "FIELDS")
                    && self.peek_at(1).kind == TokenKind::LParen =>
            {
                self.fields_item(&token)
            }
            TokenKind::Ident => {
                let expr = self.expr()?;
                let alias = match expr {
                    Expr::Call { .. }
                        if self.peek().kind == TokenKind::Ident && !self.at_keyword("FROM") =>
                    {
                        Some(self.ident()?)
                    }
                    _ => None,
                };
                Ok(SelectItem::Expr { expr, alias })
            }
            _ => Err(self.unexpected(&token)),
        }
    }

    /// `(SELECT …)` in the SELECT list, from its opening parenthesis `open`.
    fn subquery_item(&mut self, open: &Token) -> Result<SelectItem, SoqlError> {
        self.bump();
        if !self.at_keyword("SELECT") {
            return Err(self.unexpected(self.peek()));
        }
        let query = self.nested(open, Self::select)?;
        let close = self.expect_kind(&TokenKind::RParen)?;
        Ok(SelectItem::Subquery {
            query: Box::new(query),
            span: open.span.to(close.span),
        })
    }

    /// `TYPEOF relationship (WHEN Object THEN field, …)+ [ELSE field, …] END`, from the `TYPEOF` keyword.
    fn type_of_item(&mut self, type_of: &Token) -> Result<SelectItem, SoqlError> {
        self.bump();
        let relationship = self.path()?;
        let mut whens = Vec::new();
        // At least one WHEN, as Salesforce's grammar has it.
        self.expect_keyword("WHEN")?;
        loop {
            let object = self.ident()?;
            self.expect_keyword("THEN")?;
            let fields = self.comma_separated(Self::path)?;
            whens.push(TypeOfWhen { object, fields });
            if !self.eat_keyword("WHEN") {
                break;
            }
        }
        let else_fields = if self.eat_keyword("ELSE") {
            self.comma_separated(Self::path)?
        } else {
            Vec::new()
        };
        let end = self.expect_keyword("END")?;
        Ok(SelectItem::TypeOf {
            span: type_of.span.to(end.span),
            relationship,
            whens,
            else_fields,
        })
    }

    /// `FIELDS(STANDARD|CUSTOM|ALL)`, from the `FIELDS` keyword.
    fn fields_item(&mut self, fields: &Token) -> Result<SelectItem, SoqlError> {
        self.bump();
        self.bump();
        let which = self.peek().clone();
        let kind = if which.is_keyword(self.text, "STANDARD") {
            FieldsKind::Standard
        } else if which.is_keyword(self.text, "CUSTOM") {
            FieldsKind::Custom
        } else if which.is_keyword(self.text, "ALL") {
            FieldsKind::All
        } else {
            return Err(self.unexpected(&which));
        };
        self.bump();
        let close = self.expect_kind(&TokenKind::RParen)?;
        Ok(SelectItem::Fields {
            kind,
            span: fields.span.to(close.span),
        })
    }

    /// A field path, or `function([path])`.
    fn expr(&mut self) -> Result<Expr, SoqlError> {
        if self.peek().kind == TokenKind::Ident && self.peek_at(1).kind == TokenKind::LParen {
            let function = self.ident()?;
            self.bump();
            let arg = if self.peek().kind == TokenKind::RParen {
                None
            } else {
                Some(self.path()?)
            };
            let close = self.expect_kind(&TokenKind::RParen)?;
            let span = function.span.to(close.span);
            return Ok(Expr::Call {
                function,
                arg,
                span,
            });
        }
        Ok(Expr::Field(self.path()?))
    }

    fn path(&mut self) -> Result<Path, SoqlError> {
        let first = self.ident()?;
        let mut span = first.span;
        let mut parts = vec![first];
        while self.peek().kind == TokenKind::Dot {
            self.bump();
            let part = self.ident()?;
            span = span.to(part.span);
            parts.push(part);
        }
        Ok(Path { parts, span })
    }

    fn order_key(&mut self) -> Result<OrderKey, SoqlError> {
        let expr = self.expr()?;
        let descending = if self.eat_keyword("DESC") {
            true
        } else {
            self.eat_keyword("ASC");
            false
        };
        let nulls_first = if self.eat_keyword("NULLS") {
            if self.eat_keyword("FIRST") {
                Some(true)
            } else {
                self.expect_keyword("LAST")?;
                Some(false)
            }
        } else {
            None
        };
        Ok(OrderKey {
            expr,
            descending,
            nulls_first,
        })
    }

    fn count(&mut self) -> Result<Count, SoqlError> {
        let token = self.peek().clone();
        let text = token.text(self.text);
        match token.kind {
            TokenKind::Number if text.bytes().all(|b| b.is_ascii_digit()) => {
                let value = text.parse().map_err(|_| self.unexpected(&token))?;
                self.bump();
                Ok(Count {
                    value,
                    span: token.span,
                })
            }
            _ => Err(self.unexpected(&token)),
        }
    }

    /// `NOT simple` | `simple (AND simple)*` | `simple (OR simple)*`.
    fn condition(&mut self) -> Result<Condition, SoqlError> {
        if self.eat_keyword("NOT") {
            return Ok(Condition::Not(Box::new(self.simple_condition()?)));
        }
        let first = self.simple_condition()?;
        let joiner = if self.at_keyword("AND") {
            "AND"
        } else if self.at_keyword("OR") {
            "OR"
        } else {
            return Ok(first);
        };
        let other = if joiner == "AND" { "OR" } else { "AND" };
        let mut parts = vec![first];
        while self.eat_keyword(joiner) {
            parts.push(self.simple_condition()?);
        }
        if self.at_keyword(other) {
            return Err(self.unexpected(self.peek()));
        }
        Ok(if joiner == "AND" {
            Condition::And(parts)
        } else {
            Condition::Or(parts)
        })
    }

    /// `( condition )` or a field condition.
    fn simple_condition(&mut self) -> Result<Condition, SoqlError> {
        if self.peek().kind == TokenKind::LParen {
            let open = self.bump();
            let inner = self.nested(&open, Self::condition)?;
            self.expect_kind(&TokenKind::RParen)?;
            return Ok(inner);
        }
        if self.at_keyword("NOT") {
            // `NOT` only starts a whole condition: `a AND NOT b` needs `a AND (NOT b)`.
            return Err(self.unexpected(self.peek()));
        }
        let left = self.expr()?;
        let token = self.peek().clone();
        let op = match token.kind {
            TokenKind::Eq => Some(CompareOp::Eq),
            TokenKind::Ne => Some(CompareOp::Ne),
            TokenKind::Lt => Some(CompareOp::Lt),
            TokenKind::Le => Some(CompareOp::Le),
            TokenKind::Gt => Some(CompareOp::Gt),
            TokenKind::Ge => Some(CompareOp::Ge),
            _ => None,
        };
        if let Some(op) = op {
            self.bump();
            let right = self.literal()?;
            return Ok(Condition::Compare { left, op, right });
        }
        if self.eat_keyword("LIKE") {
            let pattern = self.literal()?;
            return Ok(Condition::Like { left, pattern });
        }
        if self.eat_keyword("IN") {
            return self.in_list(left, false);
        }
        if self.eat_keyword("NOT") {
            self.expect_keyword("IN")?;
            return self.in_list(left, true);
        }
        for (keyword, negated) in [("INCLUDES", false), ("EXCLUDES", true)] {
            if self.eat_keyword(keyword) {
                self.expect_kind(&TokenKind::LParen)?;
                let values = self.literal_list()?;
                self.expect_kind(&TokenKind::RParen)?;
                return Ok(Condition::Includes {
                    left,
                    negated,
                    values,
                });
            }
        }
        Err(self.unexpected(&token))
    }

    /// `( literal, … )` or `( SELECT … )` after `IN` / `NOT IN`.
    fn in_list(&mut self, left: Expr, negated: bool) -> Result<Condition, SoqlError> {
        let open = self.expect_kind(&TokenKind::LParen)?;
        if self.at_keyword("SELECT") {
            let query = self.nested(&open, Self::select)?;
            let close = self.expect_kind(&TokenKind::RParen)?;
            return Ok(Condition::InSubquery {
                left,
                negated,
                query: Box::new(query),
                span: open.span.to(close.span),
            });
        }
        let values = self.literal_list()?;
        self.expect_kind(&TokenKind::RParen)?;
        Ok(Condition::In {
            left,
            negated,
            values,
        })
    }

    fn literal_list(&mut self) -> Result<Vec<Literal>, SoqlError> {
        self.comma_separated(Self::literal)
    }

    fn literal(&mut self) -> Result<Literal, SoqlError> {
        let token = self.peek().clone();
        let kind = match &token.kind {
            TokenKind::Str(raw) => {
                // Decoding never lengthens a literal, so a short one needs no decoding to be counted.
                if raw.len() > MAX_STRING_CHARS
                    && lexer::decode(raw).chars().count() > MAX_STRING_CHARS
                {
                    return Err(SoqlError::at(
                        self.text,
                        token.span.start,
                        MALFORMED_QUERY,
                        limits::string_too_long_message(),
                    ));
                }
                LiteralKind::String(raw.clone())
            }
            TokenKind::Number => LiteralKind::Number(token.text(self.text).to_owned()),
            TokenKind::Date(d) => LiteralKind::Date(*d),
            TokenKind::DateTime(d) => LiteralKind::DateTime(*d),
            TokenKind::Ident if token.is_keyword(self.text, "NULL") => LiteralKind::Null,
            TokenKind::Ident if token.is_keyword(self.text, "TRUE") => LiteralKind::Boolean(true),
            TokenKind::Ident if token.is_keyword(self.text, "FALSE") => LiteralKind::Boolean(false),
            TokenKind::Ident => match dates::lookup(token.text(self.text)) {
                Some(LiteralName::Fixed(relative)) => LiteralKind::Relative(relative),
                Some(LiteralName::WithN(form)) => {
                    self.bump();
                    self.expect_kind(&TokenKind::Colon)?;
                    let n = self.count()?;
                    let n = u32::try_from(n.value).map_err(|_| {
                        SoqlError::at(
                            self.text,
                            n.span.start,
                            MALFORMED_QUERY,
                            format!("unexpected token: '{}'", n.value),
                        )
                    })?;
                    let span = Span::new(token.span.start, self.tokens[self.pos - 1].span.end);
                    return Ok(Literal {
                        kind: LiteralKind::Relative(form.with(n)),
                        span,
                    });
                }
                None => return Err(self.unexpected(&token)),
            },
            _ => return Err(self.unexpected(&token)),
        };
        self.bump();
        Ok(Literal {
            kind,
            span: token.span,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(text: &str) -> String {
        let e = parse(text).unwrap_err();
        assert_eq!(e.code, "MALFORMED_QUERY", "{text}");
        e.message
    }

    #[test]
    fn parses_a_full_statement() {
        let s = parse(
            "SELECT Id, Account.Name, COUNT(Id) c FROM Contact c WHERE Name LIKE 'a%' AND Id IN \
             (SELECT ContactId FROM Case) GROUP BY Id, CALENDAR_YEAR(CreatedDate) HAVING COUNT(Id) > 1 \
             ORDER BY Name DESC NULLS FIRST, Id LIMIT 10 OFFSET 5",
        )
        .unwrap();
        assert_eq!(s.items.len(), 3);
        assert_eq!(s.from.name, "Contact");
        assert_eq!(s.alias.as_ref().unwrap().name, "c");
        assert!(matches!(s.filter, Some(Condition::And(ref v)) if v.len() == 2));
        assert_eq!(s.group_by.len(), 2);
        assert!(s.having.is_some());
        assert_eq!(s.order_by.len(), 2);
        assert_eq!(s.order_by[0].nulls_first, Some(true));
        assert!(s.order_by[0].descending);
        assert_eq!(s.limit.unwrap().value, 10);
        assert_eq!(s.offset.unwrap().value, 5);
    }

    #[test]
    fn mixing_and_with_or_is_refused_at_the_second_operator() {
        let m = message("SELECT Id FROM Contact WHERE A = 1 AND B = 2 OR C = 3");
        assert!(
            m.ends_with("ERROR at Row:1:Column:46\nunexpected token: 'OR'"),
            "{m}"
        );
        let m = message("SELECT Id FROM Contact WHERE A = 1 OR B = 2 AND C = 3");
        assert!(m.ends_with("unexpected token: 'AND'"), "{m}");
        let m = message("SELECT Id FROM Contact WHERE A = 1 AND NOT B = 2");
        assert!(m.ends_with("unexpected token: 'NOT'"), "{m}");
        let m = message("SELECT Id FROM Contact WHERE NOT A = 1 AND B = 2");
        assert!(m.ends_with("unexpected token: 'AND'"), "{m}");
        assert!(parse("SELECT Id FROM Contact WHERE (A = 1 AND B = 2) OR (NOT C = 3)").is_ok());
    }

    #[test]
    fn syntax_errors_point_at_the_token() {
        let m = message("SELECT Id FORM Account");
        assert_eq!(
            m,
            "\nSELECT Id FORM Account\n          ^\nERROR at Row:1:Column:11\nunexpected token: 'FORM'"
        );
        let m = message("SELECT FROM Account");
        assert!(m.ends_with("Column:8\nunexpected token: 'FROM'"), "{m}");
        let m = message("SELECT Id FROM");
        assert!(m.ends_with("Column:15\nunexpected token: '<EOF>'"), "{m}");
        let m = message("SELECT Id FROM Account WHERE CreatedDate = LAST_N_DAYS");
        assert!(m.ends_with("unexpected token: '<EOF>'"), "{m}");
        let m = message("SELECT Id FROM Account WHERE CreatedDate = TODAYS");
        assert!(m.ends_with("unexpected token: 'TODAYS'"), "{m}");
        let m = message("SELECT Id FROM Account LIMIT -1");
        assert!(m.ends_with("unexpected token: '-1'"), "{m}");
        let m = message("SELECT Id FROM Account WHERE Name IN ()");
        assert!(m.ends_with("unexpected token: ')'"), "{m}");
    }

    #[test]
    fn multi_line_statements_count_rows() {
        let m = message("SELECT Id\nFROM Account\nWHERE Name = 'a' AND\n  Id = 'b' OR Id = 'c'");
        assert_eq!(
            m,
            "\n  Id = 'b' OR Id = 'c'\n           ^\nERROR at Row:4:Column:12\nunexpected token: 'OR'"
        );
    }

    #[test]
    fn typeof_and_clauses_that_change_nothing() {
        let s = parse(
            "SELECT TYPEOF What WHEN Account THEN Phone ELSE Name END FROM Event WITH SECURITY_ENFORCED FOR VIEW",
        )
        .unwrap();
        let SelectItem::TypeOf {
            relationship,
            whens,
            else_fields,
            ..
        } = &s.items[0]
        else {
            panic!("{:?}", s.items[0]);
        };
        assert_eq!(relationship.text(), "What");
        assert_eq!(whens.len(), 1);
        assert_eq!(whens[0].object.name, "Account");
        assert_eq!(else_fields.len(), 1);
        let s = parse(
            "SELECT TYPEOF What WHEN Account THEN Phone, NumberOfEmployees WHEN Opportunity THEN Amount ELSE Name END, Subject FROM Task",
        )
        .unwrap();
        assert_eq!(s.items.len(), 2);
        let m = message("SELECT TYPEOF What ELSE Name END FROM Task");
        assert!(m.ends_with("unexpected token: 'ELSE'"), "{m}");
        let m = message("SELECT TYPEOF What WHEN Account THEN Phone FROM Task");
        assert!(m.ends_with("unexpected token: 'FROM'"), "{m}");
        assert!(parse("SELECT Id FROM Account USING SCOPE Mine FOR REFERENCE, UPDATE").is_ok());
        assert!(parse("SELECT Id FROM Account WITH NOTHING").is_err());
    }
}

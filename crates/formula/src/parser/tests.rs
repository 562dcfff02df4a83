use super::*;

/// The tree as a compact string: `(+ a b)`, calls as `NAME[args]`, fields dotted, globals with `$`.
fn show(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Number(n) => n.to_string(),
        ExprKind::Text(s) => format!("{s:?}"),
        ExprKind::Boolean(b) => b.to_string(),
        ExprKind::Null => "null".into(),
        ExprKind::Field(p) => p.join("."),
        ExprKind::Global(v, p) => format!("${v}.{}", p.join(".")),
        ExprKind::Unary(op, x) => format!("({op:?} {})", show(x)),
        ExprKind::Binary(op, a, b) => format!("({} {} {})", op.symbol(), show(a), show(b)),
        ExprKind::Call(name, args) => format!(
            "{name}[{}]",
            args.iter().map(show).collect::<Vec<_>>().join(" ")
        ),
    }
}

fn p(src: &str) -> String {
    match parse(src) {
        Ok(e) => show(&e),
        Err(e) => panic!("{src:?}: {e}"),
    }
}

fn err(src: &str) -> (String, u32, u32) {
    match parse(src) {
        Ok(e) => panic!("{src:?} parsed as {}", show(&e)),
        Err(e) => (e.message, e.line, e.column),
    }
}

#[test]
fn precedence_follows_salesforce_grammar() {
    assert_eq!(p("1 + 2 * 3"), "(+ 1 (* 2 3))");
    // `^` sits below `*` and `/` (§3.3 quirk), every level left-associative.
    assert_eq!(p("2*3^2"), "(^ (* 2 3) 2)");
    assert_eq!(p("2^3*2"), "(^ 2 (* 3 2))");
    assert_eq!(p("2^3^2"), "(^ (^ 2 3) 2)");
    assert_eq!(p("1 - 2 - 3"), "(- (- 1 2) 3)");
    assert_eq!(p("a & b + c"), "(+ (& a b) c)");
    assert_eq!(p("a < b = c > d"), "(= (< a b) (> c d))");
    assert_eq!(p("a || b && c"), "(|| a (&& b c))");
    assert_eq!(p("a && b = c"), "(&& a (= b c))");
    assert_eq!(p("1 + 2 < 4"), "(< (+ 1 2) 4)");
    assert_eq!(p("(1 + 2) * 3"), "(* (+ 1 2) 3)");
    assert_eq!(p("-2^2"), "(^ (Negate 2) 2)");
    assert_eq!(p("-a * +b"), "(* (Negate a) (Plus b))");
    assert_eq!(p("!a && NOT b"), "(&& (Not a) (Not b))");
    assert_eq!(p("NOT(a) || b"), "(|| NOT[a] b)");
}

#[test]
fn operator_spellings() {
    assert_eq!(p("a = b"), p("a == b"));
    assert_eq!(p("a != b"), p("a <> b"));
    assert_eq!(p("a<=b"), "(<= a b)");
    assert_eq!(p("a>=b"), "(>= a b)");
    assert_eq!(p("a&&b||c"), "(|| (&& a b) c)");
}

#[test]
fn literals() {
    assert_eq!(p("12"), "12");
    assert_eq!(p("2.50"), "2.5");
    assert_eq!(p(r#""a\"b""#), r#""a\"b""#);
    assert_eq!(p(r"'it\'s'"), r#""it's""#);
    assert_eq!(p(r"'a\n\r\t\\'"), r#""a\n\r\t\\""#);
    assert_eq!(p(r#"'say "hi"'"#), r#""say \"hi\"""#);
    assert_eq!(p("TRUE || false"), "(|| true false)");
    assert_eq!(p("null"), "null");
    assert_eq!(p("''"), r#""""#);
}

#[test]
fn names_paths_globals_and_calls() {
    assert_eq!(p("Account.Industry"), "Account.Industry");
    assert_eq!(p("Parent__r.Name__c"), "Parent__r.Name__c");
    assert_eq!(p("Owner.Profile.Name"), "Owner.Profile.Name");
    assert_eq!(p("$User.Id"), "$User.Id");
    assert_eq!(p("$RecordType.DeveloperName"), "$RecordType.DeveloperName");
    assert_eq!(p("isBlank(Name)"), "isBlank[Name]");
    assert_eq!(p("TODAY()"), "TODAY[]");
    assert_eq!(
        p("IF(a > 1, 'x', CASE(b, 1, 'y', 'z'))"),
        r#"IF[(> a 1) "x" CASE[b 1 "y" "z"]]"#
    );
}

#[test]
fn comments_whitespace_and_newlines() {
    assert_eq!(
        p("/* start */ a\n\t+ /* mid\n line */ b /* end */"),
        "(+ a b)"
    );
    let e = parse("\n  /* x */ a +\n   b").expect("parses");
    assert_eq!((e.span.line, e.span.column), (2, 13));
}

#[test]
fn spans() {
    let e = parse("IF(a,\n  b / c, d)").expect("parses");
    assert_eq!((e.span.line, e.span.column, e.span.offset), (1, 1, 0));
    let ExprKind::Call(_, args) = &e.kind else {
        panic!("a call")
    };
    // A binary node's span is its operator's.
    assert_eq!((args[1].span.line, args[1].span.column), (2, 5));
    let ExprKind::Binary(_, left, _) = &args[1].kind else {
        panic!("binary")
    };
    assert_eq!((left.span.line, left.span.column), (2, 3));
    // Columns count characters, not bytes.
    let e = parse("'é' & x").expect("parses");
    assert_eq!(e.span.column, 5);
}

#[test]
fn syntax_errors_say_where() {
    assert_eq!(
        err("1 +"),
        ("Syntax error.  Found 'end of formula'".into(), 1, 4)
    );
    assert_eq!(err("1 2"), ("Syntax error. Extra 2".into(), 1, 3));
    assert_eq!(err("(a + b"), ("Syntax error.  Missing ')'".into(), 1, 7));
    assert_eq!(
        err("IF(a, b\n c)"),
        ("Syntax error.  Missing ')'".into(), 2, 2)
    );
    assert_eq!(err("a)"), ("Syntax error. Extra )".into(), 1, 2));
    assert_eq!(err("f(a,)"), ("Syntax error.  Found ')'".into(), 1, 5));
    assert_eq!(err("a ? b"), ("Syntax error.  Found '?'".into(), 1, 3));
    assert_eq!(err("a | b"), ("Syntax error.  Found '|'".into(), 1, 3));
    assert_eq!(
        err("x +\n  'abc"),
        ("Syntax error.  Missing '''".into(), 2, 3)
    );
    assert_eq!(
        err("\"ab\ncd\""),
        ("Syntax error.  Missing '\"'".into(), 1, 1)
    );
    assert_eq!(err("'a\\qb'"), ("Syntax error.  Found '\\q'".into(), 1, 3));
    assert_eq!(
        err("1 /* never closed"),
        ("Syntax error.  Missing '*/'".into(), 1, 3)
    );
    assert_eq!(err("1. + 2"), ("Syntax error.  Found '.'".into(), 1, 2));
    assert_eq!(err(".5"), ("Syntax error.  Found '.'".into(), 1, 1));
    assert_eq!(
        err(""),
        ("Syntax error.  Found 'end of formula'".into(), 1, 1)
    );
    assert_eq!(
        err("NOT"),
        ("Syntax error.  Found 'end of formula'".into(), 1, 4)
    );
    assert_eq!(
        err("a ="),
        ("Syntax error.  Found 'end of formula'".into(), 1, 4)
    );
}

#[test]
fn nesting_is_bounded_without_overflowing() {
    let deep = format!("{}1{}", "(".repeat(5000), ")".repeat(5000));
    let (message, line, column) = err(&deep[..3900.min(deep.len())]);
    assert!(message.contains("nested too deeply"), "{message}");
    assert_eq!((line, column), (1, 101));
    let ok = format!("{}1{}", "(".repeat(99), ")".repeat(99));
    assert_eq!(p(&ok), "1");
    let calls = format!("{}1{}", "ABS(".repeat(200), ")".repeat(200));
    assert!(err(&calls).0.contains("nested too deeply"));
    let minus = "-".repeat(3000) + "1";
    assert!(err(&minus).0.contains("nested too deeply"));
    // A long chain of binary operators is a deep tree too.
    let chain = vec!["a"; 1000].join("&");
    let (message, _, _) = err(&chain);
    assert!(message.contains("too complex"), "{message}");
    let fine = vec!["a"; 300].join(" & ");
    assert!(parse(&fine).is_ok());
}

#[test]
fn length_is_bounded() {
    let long = format!("'{}'", "x".repeat(3898));
    assert!(parse(&long).is_ok());
    let longer = format!("'{}'", "x".repeat(3899));
    assert_eq!(
        err(&longer),
        (
            "Formula is too long (3,901 characters).  Maximum length is 3,900 characters".into(),
            1,
            1
        )
    );
}

#[test]
fn thousands_separators() {
    assert_eq!(thousands(7), "7");
    assert_eq!(thousands(3900), "3,900");
    assert_eq!(thousands(1234567), "1,234,567");
}

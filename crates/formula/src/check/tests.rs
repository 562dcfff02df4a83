use super::*;
use crate::ast::BinaryOp;

mod signatures;

/// An Account-like object: its own fields, `Owner` (a User) and `Parent` (an Account) as lookups, and the
/// globals `$User.Id`/`$User.Email` and `$RecordType.DeveloperName`.
struct TestObject;

fn own_field(name: &str) -> Option<(&'static str, FType, bool)> {
    let known: [(&str, FType, bool); 12] = [
        ("Name", FType::Text, false),
        ("Industry", FType::Picklist, false),
        ("AnnualRevenue", FType::Number, false),
        ("NumberOfEmployees", FType::Number, false),
        ("Active__c", FType::Boolean, false),
        ("Tags__c", FType::MultiPicklist, false),
        ("Founded__c", FType::Date, false),
        ("LastSeen__c", FType::DateTime, false),
        ("Opens__c", FType::Time, false),
        ("Score__c", FType::Number, true),
        ("OwnerId", FType::Text, false),
        ("ParentId", FType::Text, false),
    ];
    known
        .into_iter()
        .find(|(n, _, _)| n.eq_ignore_ascii_case(name))
}

impl Resolver for TestObject {
    fn field(&self, path: &[String]) -> Option<ResolvedField> {
        match path {
            [field] => own_field(field).map(|(name, ty, is_formula)| ResolvedField {
                hops: vec![],
                object: "Account".into(),
                field: name.into(),
                ty,
                is_formula,
            }),
            [rel, field] if rel.eq_ignore_ascii_case("Owner") => {
                let (name, ty) = [("Name", FType::Text), ("Email", FType::Text)]
                    .into_iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(field))?;
                Some(ResolvedField {
                    hops: vec![Hop {
                        reference_field: "OwnerId".into(),
                        object: "User".into(),
                    }],
                    object: "User".into(),
                    field: name.into(),
                    ty,
                    is_formula: false,
                })
            }
            [rel, field] if rel.eq_ignore_ascii_case("Parent") => {
                let (name, ty, is_formula) = own_field(field)?;
                Some(ResolvedField {
                    hops: vec![Hop {
                        reference_field: "ParentId".into(),
                        object: "Account".into(),
                    }],
                    object: "Account".into(),
                    field: name.into(),
                    ty,
                    is_formula,
                })
            }
            _ => None,
        }
    }

    fn global(&self, variable: &str, field: &str) -> Option<(String, String, FType)> {
        let known = [
            ("User", "Id"),
            ("User", "Email"),
            ("RecordType", "DeveloperName"),
        ];
        known
            .into_iter()
            .find(|(v, f)| v.eq_ignore_ascii_case(variable) && f.eq_ignore_ascii_case(field))
            .map(|(v, f)| (v.to_string(), f.to_string(), FType::Text))
    }
}

fn rule() -> CompileOptions {
    CompileOptions {
        blanks: Blanks::AsBlank,
        expected: Some(FType::Boolean),
        allow_prior: true,
    }
}

fn any() -> CompileOptions {
    CompileOptions::default()
}

fn ok(src: &str, options: CompileOptions) -> Formula {
    compile(src, &TestObject, options).unwrap_or_else(|e| panic!("{src:?}: {e}"))
}

fn ty(src: &str) -> FType {
    ok(src, any()).return_type
}

/// The message, line and column of a refused formula.
fn err_with(src: &str, options: CompileOptions) -> (String, u32, u32) {
    match compile(src, &TestObject, options) {
        Ok(f) => panic!("{src:?} compiled: {:?}", f.return_type),
        Err(e) => (e.message, e.line, e.column),
    }
}

fn err(src: &str) -> (String, u32, u32) {
    err_with(src, any())
}

fn msg(src: &str) -> String {
    err(src).0
}

#[test]
fn literals_and_fields_are_typed() {
    assert_eq!(ty("1.5"), FType::Number);
    assert_eq!(ty("'a'"), FType::Text);
    assert_eq!(ty("TRUE"), FType::Boolean);
    assert_eq!(ty("NULL"), FType::Null);
    assert_eq!(ty("name"), FType::Text);
    assert_eq!(ty("Founded__c"), FType::Date);
    assert_eq!(ty("Owner.Email"), FType::Text);
    assert_eq!(ty("$User.Id"), FType::Text);
}

#[test]
fn fields_and_globals_are_listed_once_in_order() {
    let f = ok(
        "IF(Name = Owner.Name && $User.Id = OwnerId, NAME & $user.id, Parent.Name & owner.name)",
        any(),
    );
    let names: Vec<_> = f
        .fields
        .iter()
        .map(|f| (f.hops.len(), f.object.as_str(), f.field.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            (0, "Account", "Name"),
            (1, "User", "Name"),
            (0, "Account", "OwnerId"),
            (1, "Account", "Name"),
        ]
    );
    assert_eq!(f.globals.len(), 1);
    assert_eq!(
        (f.globals[0].variable.as_str(), f.globals[0].field.as_str()),
        ("User", "Id")
    );
    assert!(!f.uses_prior && !f.uses_now);
    assert_eq!(f.return_type, FType::Text);
    let TKind::Call(Func::If, args) = &f.expr.kind else {
        panic!("IF")
    };
    let TKind::Binary(BinaryOp::Concat, left, _) = &args[1].kind else {
        panic!("&")
    };
    assert_eq!(left.kind, TKind::Field(0));
}

#[test]
fn flags_and_options_are_carried() {
    let f = ok("ISCHANGED(Name) || TODAY() > Founded__c", rule());
    assert!(f.uses_prior && f.uses_now);
    assert_eq!(f.blanks, Blanks::AsBlank);
    assert_eq!(f.return_type, FType::Boolean);
    assert!(ok("ISNEW()", rule()).uses_prior);
    assert!(ok("NOW() > LastSeen__c", rule()).uses_now);
    // NULL takes the expected type.
    let number = CompileOptions {
        expected: Some(FType::Number),
        ..any()
    };
    assert_eq!(ok("NULL", number).return_type, FType::Number);
}

#[test]
fn operator_types() {
    assert_eq!(ty("1 + 2 * 3 / 4 ^ 2 - -1"), FType::Number);
    assert_eq!(ty("'a' + 'b'"), FType::Text);
    assert_eq!(ty("'a' & Name"), FType::Text);
    assert_eq!(ty("Founded__c + 1"), FType::Date);
    assert_eq!(ty("1 + Founded__c"), FType::Date);
    assert_eq!(ty("Founded__c - 1.5"), FType::Date);
    assert_eq!(ty("Founded__c - TODAY()"), FType::Number);
    assert_eq!(ty("LastSeen__c + 0.5"), FType::DateTime);
    assert_eq!(ty("NOW() - LastSeen__c"), FType::Number);
    assert_eq!(ty("Opens__c + 3600000"), FType::Time);
    assert_eq!(ty("Opens__c - Opens__c"), FType::Number);
    assert_eq!(ty("AnnualRevenue + NULL"), FType::Number);
    assert_eq!(
        ty("Name = 'x' && 1 < 2 || Founded__c >= TODAY()"),
        FType::Boolean
    );
    assert_eq!(ty("Active__c = TRUE"), FType::Boolean);
    assert_eq!(ty("Name <> NULL"), FType::Boolean);
    assert_eq!(ty("NOT Active__c"), FType::Boolean);
    assert_eq!(ty("!Active__c"), FType::Boolean);
}

#[test]
fn operator_type_errors_name_the_operand() {
    assert_eq!(
        err("Founded__c + Founded__c"),
        (
            "Incorrect parameter type for operator '+'. Expected Number, received Date".into(),
            1,
            14
        )
    );
    assert_eq!(
        err("1 = Founded__c"),
        (
            "Incorrect parameter type for operator '='. Expected Number, received Date".into(),
            1,
            5
        )
    );
    assert_eq!(
        msg("Active__c == Founded__c"),
        "Incorrect parameter type for operator '='. Expected Boolean, received Date"
    );
    assert_eq!(
        msg("1 - Founded__c"),
        "Incorrect parameter type for operator '-'. Expected Number, received Date"
    );
    assert_eq!(
        msg("Founded__c - LastSeen__c"),
        "Incorrect parameter type for operator '-'. Expected Number, received DateTime"
    );
    assert_eq!(
        msg("TRUE + TRUE"),
        "Incorrect parameter type for operator '+'. Expected Number, received Boolean"
    );
    assert_eq!(
        msg("'a' * 2"),
        "Incorrect parameter type for operator '*'. Expected Number, received Text"
    );
    assert_eq!(
        msg("1 & 'a'"),
        "Incorrect parameter type for operator '&'. Expected Text, received Number"
    );
    assert_eq!(
        msg("Name && TRUE"),
        "Incorrect parameter type for operator '&&'. Expected Boolean, received Text"
    );
    assert_eq!(
        msg("TRUE < FALSE"),
        "Incorrect parameter type for operator '<'. Expected Number, received Boolean"
    );
    assert_eq!(
        msg("-Name"),
        "Incorrect parameter type for operator '-'. Expected Number, received Text"
    );
    assert_eq!(
        err("\n  NOT 1"),
        (
            "Incorrect parameter type for operator 'NOT'. Expected Boolean, received Number".into(),
            2,
            7
        )
    );
}

#[test]
fn unknown_names() {
    assert_eq!(
        err("1 + Nope__c"),
        ("Field Nope__c does not exist. Check spelling.".into(), 1, 5)
    );
    assert_eq!(
        err("Owner.Phone"),
        (
            "Field Owner.Phone does not exist. Check spelling.".into(),
            1,
            1
        )
    );
    assert_eq!(
        msg("Account..Name"),
        "Field Account..Name does not exist. Check spelling."
    );
    assert_eq!(
        err("'a' & $User.Nope"),
        (
            "Field $User.Nope does not exist. Check spelling.".into(),
            1,
            7
        )
    );
    assert_eq!(msg("$User"), "Field $User does not exist. Check spelling.");
    assert_eq!(
        msg("$User.Id.Name"),
        "Field $User.Id.Name does not exist. Check spelling."
    );
    assert_eq!(
        err("IF(TRUE, Foo(1), 2)"),
        ("Unknown function FOO. Check spelling.".into(), 1, 10)
    );
}

#[test]
fn picklists_only_in_certain_functions() {
    let picklist = "Field Industry is a picklist field. Picklist fields are only supported in certain functions.";
    assert_eq!(err("Industry = 'Energy'"), (picklist.into(), 1, 1));
    assert_eq!(err("'x' & Industry"), (picklist.into(), 1, 7));
    assert_eq!(err("LEN(Industry)"), (picklist.into(), 1, 5));
    assert_eq!(err("Industry"), (picklist.into(), 1, 1));
    assert_eq!(
        err_with(
            "ISPICKVAL(PRIORVALUE(Industry), 'x') || PRIORVALUE(Industry) = 'y'",
            rule()
        )
        .0,
        picklist
    );
    assert_eq!(
        msg("Parent.Industry = 'x'"),
        "Field Parent.Industry is a picklist field. Picklist fields are only supported in certain functions."
    );
    assert_eq!(
        msg("CONTAINS(Tags__c, 'a')"),
        "Field Tags__c is a multi-select picklist field. Multi-select picklist fields are only supported in \
         certain functions."
    );
    // Where they are allowed.
    assert_eq!(ty("ISPICKVAL(Industry, 'Energy')"), FType::Boolean);
    assert_eq!(ty("TEXT(Industry) & '!'"), FType::Text);
    assert_eq!(
        ty("CASE(Industry, 'Energy', 1, 'Retail', 2, 0)"),
        FType::Number
    );
    assert_eq!(ty("ISBLANK(Industry) && ISNULL(Tags__c)"), FType::Boolean);
    assert_eq!(ty("INCLUDES(Tags__c, 'a')"), FType::Boolean);
    assert!(
        ok(
            "ISCHANGED(Industry) && ISPICKVAL(PRIORVALUE(Industry), 'x')",
            rule()
        )
        .uses_prior
    );
    assert_eq!(
        msg("ISPICKVAL(Name, 'x')"),
        "Incorrect parameter type for function 'ISPICKVAL()'. Expected Picklist, received Text"
    );
    assert_eq!(msg("INCLUDES(Industry, 'x')"), picklist);
    assert_eq!(
        msg("INCLUDES(Name, 'x')"),
        "Incorrect parameter type for function 'INCLUDES()'. Expected Multi-Select Picklist, received Text"
    );
    assert_eq!(
        msg("CASE(Industry, 1, 2, 3)"),
        "Incorrect parameter type for function 'CASE()'. Expected Text, received Number"
    );
    // A picklist default value gives text.
    let picklist_default = CompileOptions {
        expected: Some(FType::Picklist),
        ..any()
    };
    assert_eq!(ok("'Energy'", picklist_default).return_type, FType::Text);
}

#[test]
fn result_type_against_expected() {
    assert_eq!(
        err_with("Name & 'x'", rule()),
        (
            "Formula result is data type (Text), incompatible with expected data type (true/false).".into(),
            1,
            1
        )
    );
    let date = CompileOptions {
        expected: Some(FType::Date),
        ..any()
    };
    assert_eq!(
        err_with("NOW()", date).0,
        "Formula result is data type (Date/Time), incompatible with expected data type (Date)."
    );
    assert_eq!(
        err_with("1 > 0", date).0,
        "Formula result is data type (true/false), incompatible with expected data type (Date)."
    );
    assert_eq!(ok("TODAY() + 7", date).return_type, FType::Date);
}

#[test]
fn prior_value_functions_only_where_allowed() {
    for (src, name, column) in [
        ("ISNEW()", "ISNEW", 1),
        ("NOT(ISCHANGED(Name))", "ISCHANGED", 5),
        ("PriorValue(Name) = 'x'", "PRIORVALUE", 1),
    ] {
        assert_eq!(
            err(src),
            (
                format!("Function {name} may not be used in this type of formula"),
                1,
                column
            ),
            "{src}"
        );
    }
    assert_eq!(
        err_with("ISCHANGED(Name & 'x')", rule()),
        (
            "Incorrect parameter type for function 'ISCHANGED()'. Expected Field, received Text"
                .into(),
            1,
            16
        )
    );
    assert_eq!(
        ok("PRIORVALUE(AnnualRevenue) > AnnualRevenue", rule()).return_type,
        FType::Boolean
    );
}

#[test]
fn syntax_errors_come_through_compile() {
    assert_eq!(
        err("IF(a,\n b"),
        ("Syntax error.  Missing ')'".into(), 2, 3)
    );
}

/// Formulas stitched from random pieces never panic, and every refusal points inside the text.
#[test]
fn random_formulas_never_panic() {
    const PIECES: [&str; 40] = [
        "(",
        ")",
        ",",
        "+",
        "-",
        "*",
        "/",
        "^",
        "&",
        "=",
        "==",
        "!=",
        "<>",
        "<",
        "<=",
        ">",
        ">=",
        "&&",
        "||",
        "!",
        "NOT",
        "1",
        "2.5",
        "'a'",
        "\"b\\n\"",
        "TRUE",
        "NULL",
        "Name",
        "Industry",
        "Founded__c",
        "Owner.Name",
        "$User.Id",
        "IF(",
        "CASE(",
        "AND(",
        "TEXT(",
        "ISPICKVAL(",
        "PRIORVALUE(",
        "/* c */",
        "\n",
    ];
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let mut compiled = 0;
    for round in 0..20_000 {
        let len = 1 + next(12);
        let text: String = (0..len)
            .map(|_| PIECES[next(PIECES.len())])
            .collect::<Vec<_>>()
            .join(" ");
        let options = CompileOptions {
            blanks: Blanks::AsZero,
            expected: [None, Some(FType::Boolean), Some(FType::Text)][round % 3],
            allow_prior: round % 2 == 0,
        };
        match compile(&text, &TestObject, options) {
            Ok(_) => compiled += 1,
            Err(e) => {
                let lines: Vec<&str> = text.split('\n').collect();
                let line = lines.get(e.line as usize - 1).expect("line in range");
                assert!(
                    e.column >= 1 && e.column as usize <= line.chars().count() + 1,
                    "{text:?}: {e}"
                );
                assert!(!e.message.is_empty());
            }
        }
    }
    assert!(compiled > 100, "only {compiled} compiled");
}

#[test]
fn the_deepest_tree_compiles_within_a_test_threads_stack() {
    let chain = ["1"; 300].join("+");
    let deepest = format!("{}{chain}{}", "ABS(".repeat(99), ")".repeat(99));
    assert_eq!(ty(&deepest), FType::Number);
}

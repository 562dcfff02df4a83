use super::*;
use crate::schema::FormulaSpec;
use bulkforce_formula::{CompileOptions, compile};

fn path(text: &str) -> Vec<String> {
    text.split('.').map(str::to_owned).collect()
}

fn resolve(schema: &Schema, object: &str, text: &str) -> Option<ResolvedField> {
    let object = schema.object(object).expect("a builtin object");
    SchemaResolver::new(schema, object).field(&path(text))
}

fn hop(reference_field: &str, object: &str) -> Hop {
    Hop {
        reference_field: reference_field.into(),
        object: object.into(),
    }
}

#[test]
fn own_fields_without_case() {
    let schema = Schema::builtin();
    let name = resolve(&schema, "Account", "name").expect("Account.Name");
    assert_eq!(
        name,
        ResolvedField {
            hops: vec![],
            object: "Account".into(),
            field: "Name".into(),
            ty: FType::Text,
            is_formula: false,
        }
    );
    let ty = |object: &str, field: &str| resolve(&schema, object, field).map(|f| f.ty);
    assert_eq!(ty("Account", "Industry"), Some(FType::Picklist));
    assert_eq!(ty("Account", "AnnualRevenue"), Some(FType::Number));
    assert_eq!(ty("Account", "NumberOfEmployees"), Some(FType::Number));
    assert_eq!(ty("Account", "OwnerId"), Some(FType::Text));
    assert_eq!(ty("Account", "Id"), Some(FType::Text));
    assert_eq!(ty("Opportunity", "Probability"), Some(FType::Number));
    assert_eq!(ty("Opportunity", "CloseDate"), Some(FType::Date));
    assert_eq!(ty("Opportunity", "IsWon"), Some(FType::Boolean));
    assert_eq!(ty("Account", "CreatedDate"), Some(FType::DateTime));
    // A compound address is read through its components.
    assert_eq!(ty("Account", "BillingAddress"), None);
    assert_eq!(ty("Account", "BillingCity"), Some(FType::Text));
}

#[test]
fn parents_through_relationship_names() {
    let schema = Schema::builtin();
    let industry = resolve(&schema, "Contact", "Account.Industry").expect("Contact -> Account");
    assert_eq!(industry.hops, [hop("AccountId", "Account")]);
    assert_eq!(
        (industry.object.as_str(), industry.field.as_str()),
        ("Account", "Industry")
    );
    assert_eq!(industry.ty, FType::Picklist);
    let owner = resolve(&schema, "Account", "owner.NAME").expect("Account -> Owner");
    assert_eq!(owner.hops, [hop("OwnerId", "User")]);
    assert_eq!(
        (owner.object.as_str(), owner.field.as_str()),
        ("User", "Name")
    );
    let two = resolve(&schema, "Contact", "Account.Owner.Email").expect("two hops");
    assert_eq!(
        two.hops,
        [hop("AccountId", "Account"), hop("OwnerId", "User")]
    );
    // A polymorphic owner reads as a User, or as the type it names.
    let case_owner = resolve(&schema, "Case", "Owner.Name").expect("Case -> Owner");
    assert_eq!(case_owner.hops, [hop("OwnerId", "User")]);
    let queue = resolve(&schema, "Case", "Owner:Queue.Name").expect("Case -> Owner:Queue");
    assert_eq!(queue.hops, [hop("OwnerId", "Group")]);
    let user = resolve(&schema, "Case", "Owner:User.Email").expect("Case -> Owner:User");
    assert_eq!(user.hops, [hop("OwnerId", "User")]);
}

#[test]
fn unknown_names_resolve_to_nothing() {
    let schema = Schema::builtin();
    for text in [
        "Nope__c",
        "Account.Nope",
        "Nope.Name",
        // A path ends in a field, not a relationship; lookups are named by relationship, not field.
        "Account.Owner",
        "AccountId.Name",
        "Owner:Lead.Name",
        "",
    ] {
        assert_eq!(resolve(&schema, "Contact", text), None, "{text}");
    }
    let eleven = ["Parent"; 11].join(".") + ".Name";
    assert_eq!(resolve(&schema, "Account", &eleven), None);
    let ten = ["Parent"; 10].join(".") + ".Name";
    assert_eq!(
        resolve(&schema, "Account", &ten).map(|f| f.hops.len()),
        Some(10)
    );
}

#[test]
fn globals() {
    let schema = Schema::builtin();
    let account = schema.object("Account").expect("Account");
    let resolver = SchemaResolver::new(&schema, account);
    let global = |v: &str, f: &str| resolver.global(v, f);
    assert_eq!(
        global("user", "email"),
        Some(("User".into(), "Email".into(), FType::Text))
    );
    assert_eq!(
        global("User", "IsActive").map(|g| g.2),
        Some(FType::Boolean)
    );
    assert_eq!(global("Profile", "name").map(|g| g.1), Some("Name".into()));
    assert_eq!(
        global("RecordType", "developername"),
        Some(("RecordType".into(), "DeveloperName".into(), FType::Text))
    );
    assert_eq!(
        global("Organization", "Name").map(|g| g.0),
        Some("Organization".into())
    );
    assert_eq!(
        global("UserRole", "DeveloperName").map(|g| g.2),
        Some(FType::Text)
    );
    assert_eq!(
        global("Permission", "Can_Approve").map(|g| g.2),
        Some(FType::Boolean)
    );
    assert_eq!(
        global("System", "OriginDateTime").map(|g| g.2),
        Some(FType::DateTime)
    );
    assert_eq!(global("User", "Nope"), None);
    assert_eq!(global("Profile", "Email"), None);
    assert_eq!(global("Nope", "Id"), None);
    assert_eq!(global("Permission", "a.b"), None);
}

/// Account with formula fields: `Score__c` (reads AnnualRevenue), and `A__c` / `B__c` that read each other.
fn with_formulas() -> Schema {
    let mut schema = Schema::builtin();
    let mut account = (**schema.object("Account").expect("Account")).clone();
    let template = account
        .field("AnnualRevenue")
        .expect("a number field")
        .clone();
    for (name, source) in [
        ("Score__c", "AnnualRevenue / 1000"),
        ("A__c", "B__c + 1"),
        ("B__c", "Parent.A__c * 2"),
        ("C__c", "Score__c + Score__c"),
    ] {
        let mut field = template.clone();
        field.name = name.into();
        field.custom = true;
        field.traits.formula = Some(FormulaSpec {
            source: source.into(),
            blanks_as_zero: true,
        });
        account.upsert_field(field);
    }
    schema.replace_object(account);
    schema
}

#[test]
fn formula_fields_and_loops() {
    let schema = with_formulas();
    let score = resolve(&schema, "Account", "Score__c").expect("a formula field");
    assert!(score.is_formula);
    assert_eq!(score.ty, FType::Number);
    assert!(resolve(&schema, "Contact", "Account.C__c").is_some_and(|f| f.is_formula));
    // A__c -> B__c -> Parent.A__c loops: neither resolves, and the resolver says why.
    assert_eq!(resolve(&schema, "Account", "A__c"), None);
    assert_eq!(resolve(&schema, "Contact", "Account.B__c"), None);
    let account = schema.object("Account").expect("Account");
    let resolver = SchemaResolver::new(&schema, account);
    assert_eq!(
        resolver.self_reference(&path("A__c")).as_deref(),
        Some("Account.A__c -> Account.B__c -> Account.A__c")
    );
    assert_eq!(resolver.self_reference(&path("Score__c")), None);
    let err = compile("A__c > 1", &resolver, CompileOptions::default()).expect_err("a loop");
    assert_eq!(
        err.message,
        "Formula cannot use another formula field that directly or indirectly refers to itself. \
         Account.A__c -> Account.B__c -> Account.A__c"
    );
}

#[test]
fn compiles_against_the_builtin_schema() {
    let schema = Schema::builtin();
    let contact = schema.object("Contact").expect("Contact");
    let resolver = SchemaResolver::new(&schema, contact);
    let formula = compile(
        "AND(ISPICKVAL(Account.Industry, 'Energy'), ISBLANK(Email), $User.Id <> OwnerId)",
        &resolver,
        CompileOptions {
            expected: Some(FType::Boolean),
            ..CompileOptions::default()
        },
    )
    .expect("compiles");
    let fields: Vec<_> = formula.fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, ["Industry", "Email", "OwnerId"]);
    assert_eq!(formula.globals[0].variable, "User");
    let err =
        compile("Account.Nope__c", &resolver, CompileOptions::default()).expect_err("unknown");
    assert_eq!(
        (err.message.as_str(), err.line, err.column),
        (
            "Field Account.Nope__c does not exist. Check spelling.",
            1,
            1
        )
    );
}

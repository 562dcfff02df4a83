use super::*;

fn rule(name: &str, active: bool, display: Option<&str>) -> ValidationRule {
    ValidationRule {
        name: name.into(),
        active,
        condition: "AnnualRevenue < 0".into(),
        message: "Amount must not be negative.".into(),
        display_field: display.map(str::to_owned),
    }
}

#[test]
fn a_rule_error_renders_as_salesforce_sf_error() {
    let with_field = rule_error(&rule("R", true, Some("Amount__c")));
    assert_eq!(
        with_field.to_string(),
        "FIELD_CUSTOM_VALIDATION_EXCEPTION:Amount must not be negative.:Amount__c --"
    );
    assert_eq!(with_field.fields, vec!["Amount__c".to_owned()]);
    let top_of_page = rule_error(&rule("R", true, None));
    assert_eq!(
        top_of_page.to_string(),
        "FIELD_CUSTOM_VALIDATION_EXCEPTION:Amount must not be negative.:--"
    );
    assert!(top_of_page.fields.is_empty());
    // An empty errorDisplayField element is top of page too.
    assert!(rule_error(&rule("R", true, Some(""))).fields.is_empty());
}

#[test]
fn only_active_rules_are_compiled_in_name_order() {
    use crate::org::rules::resolver::SchemaResolver;
    use crate::schema::Schema;
    let schema = Schema::builtin();
    let mut account = (**schema.object("Account").expect("Account is built in")).clone();
    account.validation_rules = vec![
        rule("Zeta", true, Some("AnnualRevenue")),
        rule("Off", false, None),
        rule("Alpha", true, None),
    ];
    let rules = ObjectRules::compile(&account, &SchemaResolver::new(&schema, &account));
    assert!(rules.broken().is_empty(), "{:?}", rules.broken());
    let names: Vec<&str> = rules.rules().iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["Alpha", "Zeta"]);
    assert!(!rules.uses_prior());
}

//! Values an org derives from a record's own picklists: an Opportunity's `IsClosed`, `IsWon`,
//! `Probability` and forecast categories from its `StageName`; `IsClosed` of a Case or Task from its
//! `Status`; a Task's `IsHighPriority` from its `Priority`; the `StatusCode` of a Contract or Order from its
//! `Status`. Salesforce sets these itself (they are not createable, or default from the stage), so a row
//! gets them from the values it writes, whichever API wrote it.
//!
//! Which derivations an object has is decided once per plan ([`Derivations::for_object`]); a row pays only
//! for the rules of its object, and only when it sets their source field (a few picklist compares).

use crate::ingest::RowValues;
use crate::schema::SObject;
use crate::value::Value;

/// One value of the `OpportunityStage` picklist of a new org, with what it implies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpportunityStage {
    pub name: &'static str,
    /// The stage's default probability (%), given to an opportunity that does not set its own.
    pub probability: u8,
    /// The default `ForecastCategoryName` (the API value of its label: `Pipeline`, `Best Case`, …).
    pub forecast_category_name: &'static str,
    pub closed: bool,
    pub won: bool,
}

const fn open(name: &'static str, probability: u8) -> OpportunityStage {
    OpportunityStage {
        name,
        probability,
        forecast_category_name: "Pipeline",
        closed: false,
        won: false,
    }
}

/// The stages of a new org, in their picklist order.
pub const OPPORTUNITY_STAGES: [OpportunityStage; 10] = [
    open("Prospecting", 10),
    open("Qualification", 10),
    open("Needs Analysis", 20),
    open("Value Proposition", 50),
    open("Id. Decision Makers", 60),
    open("Perception Analysis", 70),
    open("Proposal/Price Quote", 75),
    open("Negotiation/Review", 90),
    OpportunityStage {
        name: "Closed Won",
        probability: 100,
        forecast_category_name: "Closed",
        closed: true,
        won: true,
    },
    OpportunityStage {
        name: "Closed Lost",
        probability: 0,
        forecast_category_name: "Omitted",
        closed: true,
        won: false,
    },
];

/// The stage named `name` (picklist values compare without ASCII case), `None` for a stage this org does
/// not know (a stage a describe file added: nothing is derived from it).
pub fn opportunity_stage(name: &str) -> Option<&'static OpportunityStage> {
    OPPORTUNITY_STAGES
        .iter()
        .find(|s| s.name.eq_ignore_ascii_case(name))
}

/// `ForecastCategory` (the older, restricted picklist) for a `ForecastCategoryName`: the same category
/// under its API name (`Best Case` is `BestCase`, `Commit` is `Forecast`).
pub fn forecast_category(name: &str) -> Option<&'static str> {
    const CATEGORIES: [(&str, &str); 5] = [
        ("Omitted", "Omitted"),
        ("Pipeline", "Pipeline"),
        ("Best Case", "BestCase"),
        ("Commit", "Forecast"),
        ("Closed", "Closed"),
    ];
    CATEGORIES
        .iter()
        .find(|(label, _)| label.eq_ignore_ascii_case(name))
        .map(|(_, category)| *category)
}

/// `CaseStatus` values of a new org that close a case.
pub const CLOSED_CASE_STATUSES: &[&str] = &["Closed"];
/// `TaskStatus` values of a new org that close a task.
pub const CLOSED_TASK_STATUSES: &[&str] = &["Completed"];
/// `TaskPriority` values of a new org that are high priority.
pub const HIGH_TASK_PRIORITIES: &[&str] = &["High"];
/// A Contract's `Status` (the org's labels) → its `StatusCode` (the fixed category).
pub const CONTRACT_STATUS_CODES: &[(&str, &str)] = &[
    ("Draft", "Draft"),
    ("In Approval Process", "InApproval"),
    ("Activated", "Activated"),
];
/// An Order's `Status` → its `StatusCode`.
pub const ORDER_STATUS_CODES: &[(&str, &str)] = &[("Draft", "Draft"), ("Activated", "Activated")];

/// The Opportunity fields a stage sets (each `None` when the object lacks it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct StageFields {
    stage: usize,
    is_closed: Option<usize>,
    is_won: Option<usize>,
    probability: Option<usize>,
    forecast_category: Option<usize>,
    forecast_category_name: Option<usize>,
}

/// One derivation: where it reads and what it writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// Opportunity: everything a stage implies, and `ForecastCategory` from `ForecastCategoryName`.
    Stage(StageFields),
    /// A boolean that is true when `source` holds one of `when` (false for any other value or none).
    Flag {
        source: usize,
        flag: usize,
        when: &'static [&'static str],
    },
    /// A code picked by `source`'s value from `table` (null for a value the table lacks).
    Code {
        source: usize,
        code: usize,
        table: &'static [(&'static str, &'static str)],
    },
}

/// The derivations of one object, resolved to field indexes once per plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Derivations {
    rules: Vec<Rule>,
}

impl Derivations {
    /// The derivations `object` has, or `None` when it has none (most objects: their rows pay nothing).
    pub fn for_object(object: &SObject) -> Option<Derivations> {
        let field = |name: &str| object.field_index(name);
        let flag = |source: &str, flag: &str, when| {
            Some(Rule::Flag {
                source: field(source)?,
                flag: field(flag)?,
                when,
            })
        };
        let code = |table| {
            Some(Rule::Code {
                source: field("Status")?,
                code: field("StatusCode")?,
                table,
            })
        };
        let rules: Vec<Rule> = match object.name.as_str() {
            "Opportunity" => vec![field("StageName").map(|stage| {
                Rule::Stage(StageFields {
                    stage,
                    is_closed: field("IsClosed"),
                    is_won: field("IsWon"),
                    probability: field("Probability"),
                    forecast_category: field("ForecastCategory"),
                    forecast_category_name: field("ForecastCategoryName"),
                })
            })],
            "Case" => vec![flag("Status", "IsClosed", CLOSED_CASE_STATUSES)],
            "Task" => vec![
                flag("Status", "IsClosed", CLOSED_TASK_STATUSES),
                flag("Priority", "IsHighPriority", HIGH_TASK_PRIORITIES),
            ],
            "Contract" => vec![code(CONTRACT_STATUS_CODES)],
            "Order" => vec![code(ORDER_STATUS_CODES)],
            _ => Vec::new(),
        }
        .into_iter()
        .flatten()
        .collect();
        (!rules.is_empty()).then_some(Derivations { rules })
    }

    /// Sets what `values` imply. On an update (`inserting` false) only what the row's own values change is
    /// derived, from the new values (an update that sets `StageName` gets that stage's values; one that
    /// does not leaves them). An insert (its defaults already filled) also derives from absent sources, so
    /// its flags are false rather than null. A value the row gave itself (`Probability`,
    /// `ForecastCategoryName`) is kept. Applying twice gives the same row.
    pub fn apply(&self, values: &mut RowValues, inserting: bool) {
        for rule in &self.rules {
            match *rule {
                Rule::Stage(fields) => apply_stage(fields, values, inserting),
                Rule::Flag { source, flag, when } => {
                    if let Some(value) = source_text(values, source, inserting) {
                        let on =
                            value.is_some_and(|v| when.iter().any(|w| w.eq_ignore_ascii_case(v)));
                        values.set(flag, Value::Integer(i64::from(on)));
                    }
                }
                Rule::Code {
                    source,
                    code,
                    table,
                } => {
                    if let Some(value) = source_text(values, source, inserting) {
                        let found = value.and_then(|v| {
                            table
                                .iter()
                                .find(|(status, _)| status.eq_ignore_ascii_case(v))
                        });
                        let derived =
                            found.map_or(Value::Null, |(_, c)| Value::Text((*c).to_owned()));
                        values.set(code, derived);
                    }
                }
            }
        }
    }
}

/// The source value a rule derives from: `Some(Some(text))` or `Some(None)` (null, or absent on an
/// insert), `None` when the row leaves it alone (absent on an update: nothing to derive).
fn source_text(values: &RowValues, source: usize, inserting: bool) -> Option<Option<&str>> {
    match values.get(source) {
        Some(Value::Text(text)) => Some(Some(text.as_str())),
        Some(_) => Some(None),
        None if inserting => Some(None),
        None => None,
    }
}

/// A row that sets `StageName` gets the stage's flags, and its probability and forecast category unless
/// it sets them itself; `ForecastCategory` follows whichever `ForecastCategoryName` the row ends with. An
/// insert at a stage this org does not know is open (its flags false, never null).
fn apply_stage(fields: StageFields, values: &mut RowValues, inserting: bool) {
    let stage = match values.get(fields.stage) {
        Some(Value::Text(name)) => opportunity_stage(name),
        _ => None,
    };
    let set_flag = |values: &mut RowValues, field: Option<usize>, on: bool| {
        if let Some(field) = field {
            values.set(field, Value::Integer(i64::from(on)));
        }
    };
    if stage.is_none() && inserting {
        for field in [fields.is_closed, fields.is_won].into_iter().flatten() {
            if values.get(field).is_none() {
                set_flag(values, Some(field), false);
            }
        }
    }
    if let Some(stage) = stage {
        set_flag(values, fields.is_closed, stage.closed);
        set_flag(values, fields.is_won, stage.won);
        if let Some(field) = fields.probability
            && values.get(field).is_none()
        {
            values.set(field, Value::Real(f64::from(stage.probability)));
        }
        if let Some(field) = fields.forecast_category_name
            && values.get(field).is_none()
        {
            values.set(field, Value::Text(stage.forecast_category_name.to_owned()));
        }
    }
    let (Some(name_field), Some(category_field)) =
        (fields.forecast_category_name, fields.forecast_category)
    else {
        return;
    };
    let category = match values.get(name_field) {
        Some(Value::Text(name)) => forecast_category(name),
        Some(_) => None,
        None => return,
    };
    if let Some(category) = category {
        values.set(category_field, Value::Text(category.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Schema;

    fn object(name: &str) -> std::sync::Arc<SObject> {
        Schema::builtin().object(name).unwrap().clone()
    }

    fn text(values: &RowValues, object: &SObject, field: &str) -> Option<Value> {
        values.get(object.field_index(field).unwrap()).cloned()
    }

    fn row(object: &SObject, cells: &[(&str, Value)]) -> RowValues {
        let mut values = RowValues::default();
        for (name, value) in cells {
            values.set(object.field_index(name).unwrap(), value.clone());
        }
        values
    }

    #[test]
    fn the_stage_table_is_a_new_orgs() {
        let expected = [
            ("Prospecting", 10, "Pipeline", false, false),
            ("Qualification", 10, "Pipeline", false, false),
            ("Needs Analysis", 20, "Pipeline", false, false),
            ("Value Proposition", 50, "Pipeline", false, false),
            ("Id. Decision Makers", 60, "Pipeline", false, false),
            ("Perception Analysis", 70, "Pipeline", false, false),
            ("Proposal/Price Quote", 75, "Pipeline", false, false),
            ("Negotiation/Review", 90, "Pipeline", false, false),
            ("Closed Won", 100, "Closed", true, true),
            ("Closed Lost", 0, "Omitted", true, false),
        ];
        for (stage, (name, probability, category, closed, won)) in
            OPPORTUNITY_STAGES.iter().zip(expected)
        {
            assert_eq!(
                (
                    stage.name,
                    stage.probability,
                    stage.forecast_category_name,
                    stage.closed,
                    stage.won
                ),
                (name, probability, category, closed, won)
            );
        }
        assert_eq!(opportunity_stage("closed won").unwrap().name, "Closed Won");
        assert!(opportunity_stage("Signed").is_none());
        // The built-in StageName picklist and the table list the same stages.
        let opportunity = object("Opportunity");
        let picklist: Vec<&str> = opportunity
            .field("StageName")
            .unwrap()
            .picklist_values
            .iter()
            .map(|p| p.value.as_str())
            .collect();
        let table: Vec<&str> = OPPORTUNITY_STAGES.iter().map(|s| s.name).collect();
        assert_eq!(picklist, table);
    }

    #[test]
    fn forecast_categories_map_labels_to_api_names() {
        assert_eq!(forecast_category("Best Case"), Some("BestCase"));
        assert_eq!(forecast_category("Commit"), Some("Forecast"));
        assert_eq!(forecast_category("Closed"), Some("Closed"));
        assert_eq!(forecast_category("Someday"), None);
    }

    #[test]
    fn a_stage_sets_its_flags_probability_and_categories() {
        let opp = object("Opportunity");
        let d = Derivations::for_object(&opp).unwrap();
        let mut values = row(&opp, &[("StageName", Value::Text("Closed Won".into()))]);
        d.apply(&mut values, true);
        assert_eq!(text(&values, &opp, "IsClosed"), Some(Value::Integer(1)));
        assert_eq!(text(&values, &opp, "IsWon"), Some(Value::Integer(1)));
        assert_eq!(text(&values, &opp, "Probability"), Some(Value::Real(100.0)));
        assert_eq!(
            text(&values, &opp, "ForecastCategoryName"),
            Some(Value::Text("Closed".into()))
        );
        assert_eq!(
            text(&values, &opp, "ForecastCategory"),
            Some(Value::Text("Closed".into()))
        );
        let again = values.clone();
        d.apply(&mut values, true);
        assert_eq!(values, again, "applying twice changes nothing");
    }

    #[test]
    fn a_given_probability_and_category_win_over_the_stage() {
        let opp = object("Opportunity");
        let d = Derivations::for_object(&opp).unwrap();
        let mut values = row(
            &opp,
            &[
                ("StageName", Value::Text("Prospecting".into())),
                ("Probability", Value::Real(35.0)),
                ("ForecastCategoryName", Value::Text("Best Case".into())),
            ],
        );
        d.apply(&mut values, false);
        assert_eq!(text(&values, &opp, "Probability"), Some(Value::Real(35.0)));
        assert_eq!(text(&values, &opp, "IsClosed"), Some(Value::Integer(0)));
        assert_eq!(
            text(&values, &opp, "ForecastCategory"),
            Some(Value::Text("BestCase".into()))
        );
    }

    #[test]
    fn updates_derive_only_from_what_they_set() {
        let opp = object("Opportunity");
        let d = Derivations::for_object(&opp).unwrap();
        let mut values = row(&opp, &[("Amount", Value::Real(5.0))]);
        d.apply(&mut values, false);
        assert_eq!(values.assignments.len(), 1, "no stage, nothing derived");
        let mut values = row(
            &opp,
            &[("ForecastCategoryName", Value::Text("Commit".into()))],
        );
        d.apply(&mut values, false);
        assert_eq!(
            text(&values, &opp, "ForecastCategory"),
            Some(Value::Text("Forecast".into()))
        );
        let mut values = row(&opp, &[("StageName", Value::Text("Signed".into()))]);
        d.apply(&mut values, false);
        assert_eq!(
            values.assignments.len(),
            1,
            "an unknown stage implies nothing"
        );
        d.apply(&mut values, true);
        assert_eq!(
            text(&values, &opp, "IsClosed"),
            Some(Value::Integer(0)),
            "but is open"
        );
        assert_eq!(text(&values, &opp, "Probability"), None);
    }

    #[test]
    fn case_status_closes_the_case() {
        let case = object("Case");
        let d = Derivations::for_object(&case).unwrap();
        let mut values = row(&case, &[("Status", Value::Text("Closed".into()))]);
        d.apply(&mut values, false);
        assert_eq!(text(&values, &case, "IsClosed"), Some(Value::Integer(1)));
        let mut values = row(&case, &[("Status", Value::Null)]);
        d.apply(&mut values, false);
        assert_eq!(text(&values, &case, "IsClosed"), Some(Value::Integer(0)));
        let mut values = RowValues::default();
        d.apply(&mut values, false);
        assert!(values.assignments.is_empty(), "an update without Status");
        d.apply(&mut values, true);
        assert_eq!(text(&values, &case, "IsClosed"), Some(Value::Integer(0)));
    }

    #[test]
    fn objects_without_derived_values_have_no_rules() {
        assert!(Derivations::for_object(&object("Account")).is_none());
        assert!(Derivations::for_object(&object("Contact")).is_none());
    }
}

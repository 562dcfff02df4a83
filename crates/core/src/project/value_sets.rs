//! `globalValueSets/<Name>.globalValueSet-meta.xml` (values fields share by name) and
//! `standardValueSets/<Name>.standardValueSet-meta.xml` (the values of standard picklists, with what they
//! mean: an opportunity stage's closed/won flags and probability, a closed case or task status, …).

use super::field::{Problem, flag, picklist_value, problem, values};
use super::xml::Element;
use crate::schema::PicklistValue;

/// One value of a standard value set, with its flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StandardValue {
    pub value: PicklistValue,
    pub closed: bool,
    pub won: bool,
    pub converted: bool,
    pub high_priority: bool,
    /// An opportunity stage's default probability (%), when given.
    pub probability: Option<u32>,
    pub forecast_category: Option<String>,
}

/// A global value set's values.
pub(super) fn parse_global(root: &Element) -> Result<Vec<PicklistValue>, Problem> {
    let values = values(root, "customValue")?;
    if values.is_empty() {
        return Err(problem(root, "a global value set needs a <customValue>"));
    }
    Ok(values)
}

/// A standard value set's values with their flags.
pub(super) fn parse_standard(root: &Element) -> Result<Vec<StandardValue>, Problem> {
    let mut read = Vec::new();
    for element in root.all("standardValue") {
        let value = picklist_value(element)?;
        let probability = match element.child("probability") {
            None => None,
            Some(p) => Some(
                p.text
                    .trim()
                    .parse::<u32>()
                    .map_err(|_| problem(p, "<probability> must be a whole number"))?,
            ),
        };
        read.push(StandardValue {
            value,
            closed: flag(element, "closed")?.unwrap_or(false),
            won: flag(element, "won")?.unwrap_or(false),
            converted: flag(element, "converted")?.unwrap_or(false),
            high_priority: flag(element, "highPriority")?.unwrap_or(false),
            probability,
            forecast_category: element.text_of("forecastCategory").map(str::to_owned),
        });
    }
    Ok(read)
}

/// The standard picklists whose values a standard value set gives (`Object.Field`).
pub(super) fn fields_of_standard_set(name: &str) -> &'static [(&'static str, &'static str)] {
    match name {
        "OpportunityStage" => &[("Opportunity", "StageName")],
        "OpportunityType" => &[("Opportunity", "Type")],
        "LeadSource" => &[
            ("Lead", "LeadSource"),
            ("Contact", "LeadSource"),
            ("Opportunity", "LeadSource"),
        ],
        "LeadStatus" => &[("Lead", "Status")],
        "Industry" => &[("Account", "Industry"), ("Lead", "Industry")],
        "AccountType" => &[("Account", "Type")],
        "AccountRating" => &[("Account", "Rating"), ("Lead", "Rating")],
        "AccountOwnership" => &[("Account", "Ownership")],
        "Salutation" => &[("Contact", "Salutation"), ("Lead", "Salutation")],
        "CaseStatus" => &[("Case", "Status")],
        "CasePriority" => &[("Case", "Priority")],
        "CaseOrigin" => &[("Case", "Origin")],
        "CaseReason" => &[("Case", "Reason")],
        "CaseType" => &[("Case", "Type")],
        "TaskStatus" => &[("Task", "Status")],
        "TaskPriority" => &[("Task", "Priority")],
        "TaskType" => &[("Task", "Type")],
        "TaskSubject" => &[("Task", "Subject")],
        "EventSubject" => &[("Event", "Subject")],
        "EventType" => &[("Event", "Type")],
        "ContractStatus" => &[("Contract", "Status")],
        "OrderStatus" => &[("Order", "Status")],
        "OrderType" => &[("Order", "Type")],
        "CampaignStatus" => &[("Campaign", "Status")],
        "CampaignType" => &[("Campaign", "Type")],
        "CampaignMemberStatus" => &[("CampaignMember", "Status")],
        "ProductFamily" => &[("Product2", "Family")],
        "AssetStatus" => &[("Asset", "Status")],
        _ => &[],
    }
}

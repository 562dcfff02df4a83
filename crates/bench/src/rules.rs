//! The cost of an org's rules on ingest: a small sfdx project (`serve --project`) giving Account five
//! validation rules and two formula fields, as a real org's project would, for an insert of the same
//! generated CSV measured beside the plain one.
//!
//! Every generated row passes every rule (the bench checks that none fails), but each rule reads the row's
//! fields, so each is evaluated on every row: the figure is what evaluating them costs. Formula fields have
//! no column; they cost nothing on insert and are computed when read.

use crate::{Operation, SizeReport};
use anyhow::Context;
use std::path::{Path, PathBuf};

/// The validation rules: (name, condition, message, display field), as written in the formula editor (the
/// files get them XML-escaped). Each condition is false for every row
/// `data::account_row` writes (employees 1..250,000, revenue below 5,000,010,000, account numbers
/// `AC` + 8 digits, https websites, 5-digit postal codes), and blank-safe.
const RULES: [(&str, &str, &str, Option<&str>); 5] = [
    (
        "Employees_Not_Negative",
        "NumberOfEmployees < 0",
        "Employees cannot be negative.",
        Some("NumberOfEmployees"),
    ),
    (
        "Revenue_Cap",
        "AnnualRevenue > 10000000000",
        "Annual revenue is past what we sell to.",
        Some("AnnualRevenue"),
    ),
    (
        "Account_Number_Format",
        "AND(NOT(ISBLANK(AccountNumber)), NOT(REGEX(AccountNumber, \"AC[0-9]{8}\")))",
        "Account numbers look like AC12345678.",
        Some("AccountNumber"),
    ),
    (
        "Website_Is_Https",
        "AND(NOT(ISBLANK(Website)), NOT(BEGINS(Website, \"https://\")))",
        "Websites must use https.",
        None,
    ),
    (
        "Postal_Code_Length",
        "AND(NOT(ISBLANK(BillingPostalCode)), LEN(BillingPostalCode) < 5)",
        "A postal code has at least 5 characters.",
        Some("BillingPostalCode"),
    ),
];

/// The formula fields: (name, return type, formula, extra elements).
const FORMULAS: [(&str, &str, &str, &str); 2] = [
    (
        "Revenue_Per_Employee__c",
        "Currency",
        "AnnualRevenue / MAX(NumberOfEmployees, 1)",
        "    <precision>18</precision>\n    <scale>2</scale>\n",
    ),
    (
        "Display_Name__c",
        "Text",
        "Name & \" (\" & BillingCity & \")\"",
        "",
    ),
];

const XML_HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
const NS: &str = "http://soap.sforce.com/2006/04/metadata";

/// Writes the project under `dir` (created) and answers the directory to pass to `--project`.
pub(crate) fn write_project(dir: &Path) -> anyhow::Result<PathBuf> {
    let account = dir.join("force-app/main/default/objects/Account");
    let write = |path: PathBuf, text: String| -> anyhow::Result<()> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))
    };
    write(
        dir.join("sfdx-project.json"),
        "{\n  \"packageDirectories\": [{ \"path\": \"force-app\", \"default\": true }],\n  \
         \"namespace\": \"\",\n  \"sourceApiVersion\": \"62.0\"\n}\n"
            .to_owned(),
    )?;
    for (name, condition, message, field) in RULES {
        let display = field
            .map(|f| format!("    <errorDisplayField>{f}</errorDisplayField>\n"))
            .unwrap_or_default();
        write(
            account.join(format!("validationRules/{name}.validationRule-meta.xml")),
            format!(
                "{XML_HEAD}<ValidationRule xmlns=\"{NS}\">\n    <fullName>{name}</fullName>\n    \
                 <active>true</active>\n    <errorConditionFormula>{}</errorConditionFormula>\n\
                 {display}    <errorMessage>{}</errorMessage>\n</ValidationRule>\n",
                xml_text(condition),
                xml_text(message)
            ),
        )?;
    }
    for (name, return_type, formula, extra) in FORMULAS {
        write(
            account.join(format!("fields/{name}.field-meta.xml")),
            format!(
                "{XML_HEAD}<CustomField xmlns=\"{NS}\">\n    <fullName>{name}</fullName>\n    \
                 <formula>{}</formula>\n    <formulaTreatBlanksAs>BlankAsZero</formulaTreatBlanksAs>\n    \
                 <label>{name}</label>\n{extra}    <type>{return_type}</type>\n</CustomField>\n",
                xml_text(formula)
            ),
        )?;
    }
    Ok(dir.to_path_buf())
}

/// `text` as XML element content, as `sf project retrieve` writes formulas (`&lt;`, `&amp;`, `&quot;`).
fn xml_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The note comparing the insert with rules to the plain insert of the same size, when both were measured.
pub(crate) fn note(size: &SizeReport) -> Option<String> {
    let plain = size.get(Operation::Insert)?;
    let ruled = size.get(Operation::InsertWithRules)?;
    let share = ruled.rows_per_second() / plain.rows_per_second().max(1e-9);
    Some(format!(
        "{} rows: the insert with {} validation rules and {} formula fields on Account (serve --project) \
         ran at {:.0} rows/s, {:.0} % of the plain insert's {:.0} rows/s",
        crate::table::thousands(size.rows),
        RULES.len(),
        FORMULAS.len(),
        ruled.rows_per_second(),
        share * 100.0,
        plain.rows_per_second()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_project_has_five_rules_and_two_formula_fields_in_source_format() {
        let dir = tempfile::TempDir::new().unwrap();
        let root = write_project(dir.path()).unwrap();
        let account = root.join("force-app/main/default/objects/Account");
        let rules = std::fs::read_dir(account.join("validationRules"))
            .unwrap()
            .count();
        let fields = std::fs::read_dir(account.join("fields")).unwrap().count();
        assert_eq!((rules, fields), (5, 2));
        let rule = std::fs::read_to_string(
            account.join("validationRules/Postal_Code_Length.validationRule-meta.xml"),
        )
        .unwrap();
        assert!(rule.starts_with(XML_HEAD), "{rule}");
        assert!(rule.contains("LEN(BillingPostalCode) &lt; 5"), "{rule}");
    }

    /// The project loads as `serve --project` loads it: no error, every rule and formula field there.
    #[test]
    fn the_project_loads_without_errors() {
        use bulkforce_core::project::{SourceFile, load};
        let dir = tempfile::TempDir::new().unwrap();
        let root = write_project(dir.path()).unwrap();
        let mut files = Vec::new();
        for sub in ["validationRules", "fields"] {
            let folder = root
                .join("force-app/main/default/objects/Account")
                .join(sub);
            for entry in std::fs::read_dir(folder).unwrap() {
                let path = entry.unwrap().path();
                files.push(SourceFile {
                    path: path.display().to_string(),
                    text: std::fs::read_to_string(&path).unwrap(),
                });
            }
        }
        let loaded = load(bulkforce_core::schema::Schema::builtin(), &files);
        assert!(
            loaded.report.errors.is_empty(),
            "{:?}",
            loaded.report.errors
        );
        let account = loaded.schema.object("Account").unwrap();
        assert_eq!(account.validation_rules.len(), 5);
        for (name, ..) in FORMULAS {
            assert!(
                account.field(name).unwrap().traits.formula.is_some(),
                "{name}"
            );
        }
    }
}

//! `bulkforce schema check DIR` and `serve --project DIR` on the real binary, over the sample project
//! (tests/fixtures/sfdx-project: read cleanly, its unsupported files warned about) and the broken one
//! (tests/fixtures/sfdx-broken: every error with its file, line and column; the server refuses it).

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::{code, serve};

const TOKEN: &str = "00D000000000001!schema.check.cli.token";
const SAMPLE: &str = "tests/fixtures/sfdx-project";
const BROKEN: &str = "tests/fixtures/sfdx-broken";

/// The workspace root: fixture paths are given relative to it, so the output's paths are stable.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn bulkforce(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bulkforce"))
        .args(args)
        .current_dir(root())
        .env_remove("BULKFORCE_PROJECT_DIR")
        .env_remove("BULKFORCE_SCHEMA_DIR")
        .output()
        .expect("bulkforce runs")
}

fn lines(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

fn assert_has(lines: &[String], expected: &str) {
    assert!(
        lines.iter().any(|l| l == expected),
        "no line {expected:?} in:\n{}",
        lines.join("\n")
    );
}

#[test]
fn the_sample_project_reads_cleanly_and_names_what_it_does_not_support() {
    let output = bulkforce(&["schema", "check", SAMPLE]);
    let out = lines(&output);
    assert_eq!(code(&output), 0, "{}", out.join("\n"));
    let invoice = out
        .iter()
        .find(|l| l.starts_with("read: custom object Invoice__c (a00): "))
        .unwrap_or_else(|| panic!("{}", out.join("\n")));
    assert!(
        invoice.contains("3 record types (Domestic, Export, Legacy), 9 validation rules"),
        "{invoice}"
    );
    assert_has(&out, "read: global value set Sales_Regions: 4 values");
    assert_has(
        &out,
        "read: record type Invoice__c.Legacy (Legacy, inactive)",
    );
    assert!(
        out.iter()
            .any(|l| l.starts_with("read: object Account (001): "))
    );
    let app = format!("{SAMPLE}/force-app/main/default");
    assert_has(
        &out,
        &format!(
            "warning: {app}/triggers/InvoiceTrigger.trigger-meta.xml: not supported: an Apex trigger (bulkforce runs no Apex)"
        ),
    );
    assert_has(
        &out,
        &format!(
            "warning: {app}/flows/Invoice_Notify.flow-meta.xml: not supported: a flow (bulkforce runs no flows)"
        ),
    );
    assert_has(
        &out,
        &format!(
            "warning: {SAMPLE}/org-config/main/default/duplicateRules/Account.Same_Tax_Number.duplicateRule-meta.xml: not supported: a duplicate rule (not enforced)"
        ),
    );
    assert!(out.last().unwrap().ends_with(" 0 error(s)"), "{out:?}");
}

#[test]
fn the_broken_project_lists_every_error_with_file_line_and_column() {
    let output = bulkforce(&["schema", "check", BROKEN]);
    let out = lines(&output);
    assert_eq!(code(&output), 1, "{}", out.join("\n"));
    let object = format!("{BROKEN}/force-app/main/default/objects/Broken__c");
    for expected in [
        format!(
            "{object}/fields/Bad_Xml__c.field-meta.xml:4:15: ill-formed document: expected `</type>`, but `</typo>` was found"
        ),
        format!(
            "{object}/fields/Bad_Flag__c.field-meta.xml:7:5: <required> must be true or false, not \"yes\""
        ),
        format!(
            "{object}/fields/Bad_Parent__c.field-meta.xml:6:5: Broken__c.Bad_Parent__c refers to Nowhere__c, which is neither in the project nor a standard object bulkforce has"
        ),
    ] {
        assert_has(&out, &expected);
    }
    for prefix in [
        format!(
            "{object}/validationRules/Bad_Formula.validationRule-meta.xml:6:15: validation rule condition: "
        ),
        format!(
            "{object}/fields/Bad_Default__c.field-meta.xml:4:27: default value of Broken__c.Bad_Default__c: "
        ),
    ] {
        assert!(
            out.iter().any(|l| l.starts_with(&prefix)),
            "{prefix}: {out:?}"
        );
    }
    let app = format!("{BROKEN}/force-app/main/default");
    for warned in [
        format!("{app}/triggers/BrokenTrigger.trigger-meta.xml: not supported"),
        format!("{app}/classes/BrokenService.cls-meta.xml: not supported"),
        format!("{app}/flows/Broken_Flow.flow-meta.xml: not supported"),
        format!("{app}/duplicateRules/Broken__c.Same_Name.duplicateRule-meta.xml: not supported"),
        format!("{object}/listViews/All.listView-meta.xml: not supported"),
        format!("{object}/fields/Rollup__c.field-meta.xml: field type Summary is not supported"),
    ] {
        assert!(
            out.iter()
                .any(|l| l.starts_with(&format!("warning: {warned}"))),
            "{warned}: {out:?}"
        );
    }
    assert_has(&out, "1 read, 6 warning(s), 5 error(s)");
}

#[test]
fn a_missing_directory_is_an_error() {
    let output = bulkforce(&["schema", "check", "tests/fixtures/no-such-project"]);
    assert_eq!(code(&output), 1);
    assert!(String::from_utf8_lossy(&output.stderr).contains("does not exist"));
}

#[test]
fn serve_refuses_a_broken_project_with_every_error() {
    let data = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_bulkforce"))
        .args(["serve", "--listen", "127.0.0.1:0", "--access-token", TOKEN])
        .arg("--data-dir")
        .arg(data.path())
        .current_dir(root())
        .env("BULKFORCE_PROJECT_DIR", BROKEN)
        .output()
        .expect("bulkforce runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(code(&output), 1, "{stderr}");
    assert!(stderr.contains("the project has 5 error(s):"), "{stderr}");
    assert!(
        stderr.contains("Bad_Formula.validationRule-meta.xml:6:15: validation rule condition: "),
        "{stderr}"
    );
}

#[test]
fn serve_with_the_sample_project_describes_its_objects() {
    let project = root().join(SAMPLE);
    let server = serve(TOKEN, None, &["--project", project.to_str().unwrap()]);
    let describe: serde_json::Value = reqwest::blocking::Client::new()
        .get(format!(
            "{}/services/data/v62.0/sobjects/Invoice__c/describe",
            server.url
        ))
        .bearer_auth(TOKEN)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(describe["keyPrefix"], "a00", "{describe}");
    let field = |name: &str| {
        describe["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name}"))
    };
    assert_eq!(field("Name")["autoNumber"], true);
    assert_eq!(field("Account__c")["referenceTo"][0], "Account");
}

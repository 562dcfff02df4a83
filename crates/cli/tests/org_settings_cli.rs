//! `bulkforce admin org-settings` against the real binary: it shows and changes an org's settings in the
//! data dir of a running `serve`, which follows the change from its next request (describe shows the audit
//! fields createable, an insert keeps the CreatedDate it gives), and it refuses an unknown org.

mod support;

use std::process::{Command, Output};
use support::{Server, code, json_out};

const ADMIN_TOKEN: &str = "00D000000000001!org.settings.cli.token";

/// `bulkforce admin --data-dir D --json org-settings ARGS`.
fn org_settings(server: &Server, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bulkforce"))
        .arg("admin")
        .arg("--data-dir")
        .arg(server.path("data"))
        .arg("--json")
        .arg("org-settings")
        .args(args)
        .env_remove("BULKFORCE_DATA_DIR")
        .env_remove("BULKFORCE_DATABASE_URL")
        .output()
        .expect("bulkforce admin runs")
}

fn api(server: &Server, path: &str) -> String {
    format!("{}/services/data/v62.0{path}", server.url)
}

/// Whether the running server's describe shows Account.CreatedDate createable.
fn created_date_createable(server: &Server) -> bool {
    let describe: serde_json::Value = reqwest::blocking::Client::new()
        .get(api(server, "/sobjects/Account/describe"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .expect("describe answers")
        .json()
        .expect("describe is JSON");
    describe["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .find(|f| f["name"] == "CreatedDate")
        .expect("Account has CreatedDate")["createable"]
        .as_bool()
        .expect("a flag")
}

#[test]
fn org_settings_switch_audit_fields_of_a_running_server() {
    let server = support::serve(ADMIN_TOKEN, None, &[]);
    let shown = org_settings(&server, &[]);
    assert_eq!(code(&shown), 0);
    let shown = json_out(&shown);
    assert_eq!(shown["settings"]["setAuditFields"], false);
    let org = shown["orgId"].as_str().expect("the default org").to_owned();
    assert!(!created_date_createable(&server));

    let set = org_settings(&server, &["--org", &org, "--set-audit-fields", "on"]);
    assert_eq!(code(&set), 0);
    assert_eq!(json_out(&set)["settings"]["setAuditFields"], true);
    assert!(
        created_date_createable(&server),
        "the server follows at once"
    );
    let created = reqwest::blocking::Client::new()
        .post(api(&server, "/sobjects/Account"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&serde_json::json!({"Name": "Migrated", "CreatedDate": "2019-05-06T07:08:09.000Z"}))
        .send()
        .expect("create answers");
    assert_eq!(created.status().as_u16(), 201);
    let id = created.json::<serde_json::Value>().expect("JSON")["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let record: serde_json::Value = reqwest::blocking::Client::new()
        .get(api(&server, &format!("/sobjects/Account/{id}")))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .expect("get answers")
        .json()
        .expect("JSON");
    assert_eq!(record["CreatedDate"], "2019-05-06T07:08:09.000+0000");

    let off = org_settings(&server, &["--set-audit-fields", "off"]);
    assert_eq!(json_out(&off)["settings"]["setAuditFields"], false);
    assert!(!created_date_createable(&server));

    let unknown = org_settings(
        &server,
        &["--org", "00D000000000099", "--set-audit-fields", "on"],
    );
    assert_ne!(code(&unknown), 0, "an unknown org is refused");
}

//! `bulkforce admin org-settings`: an org's settings (Salesforce's org preferences), shown or changed in
//! the data directory or database. A running server follows a change from its next request or job on:
//! it reads an org's settings from the store whenever it plans writes or answers a describe.

use anyhow::bail;
use bulkforce_core::id::SfId;
use bulkforce_core::org::audit_fields::OrgSettings;
use bulkforce_store::Store;
use serde_json::json;

/// A setting's new state.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Switch {
    On,
    Off,
}

impl Switch {
    fn is_on(self) -> bool {
        self == Switch::On
    }
}

/// The changes `org-settings` was asked for (none: show the settings).
pub(super) struct Changes {
    pub(super) set_audit_fields: Option<Switch>,
}

/// Applies `changes` to the settings of `org` (the default org when `None`) and prints the result.
pub(super) fn run(
    store: &dyn Store,
    org: Option<&str>,
    changes: &Changes,
    json_output: bool,
) -> anyhow::Result<()> {
    let org = resolve_org(store, org)?;
    let mut settings = store.org_settings(org)?;
    if let Some(switch) = changes.set_audit_fields {
        settings.set_audit_fields = switch.is_on();
        store.set_org_settings(org, settings)?;
    }
    super::print(
        json_output,
        json!({"orgId": org.as_str(), "settings": settings}),
        describe(org, &settings),
    );
    Ok(())
}

/// The org named on the command line, which must exist, or the default org.
fn resolve_org(store: &dyn Store, org: Option<&str>) -> anyhow::Result<SfId> {
    let orgs = store.list_orgs()?;
    let found = match org {
        Some(text) => {
            let id = super::org_id(text)?;
            orgs.iter().find(|o| o.id == id)
        }
        None => orgs.iter().find(|o| o.is_default),
    };
    match found {
        Some(org) => Ok(org.id),
        None => bail!("no org {}", org.unwrap_or("(default)")),
    }
}

fn describe(org: SfId, settings: &OrgSettings) -> String {
    let state = |on: bool| if on { "on" } else { "off" };
    format!(
        "org {org}\n  set audit fields upon record creation: {}",
        state(settings.set_audit_fields)
    )
}

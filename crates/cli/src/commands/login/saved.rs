//! What is done with saved logins: refresh one, list them, pick the default, forget one.

use super::flows::{Origin, finish};
use super::{RefreshArgs, SaveArgs, describe, login_error, print_json, store_for, unknown};
use crate::commands::exit::{CliError, CommandResult, Finished, warn};
use crate::commands::orgs::OrgStore;
use bulkforce_client::auth::Login;
use serde_json::json;

/// `login refresh ALIAS`: a new access token from the saved refresh token, checked and saved like a login.
pub(super) async fn refresh(args: RefreshArgs) -> CommandResult {
    let alias = args.alias;
    let store = store_for(&alias)?;
    let Ok(Some(old)) = store.load(&alias) else {
        return Err(unknown(&store, &alias));
    };
    let (Some(refresh_token), Some(client_id)) = (&old.session.refresh_token, &old.client_id)
    else {
        return Err(CliError::usage(format!(
            "{alias:?} has no refresh token and client id to refresh with: log in again"
        )));
    };
    let url = old
        .login_url
        .as_deref()
        .unwrap_or(&old.session.instance_url);
    let login = Login::new(url).map_err(login_error)?;
    let secret = args.client_secret.filter(|s| !s.is_empty());
    let mut session = login
        .refresh(client_id, secret.as_deref(), refresh_token)
        .await
        .map_err(login_error)?;
    session.username = session.username.or(old.session.username.clone());
    session.org_id = session.org_id.or(old.session.org_id.clone());
    session.user_id = session.user_id.or(old.session.user_id.clone());
    let save = SaveArgs {
        alias,
        set_default: false,
        api_version: args.api_version,
        json: args.json,
    };
    let origin = Origin {
        flow: &old.flow,
        login_url: old.login_url.clone(),
        client_id: old.client_id.clone(),
    };
    finish(&save, &store, &login, session, origin).await
}

/// `login list`: every saved login (an unreadable one is skipped with a warning).
pub(super) fn list(json_output: bool) -> CommandResult {
    let store = OrgStore::locate().map_err(CliError::Usage)?;
    let aliases = store
        .aliases()
        .map_err(|e| CliError::other(format!("cannot list saved logins: {e}")))?;
    let default = store.default_alias().ok().flatten();
    let mut rows = Vec::new();
    for alias in &aliases {
        match store.load(alias) {
            Ok(Some(org)) => rows.push(describe(&org, default.as_deref() == Some(alias))),
            Ok(None) => {}
            Err(e) => warn(format!("skipping {alias:?}: {e}")),
        }
    }
    if json_output {
        print_json(&json!(rows));
    } else if rows.is_empty() {
        println!("no saved logins (see `bulkforce login --help`)");
    } else {
        print_table(&rows, default.is_some());
    }
    Ok(Finished::Ok)
}

/// The saved logins as aligned columns, the default marked with `*`.
fn print_table(rows: &[serde_json::Value], has_default: bool) {
    let text = |row: &serde_json::Value, key: &str| row[key].as_str().unwrap_or("").to_owned();
    let header = ["alias", "username", "instance URL", "org", "flow"];
    let keys = ["alias", "username", "instanceUrl", "orgId", "flow"];
    let mut widths = header.map(str::len);
    for row in rows {
        for (i, key) in keys.iter().enumerate() {
            widths[i] = widths[i].max(text(row, key).len());
        }
    }
    let line = |cells: [String; 5], mark: &str| {
        let mut out = format!("{mark:<2}");
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<width$}  ", width = widths[i]));
            }
        }
        println!("{}", out.trim_end());
    };
    line(header.map(str::to_owned), "");
    for row in rows {
        let mark = if row["default"] == json!(true) {
            "*"
        } else {
            ""
        };
        line(keys.map(|k| text(row, k)), mark);
    }
    if has_default {
        println!("(* default org)");
    }
}

/// `login set-default ALIAS`.
pub(super) fn set_default(alias: &str, json_output: bool) -> CommandResult {
    let store = store_for(alias)?;
    if !matches!(store.load(alias), Ok(Some(_))) {
        return Err(unknown(&store, alias));
    }
    store
        .set_default(Some(alias))
        .map_err(|e| CliError::other(format!("cannot set the default org: {e}")))?;
    if json_output {
        print_json(&json!({ "default": alias }));
    } else {
        println!("{alias:?} is the default org");
    }
    Ok(Finished::Ok)
}

/// `login logout ALIAS`: removes the saved login, even when revoking its token fails (the command then
/// fails with the revocation's error, after reporting the removal).
pub(super) async fn logout(alias: &str, revoke: bool, json_output: bool) -> CommandResult {
    let store = store_for(alias)?;
    let org = match store.load(alias) {
        Ok(Some(org)) => Some(org),
        Ok(None) => return Err(unknown(&store, alias)),
        // An unreadable file can still be removed.
        Err(e) => {
            warn(e);
            None
        }
    };
    let mut revoked = false;
    let mut revoke_failed = None;
    if revoke && let Some(org) = &org {
        match Login::new(&org.session.instance_url) {
            Ok(login) => match login.revoke(&org.session).await {
                Ok(()) => revoked = true,
                Err(e) => {
                    revoke_failed = Some(
                        CliError::from(e)
                            .context("the token was not revoked; removing the login anyway"),
                    );
                }
            },
            Err(e) => revoke_failed = Some(login_error(e)),
        }
    }
    if let Err(e) = store.remove(alias) {
        if let Some(failed) = &revoke_failed {
            failed.report();
        }
        return Err(CliError::other(format!("cannot remove the login: {e}")));
    }
    if json_output {
        print_json(&json!({ "alias": alias, "removed": true, "revoked": revoked }));
    } else {
        println!(
            "logged out of {alias:?}{}",
            if revoked { " (token revoked)" } else { "" }
        );
    }
    revoke_failed.map_or(Ok(Finished::Ok), Err)
}

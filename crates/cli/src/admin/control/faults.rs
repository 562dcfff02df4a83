//! `admin faults add|list|remove|clear`: fault injection rules on the running server (per instance).

use super::output::{Table, cell, print_json};
use crate::commands::{CliError, CommandResult, Finished};
use bulkforce_client::control::ControlClient;
use clap::Subcommand;
use serde_json::{Value, json};
use std::io::Read;

/// What to do with fault rules.
#[derive(Subcommand, Debug, Clone)]
pub enum FaultsCommand {
    /// Add rules: a JSON rule or array of rules, inline, from @FILE, or from @- (stdin); prints their ids.
    Add {
        /// E.g. '{"kind":"http","method":"PUT","path":"/services/data/*/jobs/ingest/*/batches","status":503,"times":1}'.
        rule: String,
    },
    /// List rules with their hits and the hits they have left.
    List,
    /// Remove one rule.
    Remove {
        /// The rule's id (f1, f2, …).
        id: String,
    },
    /// Remove every rule.
    Clear,
}

/// Runs a faults command.
pub async fn run(client: &ControlClient, command: FaultsCommand, json: bool) -> CommandResult {
    match command {
        FaultsCommand::Add { rule } => add(client, &rule, json).await?,
        FaultsCommand::List => list(client, json).await?,
        FaultsCommand::Remove { id } => {
            client.remove_fault(&id).await?;
            if json {
                print_json(&json!({ "id": id, "removed": true }));
            } else {
                println!("fault {id} removed");
            }
        }
        FaultsCommand::Clear => {
            client.clear_faults().await?;
            if json {
                print_json(&json!({ "cleared": true }));
            } else {
                println!("every fault rule removed");
            }
        }
    }
    Ok(Finished::Ok)
}

/// Adds each rule in order; a refused rule stops there (the ones before it stay added, and are said).
async fn add(client: &ControlClient, argument: &str, json: bool) -> Result<(), CliError> {
    let rules = parse_rules(&read_argument(argument)?)?;
    let mut ids = Vec::new();
    for (index, rule) in rules.iter().enumerate() {
        match client.add_fault(rule).await {
            Ok(id) => ids.push(id),
            Err(e) if ids.is_empty() => return Err(e.into()),
            Err(e) => {
                return Err(CliError::from(e).context(format!(
                    "rule {} refused; added before it: {}",
                    index + 1,
                    ids.join(", ")
                )));
            }
        }
    }
    if json {
        print_json(&json!({ "ids": ids }));
    } else {
        for id in &ids {
            println!("fault {id} added");
        }
    }
    Ok(())
}

async fn list(client: &ControlClient, json: bool) -> Result<(), CliError> {
    let faults = client.faults().await?;
    if json {
        print_json(&faults);
        return Ok(());
    }
    let mut table = Table::new(&["id", "kind", "hits", "remaining", "rule"]);
    for fault in &faults {
        table.row(vec![
            fault.id.clone(),
            fault.rule["kind"].as_str().unwrap_or("").to_owned(),
            fault.hits.to_string(),
            cell(fault.remaining),
            fault.rule.to_string(),
        ]);
    }
    table.print();
    Ok(())
}

/// The text of `@FILE`, of stdin for `@-`, else the argument itself.
fn read_argument(argument: &str) -> Result<String, CliError> {
    match argument.strip_prefix('@') {
        Some("-") => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| CliError::other(format!("reading the rules from stdin: {e}")))?;
            Ok(text)
        }
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| CliError::usage(format!("cannot read the rules in {path}: {e}"))),
        None => Ok(argument.to_owned()),
    }
}

/// One rule object, or an array of them (the shape `serve --faults FILE` loads too).
fn parse_rules(text: &str) -> Result<Vec<Value>, CliError> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| CliError::usage(format!("the fault rule is not JSON: {e}")))?;
    let rules = match value {
        Value::Array(rules) => rules,
        rule => vec![rule],
    };
    if rules.is_empty() || rules.iter().any(|rule| !rule.is_object()) {
        return Err(CliError::usage(
            "give a fault rule as a JSON object (or an array of them), e.g. {\"kind\":\"http\",…}",
        ));
    }
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_one_object_or_an_array_of_objects() {
        assert_eq!(parse_rules(r#"{"kind":"limit"}"#).unwrap().len(), 1);
        assert_eq!(
            parse_rules(r#"[{"kind":"limit"},{"kind":"row"}]"#)
                .unwrap()
                .len(),
            2
        );
        for bad in ["", "[]", "[1]", "\"http\"", "{"] {
            assert_eq!(parse_rules(bad).unwrap_err().exit_code(), 64, "{bad}");
        }
    }
}

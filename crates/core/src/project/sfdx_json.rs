//! `sfdx-project.json`: the package directories whose files make the project.

use serde::Deserialize;

/// What bulkforce reads of `sfdx-project.json`: the package directories (paths relative to the project).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SfdxProject {
    pub package_directories: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Raw {
    package_directories: Vec<RawDirectory>,
}

#[derive(Deserialize)]
struct RawDirectory {
    path: String,
}

/// Parses `sfdx-project.json`; the message says what is wrong (with serde's line and column).
pub fn parse_sfdx_project(text: &str) -> Result<SfdxProject, String> {
    let raw: Raw = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if raw.package_directories.is_empty() {
        return Err("packageDirectories is empty".to_owned());
    }
    Ok(SfdxProject {
        package_directories: raw
            .package_directories
            .into_iter()
            .map(|d| d.path)
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_package_directories_and_ignores_the_rest() {
        let project = parse_sfdx_project(
            r#"{"packageDirectories":[{"path":"force-app","default":true},{"path":"seed-config"}],
                "namespace":"","sourceApiVersion":"62.0","packageAliases":{}}"#,
        )
        .unwrap();
        assert_eq!(project.package_directories, ["force-app", "seed-config"]);
        assert!(parse_sfdx_project(r#"{"packageDirectories":[]}"#).is_err());
        assert!(
            parse_sfdx_project("{\"packageDirectories\": [\n{\"nopath\":1}]}")
                .unwrap_err()
                .contains("line 2")
        );
    }
}

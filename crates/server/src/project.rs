//! Reading a Salesforce DX project from disk into the schema (`serve --project DIR`, `schema check`).
//!
//! A directory with an `sfdx-project.json` is read through its package directories; any other directory
//! is read as one package directory. Every file under them is handed to core ([`bulkforce_core::project`]),
//! which decides what each is; hidden entries (`.sfdx/`, `.eslintrc.json`) are tooling and skipped.

use anyhow::Context;
use bulkforce_core::project::{self, Loaded, SourceFile};
use bulkforce_core::schema::Schema;
use std::path::{Path, PathBuf};

/// The package directories of `dir`: each `packageDirectories` path of its `sfdx-project.json`, or `dir`
/// itself when it has none.
pub fn package_directories(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let manifest = dir.join("sfdx-project.json");
    if !manifest.is_file() {
        if !dir.is_dir() {
            anyhow::bail!("the project directory {} does not exist", dir.display());
        }
        return Ok(vec![dir.to_path_buf()]);
    }
    let text = std::fs::read_to_string(&manifest)
        .with_context(|| format!("reading {}", manifest.display()))?;
    let parsed = project::parse_sfdx_project(&text)
        .map_err(|e| anyhow::anyhow!("{}: {e}", manifest.display()))?;
    parsed
        .package_directories
        .iter()
        .map(|path| {
            let package = dir.join(path);
            if package.is_dir() {
                Ok(package)
            } else {
                anyhow::bail!(
                    "{}: the package directory {path} does not exist",
                    manifest.display()
                )
            }
        })
        .collect()
}

/// Every file of the projects in `dirs`, in path order.
pub fn read_files(dirs: &[PathBuf]) -> anyhow::Result<Vec<SourceFile>> {
    let mut paths = Vec::new();
    for dir in dirs {
        for package in package_directories(dir)? {
            walk(&package, &mut paths)?;
        }
    }
    paths.sort();
    paths.dedup();
    paths
        .into_iter()
        .map(|path| {
            let bytes =
                std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            Ok(SourceFile {
                path: path.display().to_string(),
                text: String::from_utf8_lossy(&bytes).into_owned(),
            })
        })
        .collect()
}

fn walk(dir: &Path, paths: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("reading the directory {}", dir.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("reading the directory {}", dir.display()))?;
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            walk(&path, paths)?;
        } else {
            paths.push(path);
        }
    }
    Ok(())
}

/// Reads the projects in `dirs` into `schema`, whatever the report says (`schema check` prints it).
pub fn read(schema: Schema, dirs: &[PathBuf]) -> anyhow::Result<Loaded> {
    let files = read_files(dirs)?;
    Ok(project::load(schema, &files))
}

/// Reads the projects in `dirs` into `schema` for serving: the report is logged, and a project with any
/// error is refused with all of them.
pub fn load(schema: Schema, dirs: &[PathBuf]) -> anyhow::Result<Loaded> {
    let loaded = read(schema, dirs)?;
    let report = &loaded.report;
    for read in &report.read {
        tracing::info!("project: read {read}");
    }
    for warning in &report.warnings {
        tracing::warn!("project: {warning}");
    }
    if !report.errors.is_empty() {
        let lines: Vec<String> = report.errors.iter().map(ToString::to_string).collect();
        anyhow::bail!(
            "the project has {} error(s):\n{}",
            lines.len(),
            lines.join("\n")
        );
    }
    Ok(loaded)
}

/// The schema a server starts with: the built-ins, the describe files of `schema_dir`, then the projects.
pub fn load_schema(schema_dir: Option<&Path>, project_dirs: &[PathBuf]) -> anyhow::Result<Schema> {
    let schema = crate::load_schema(schema_dir)?;
    if project_dirs.is_empty() {
        return Ok(schema);
    }
    Ok(load(schema, project_dirs)?.schema)
}

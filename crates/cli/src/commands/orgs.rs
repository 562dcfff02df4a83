//! Saved logins: one JSON file per alias in the user's config directory, and which credentials a client
//! command uses.
//!
//! Layout: `<config dir>/orgs/<alias>.json` (mode 0600, in a 0700 directory) and `<config dir>/config.json`
//! (`{"defaultOrg": "<alias>"}`). The config dir is `$BULKFORCE_CONFIG_DIR`, else `$XDG_CONFIG_HOME/bulkforce`,
//! else `~/.config/bulkforce`. Files hold the session (tokens), never a password or client secret, and are
//! written atomically: a temp file created 0600 from the start (tempfile's `NamedTempFile`), then renamed over the
//! old one, so a reader never sees half a file and no token is ever world-readable.

use bulkforce_client::auth::Session;
use serde::{Deserialize, Serialize};
use std::ffi::OsString;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// A saved login. Never holds a password or a client secret.
#[derive(Serialize, Deserialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct StoredOrg {
    /// The name commands refer to it by (`--org NAME`).
    pub alias: String,
    /// How the session was obtained: `oauth-password`, `soap`, `client-credentials`, `jwt`, `access-token`.
    pub flow: String,
    /// Where the login happened (none for `access-token`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_url: Option<String>,
    /// The connected app, when the flow used one (needed to refresh).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Instance URL, tokens, user.
    #[serde(flatten)]
    pub session: Session,
}

/// An alias is a file name: letters, digits, `.`, `_` and `-`, starting with a letter or digit, at most 64
/// characters; so it can never name a path outside the orgs directory.
pub fn check_alias(alias: &str) -> Result<(), String> {
    let ok = !alias.is_empty()
        && alias.len() <= 64
        && alias
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && alias
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "alias {alias:?} must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        ))
    }
}

/// The config directory from the environment (`var` looks a variable up): `$BULKFORCE_CONFIG_DIR`, else
/// `$XDG_CONFIG_HOME/bulkforce`, else `$HOME/.config/bulkforce`. Empty variables count as unset, and so does
/// a relative `XDG_CONFIG_HOME` (the XDG spec says to ignore it).
pub fn config_dir_from(var: impl Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    let set = |name: &str| var(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(dir) = set("BULKFORCE_CONFIG_DIR") {
        return Some(dir);
    }
    if let Some(xdg) = set("XDG_CONFIG_HOME").filter(|p| p.is_absolute()) {
        return Some(xdg.join("bulkforce"));
    }
    set("HOME").map(|home| home.join(".config").join("bulkforce"))
}

/// The saved logins under one config directory.
pub struct OrgStore {
    dir: PathBuf,
}

impl OrgStore {
    /// The store of this user, from the environment.
    pub fn locate() -> Result<OrgStore, String> {
        config_dir_from(|name| std::env::var_os(name))
            .map(|dir| OrgStore { dir })
            .ok_or_else(|| {
                "cannot find a config directory: set BULKFORCE_CONFIG_DIR or HOME".to_owned()
            })
    }

    /// A store in `dir`.
    #[cfg(test)]
    pub fn at(dir: impl Into<PathBuf>) -> OrgStore {
        OrgStore { dir: dir.into() }
    }

    fn orgs_dir(&self) -> PathBuf {
        self.dir.join("orgs")
    }

    /// The file of `alias` (which must have passed [`check_alias`]).
    pub fn path(&self, alias: &str) -> PathBuf {
        self.orgs_dir().join(format!("{alias}.json"))
    }

    /// The saved login of `alias`, `None` when there is none.
    pub fn load(&self, alias: &str) -> Result<Option<StoredOrg>, String> {
        check_alias(alias)?;
        let path = self.path(alias);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| format!("{} is not a saved login: {e}", path.display()))
    }

    /// Saves `org` under its alias, replacing any previous login of that alias; returns the file.
    pub fn save(&self, org: &StoredOrg) -> io::Result<PathBuf> {
        check_alias(&org.alias).map_err(io::Error::other)?;
        let dir = self.orgs_dir();
        private_dir(&dir, true)?;
        let path = self.path(&org.alias);
        let mut json = serde_json::to_vec_pretty(org).map_err(io::Error::other)?;
        json.push(b'\n');
        write_private(&path, &json)?;
        Ok(path)
    }

    /// Deletes the login of `alias` (and clears the default if it was that alias); false when there was none.
    pub fn remove(&self, alias: &str) -> io::Result<bool> {
        check_alias(alias).map_err(io::Error::other)?;
        let removed = match fs::remove_file(self.path(alias)) {
            Ok(()) => true,
            Err(e) if e.kind() == io::ErrorKind::NotFound => false,
            Err(e) => return Err(e),
        };
        if self.default_alias()?.as_deref() == Some(alias) {
            self.set_default(None)?;
        }
        Ok(removed)
    }

    /// Every saved alias, sorted.
    pub fn aliases(&self) -> io::Result<Vec<String>> {
        let entries = match fs::read_dir(self.orgs_dir()) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut aliases = Vec::new();
        for entry in entries {
            let name = entry?.file_name();
            if let Some(alias) = name.to_str().and_then(|n| n.strip_suffix(".json"))
                && check_alias(alias).is_ok()
            {
                aliases.push(alias.to_owned());
            }
        }
        aliases.sort();
        Ok(aliases)
    }

    fn config_path(&self) -> PathBuf {
        self.dir.join("config.json")
    }

    fn read_config(&self) -> io::Result<serde_json::Map<String, serde_json::Value>> {
        match fs::read(self.config_path()) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                io::Error::other(format!("{} is not JSON: {e}", self.config_path().display()))
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Default::default()),
            Err(e) => Err(e),
        }
    }

    /// The default alias (`defaultOrg` in config.json), if one is set.
    pub fn default_alias(&self) -> io::Result<Option<String>> {
        Ok(self
            .read_config()?
            .get("defaultOrg")
            .and_then(|v| v.as_str())
            .map(str::to_owned))
    }

    /// Sets (or with `None` clears) the default alias, keeping any other settings in config.json.
    pub fn set_default(&self, alias: Option<&str>) -> io::Result<()> {
        let mut config = self.read_config()?;
        match alias {
            Some(alias) => config.insert("defaultOrg".into(), alias.into()),
            None => config.remove("defaultOrg"),
        };
        private_dir(&self.dir, false)?;
        let mut json = serde_json::to_vec_pretty(&config).map_err(io::Error::other)?;
        json.push(b'\n');
        write_private(&self.config_path(), &json)
    }
}

/// Creates `dir` (and missing parents) as 0700; with `enforce`, also makes an existing `dir` 0700 (only for
/// directories that are ours by name: a user's `BULKFORCE_CONFIG_DIR` may be shared and is left alone).
fn private_dir(dir: &Path, enforce: bool) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        builder.mode(0o700);
        builder.create(dir)?;
        if enforce && fs::metadata(dir)?.permissions().mode() & 0o777 != 0o700 {
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
        }
    }
    #[cfg(not(unix))]
    {
        let _ = enforce;
        builder.create(dir)?;
    }
    Ok(())
}

/// Writes `bytes` to `path` atomically: a new temp file beside it (so the rename stays on one file system),
/// created with mode 0600 (never readable by others, not even for a moment), synced, then renamed over
/// `path`, and the directory synced so the rename survives a crash. On any error the temp file is removed
/// (dropping a `NamedTempFile` deletes it).
fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600));
    let mut temp = builder.tempfile_in(dir)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    // Make the rename durable; not every platform lets a directory be opened for this.
    if let Ok(dir) = fs::File::open(dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// The credentials a client command was given, by where they came from: command-line flags beat environment
/// variables, which beat the default alias.
#[derive(Debug, Default, Clone)]
pub struct Given {
    /// `--instance-url`.
    pub flag_url: Option<String>,
    /// `--access-token`.
    pub flag_token: Option<String>,
    /// `--org`.
    pub flag_org: Option<String>,
    /// `BULKFORCE_INSTANCE_URL`.
    pub env_url: Option<String>,
    /// `BULKFORCE_ACCESS_TOKEN`.
    pub env_token: Option<String>,
    /// `BULKFORCE_ORG`.
    pub env_org: Option<String>,
}

/// What a client command connects with.
#[derive(Debug, PartialEq, Eq)]
pub enum Target {
    /// An instance URL and access token given directly.
    Direct {
        /// The instance URL.
        instance_url: String,
        /// The token.
        access_token: String,
    },
    /// A saved login.
    Alias(String),
}

/// Picks the credentials, in this order: `--instance-url`/`--access-token` (a flag for one may take the other
/// from its environment variable), `--org`, `BULKFORCE_INSTANCE_URL` + `BULKFORCE_ACCESS_TOKEN`,
/// `BULKFORCE_ORG`, the default alias (`default` is only asked when needed). Flags beat the environment so
/// that `--org prod` typed on the command line is never overridden by variables exported earlier.
pub fn resolve(
    given: &Given,
    default: impl FnOnce() -> Result<Option<String>, String>,
) -> Result<Target, String> {
    let nonempty = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
    let (flag_url, flag_token, flag_org) = (
        nonempty(&given.flag_url),
        nonempty(&given.flag_token),
        nonempty(&given.flag_org),
    );
    let (env_url, env_token, env_org) = (
        nonempty(&given.env_url),
        nonempty(&given.env_token),
        nonempty(&given.env_org),
    );
    if flag_url.is_some() || flag_token.is_some() {
        return match (flag_url.or(env_url), flag_token.or(env_token)) {
            (Some(instance_url), Some(access_token)) => Ok(Target::Direct {
                instance_url,
                access_token,
            }),
            (Some(_), None) => {
                Err("--instance-url needs an access token too (--access-token or BULKFORCE_ACCESS_TOKEN)".to_owned())
            }
            _ => Err("--access-token needs an instance URL too (--instance-url or BULKFORCE_INSTANCE_URL)".to_owned()),
        };
    }
    if let Some(org) = flag_org {
        return Ok(Target::Alias(org));
    }
    match (env_url, env_token) {
        (Some(instance_url), Some(access_token)) => {
            return Ok(Target::Direct {
                instance_url,
                access_token,
            });
        }
        (Some(_), None) => {
            return Err("BULKFORCE_INSTANCE_URL is set but BULKFORCE_ACCESS_TOKEN is not: set both, or unset it to use a saved login".to_owned());
        }
        (None, Some(_)) => {
            return Err("BULKFORCE_ACCESS_TOKEN is set but BULKFORCE_INSTANCE_URL is not: set both, or unset it to use a saved login".to_owned());
        }
        (None, None) => {}
    }
    if let Some(org) = env_org {
        return Ok(Target::Alias(org));
    }
    match default()? {
        Some(alias) => Ok(Target::Alias(alias)),
        None => Err("no org to connect to: pass --org ALIAS (or set BULKFORCE_ORG) after `bulkforce login … --alias ALIAS`, \
                     make one the default with `bulkforce login set-default ALIAS`, or give --instance-url and --access-token"
            .to_owned()),
    }
}

/// The session of a saved alias, or a message naming the aliases there are.
pub fn session_of(store: &OrgStore, alias: &str) -> Result<Session, String> {
    if let Some(org) = store.load(alias)? {
        return Ok(org.session);
    }
    let known = store.aliases().unwrap_or_default();
    Err(if known.is_empty() {
        format!("unknown org alias {alias:?}: no login is saved yet (see `bulkforce login --help`)")
    } else {
        format!(
            "unknown org alias {alias:?}; saved logins: {}",
            known.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    fn config_dir_order() {
        let all = [
            ("BULKFORCE_CONFIG_DIR", "/c"),
            ("XDG_CONFIG_HOME", "/x"),
            ("HOME", "/h"),
        ];
        assert_eq!(config_dir_from(env(&all)), Some(PathBuf::from("/c")));
        assert_eq!(
            config_dir_from(env(&all[1..])),
            Some(PathBuf::from("/x/bulkforce"))
        );
        assert_eq!(
            config_dir_from(env(&all[2..])),
            Some(PathBuf::from("/h/.config/bulkforce"))
        );
        let odd = [
            ("BULKFORCE_CONFIG_DIR", ""),
            ("XDG_CONFIG_HOME", "relative"),
            ("HOME", "/h"),
        ];
        assert_eq!(
            config_dir_from(env(&odd)),
            Some(PathBuf::from("/h/.config/bulkforce"))
        );
        assert_eq!(config_dir_from(env(&[])), None);
    }

    #[test]
    fn aliases_are_plain_file_names() {
        for good in ["acme", "prod-eu", "dev_1", "a.b", "X"] {
            assert!(check_alias(good).is_ok(), "{good}");
        }
        for bad in ["", "../x", "a/b", ".hidden", "-x", "a b", &"a".repeat(65)] {
            assert!(check_alias(bad).is_err(), "{bad}");
        }
    }

    fn given(pairs: &[(&str, &str)]) -> Given {
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        };
        Given {
            flag_url: get("--instance-url"),
            flag_token: get("--access-token"),
            flag_org: get("--org"),
            env_url: get("BULKFORCE_INSTANCE_URL"),
            env_token: get("BULKFORCE_ACCESS_TOKEN"),
            env_org: get("BULKFORCE_ORG"),
        }
    }

    fn direct(url: &str, token: &str) -> Target {
        Target::Direct {
            instance_url: url.into(),
            access_token: token.into(),
        }
    }

    fn no_default() -> Result<Option<String>, String> {
        Ok(None)
    }

    #[test]
    fn resolution_order() {
        let everything = given(&[
            ("--instance-url", "http://flag"),
            ("--access-token", "flag-token"),
            ("--org", "flag-org"),
            ("BULKFORCE_INSTANCE_URL", "http://env"),
            ("BULKFORCE_ACCESS_TOKEN", "env-token"),
            ("BULKFORCE_ORG", "env-org"),
        ]);
        let default = || Ok(Some("default-org".to_owned()));
        assert_eq!(
            resolve(&everything, default),
            Ok(direct("http://flag", "flag-token"))
        );
        // A flag for one half takes the other half from the environment.
        let mut half = everything.clone();
        half.flag_token = None;
        assert_eq!(
            resolve(&half, default),
            Ok(direct("http://flag", "env-token"))
        );
        let mut org_flag = everything.clone();
        (org_flag.flag_url, org_flag.flag_token) = (None, None);
        assert_eq!(
            resolve(&org_flag, default),
            Ok(Target::Alias("flag-org".into()))
        );
        let mut env_only = org_flag.clone();
        env_only.flag_org = None;
        assert_eq!(
            resolve(&env_only, default),
            Ok(direct("http://env", "env-token"))
        );
        (env_only.env_url, env_only.env_token) = (None, None);
        assert_eq!(
            resolve(&env_only, default),
            Ok(Target::Alias("env-org".into()))
        );
        env_only.env_org = Some(String::new());
        assert_eq!(
            resolve(&env_only, default),
            Ok(Target::Alias("default-org".into()))
        );
    }

    #[test]
    fn resolution_errors_say_what_is_missing() {
        let e = resolve(&given(&[]), no_default).unwrap_err();
        assert!(e.contains("--org") && e.contains("--instance-url"), "{e}");
        let e = resolve(&given(&[("--instance-url", "http://x")]), no_default).unwrap_err();
        assert!(e.contains("--access-token"), "{e}");
        let e = resolve(&given(&[("--access-token", "t")]), no_default).unwrap_err();
        assert!(e.contains("--instance-url"), "{e}");
        let e = resolve(
            &given(&[
                ("BULKFORCE_INSTANCE_URL", "http://x"),
                ("BULKFORCE_ORG", "a"),
            ]),
            no_default,
        )
        .unwrap_err();
        assert!(e.contains("BULKFORCE_ACCESS_TOKEN"), "{e}");
        // The default is not even looked at when something was given.
        assert_eq!(
            resolve(&given(&[("--org", "a")]), || Err("unreadable".into())),
            Ok(Target::Alias("a".into()))
        );
    }

    fn stored(alias: &str) -> StoredOrg {
        let mut session = Session::new("http://127.0.0.1:1", "00D000000000001!secret");
        session.username = Some("ann@acme.test".into());
        StoredOrg {
            alias: alias.into(),
            flow: "access-token".into(),
            login_url: None,
            client_id: None,
            session,
        }
    }

    #[test]
    fn save_load_list_default_remove() {
        let dir = tempfile::tempdir().unwrap();
        let store = OrgStore::at(dir.path().join("cfg"));
        assert_eq!(store.aliases().unwrap(), Vec::<String>::new());
        assert!(store.load("acme").unwrap().is_none());
        let path = store.save(&stored("acme")).unwrap();
        store.save(&stored("beta")).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(path.parent().unwrap()), 0o700);
        }
        // Saving again replaces the file and leaves no temp file behind.
        let mut again = stored("acme");
        again.session.username = Some("bob@acme.test".into());
        store.save(&again).unwrap();
        assert_eq!(
            store
                .load("acme")
                .unwrap()
                .unwrap()
                .session
                .username
                .as_deref(),
            Some("bob@acme.test")
        );
        assert_eq!(fs::read_dir(path.parent().unwrap()).unwrap().count(), 2);
        assert_eq!(store.aliases().unwrap(), ["acme", "beta"]);

        store.set_default(Some("beta")).unwrap();
        assert_eq!(store.default_alias().unwrap().as_deref(), Some("beta"));
        assert!(store.remove("beta").unwrap());
        assert!(!store.remove("beta").unwrap());
        assert_eq!(store.default_alias().unwrap(), None);

        let e = session_of(&store, "nope").unwrap_err();
        assert!(e.contains("\"nope\"") && e.contains("acme"), "{e}");
        assert!(store.load("../etc/passwd").is_err());
        fs::write(store.path("broken"), "{").unwrap();
        assert!(
            session_of(&store, "broken")
                .unwrap_err()
                .contains("not a saved login")
        );
    }
}

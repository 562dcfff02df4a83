//! Which server the control commands talk to, and with which token: flags first, then the environment.

use crate::commands::CliError;
use bulkforce_client::control::ControlClient;

/// Environment variables naming the server, most specific first: `BULKFORCE_INSTANCE_URL` is what the
/// client commands already use, and for a local `serve` it is the same URL.
const URL_VARIABLES: [&str; 2] = ["BULKFORCE_URL", "BULKFORCE_INSTANCE_URL"];

/// Environment variables holding the token, most specific first: the control token opens only the
/// controls, the default org admin's access token opens them too.
const TOKEN_VARIABLES: [&str; 2] = ["BULKFORCE_CONTROL_TOKEN", "BULKFORCE_ACCESS_TOKEN"];

/// The server and token a control command uses.
#[derive(Debug, Clone, Default)]
pub struct ServerTarget {
    url: Option<String>,
    token: Option<String>,
}

impl ServerTarget {
    /// `--url` and `--token` when given, else the first set variable of each list.
    pub fn resolve(flag_url: Option<String>, flag_token: Option<String>) -> ServerTarget {
        let env = |name: &str| std::env::var(name).ok();
        ServerTarget {
            url: first_set(flag_url, &URL_VARIABLES, env),
            token: first_set(flag_token, &TOKEN_VARIABLES, env),
        }
    }

    /// The server URL, or a usage error saying how to give it.
    pub fn url(&self) -> Result<&str, CliError> {
        self.url.as_deref().ok_or_else(|| {
            CliError::usage(
                "which server? give --url URL (e.g. http://127.0.0.1:8080) or set BULKFORCE_URL",
            )
        })
    }

    /// A client for the server; with `needs_token`, a usage error when there is no token (the server would
    /// only answer 401).
    pub fn client(&self, needs_token: bool) -> Result<ControlClient, CliError> {
        let url = self.url()?;
        let client = match &self.token {
            Some(token) => ControlClient::new(url, token.clone()),
            None if needs_token => {
                return Err(CliError::usage(
                    "the control API needs a token: give --token or set BULKFORCE_CONTROL_TOKEN \
                     (the server's --control-token) or BULKFORCE_ACCESS_TOKEN (the default org admin's)",
                ));
            }
            None => ControlClient::unauthenticated(url),
        };
        client.map_err(CliError::usage)
    }
}

/// `flag` when given, else the value of the first of `variables` that is set and not empty.
fn first_set(
    flag: Option<String>,
    variables: &[&str],
    env: impl Fn(&str) -> Option<String>,
) -> Option<String> {
    let given = |value: &String| !value.trim().is_empty();
    flag.filter(given)
        .or_else(|| variables.iter().filter_map(|name| env(name)).find(given))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_the_specific_variable_which_beats_the_general_one() {
        let env = |name: &str| match name {
            "BULKFORCE_CONTROL_TOKEN" => Some("control".to_owned()),
            "BULKFORCE_ACCESS_TOKEN" => Some("access".to_owned()),
            _ => None,
        };
        assert_eq!(
            first_set(Some("flag".into()), &TOKEN_VARIABLES, env).as_deref(),
            Some("flag")
        );
        assert_eq!(
            first_set(None, &TOKEN_VARIABLES, env).as_deref(),
            Some("control")
        );
        let only_access = |name: &str| (name == "BULKFORCE_ACCESS_TOKEN").then(|| "access".into());
        assert_eq!(
            first_set(None, &TOKEN_VARIABLES, only_access).as_deref(),
            Some("access")
        );
        assert_eq!(first_set(None, &URL_VARIABLES, |_| None), None);
    }

    #[test]
    fn a_missing_url_or_token_is_a_usage_error() {
        let nothing = ServerTarget::default();
        assert_eq!(nothing.client(false).unwrap_err().exit_code(), 64);
        let no_token = ServerTarget {
            url: Some("http://127.0.0.1:8080".into()),
            token: None,
        };
        assert!(no_token.client(false).is_ok(), "health needs no token");
        assert_eq!(no_token.client(true).unwrap_err().exit_code(), 64);
    }
}

//! Where and as whom the client commands connect: a saved login (`--org`) or an instance URL and token.

use super::exit::CliError;
use super::orgs::{self, Given, OrgStore, Target};
use bulkforce_client::{Client, Error};
use clap::Args;

/// Where and as whom to connect. Command-line flags beat environment variables, which beat the default org.
#[derive(Args, Debug)]
pub struct ConnectArgs {
    /// A saved login (`bulkforce login … --alias NAME`). Credentials are taken from, in order:
    /// --instance-url/--access-token, --org, env BULKFORCE_INSTANCE_URL + BULKFORCE_ACCESS_TOKEN, env
    /// BULKFORCE_ORG, the default org (`bulkforce login set-default`).
    #[arg(long, value_name = "ALIAS")]
    org: Option<String>,
    /// The instance URL, e.g. https://acme.my.salesforce.com or http://127.0.0.1:8080 (env
    /// BULKFORCE_INSTANCE_URL); with --access-token, it overrides --org.
    #[arg(long)]
    instance_url: Option<String>,
    /// A bearer access token (e.g. from `bulkforce admin token` or `bulkforce serve`'s output); env
    /// BULKFORCE_ACCESS_TOKEN.
    #[arg(long)]
    access_token: Option<String>,
    /// The REST API version.
    #[arg(long, env = "BULKFORCE_API_VERSION", default_value = "62.0")]
    api_version: String,
    /// Print JSON on stdout instead of text.
    #[arg(long)]
    pub json: bool,
}

impl ConnectArgs {
    /// A client for the resolved credentials; every failure to find them or build the client is a usage
    /// error, with a message that says what to give.
    pub fn client(&self) -> Result<Client, CliError> {
        self.build_client().map_err(CliError::usage)
    }

    /// The client, or [`Error::InvalidArgument`] when the credentials cannot be found.
    fn build_client(&self) -> Result<Client, Error> {
        let env = |name: &str| std::env::var(name).ok();
        let given = Given {
            flag_url: self.instance_url.clone(),
            flag_token: self.access_token.clone(),
            flag_org: self.org.clone(),
            env_url: env("BULKFORCE_INSTANCE_URL"),
            env_token: env("BULKFORCE_ACCESS_TOKEN"),
            env_org: env("BULKFORCE_ORG"),
        };
        let target = orgs::resolve(&given, || {
            OrgStore::locate()?
                .default_alias()
                .map_err(|e| format!("reading the default org: {e}"))
        })
        .map_err(Error::InvalidArgument)?;
        match target {
            Target::Direct {
                instance_url,
                access_token,
            } => Client::new(instance_url, access_token, &self.api_version),
            Target::Alias(alias) => OrgStore::locate()
                .and_then(|store| orgs::session_of(&store, &alias))
                .map_err(Error::InvalidArgument)?
                .client(&self.api_version),
        }
    }
}

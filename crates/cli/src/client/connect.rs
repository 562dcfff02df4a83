//! Where and as whom the client commands connect.

use bulkforce_client::{Client, Error};
use clap::Args;

/// Where and as whom to connect.
#[derive(Args, Debug)]
pub struct ConnectArgs {
    /// The instance URL, e.g. https://acme.my.salesforce.com or http://127.0.0.1:8080.
    #[arg(long, env = "BULKFORCE_INSTANCE_URL")]
    instance_url: String,
    /// A bearer access token (e.g. from `bulkforce admin token` or `bulkforce serve`'s output).
    #[arg(long, env = "BULKFORCE_ACCESS_TOKEN", hide_env_values = true)]
    access_token: String,
    /// The REST API version.
    #[arg(long, env = "BULKFORCE_API_VERSION", default_value = "62.0")]
    api_version: String,
    /// Print JSON on stdout instead of text.
    #[arg(long)]
    pub json: bool,
}

impl ConnectArgs {
    pub fn client(&self) -> Result<Client, Error> {
        Client::new(&self.instance_url, &self.access_token, &self.api_version)
    }
}

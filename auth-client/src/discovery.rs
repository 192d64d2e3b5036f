//! Reading the authorization server's metadata (OIDC Discovery 1.0, RFC 8414).

use crate::transport::{FetchError, send_json};
use auth_proto::discovery::ProviderMetadata;

/// The provider metadata could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DiscoveryError {
    /// The document could not be fetched or parsed.
    #[error("cannot read the provider metadata: {0}")]
    Fetch(#[from] FetchError),
    /// The document is another issuer's.
    #[error(
        "the metadata at `{url}` names the issuer `{found}`, not the configured `{expected}`; \
         they must be identical, character for character"
    )]
    IssuerMismatch {
        /// Where the document was read.
        url: String,
        /// The configured issuer.
        expected: String,
        /// The document's `issuer`.
        found: String,
    },
    /// A needed endpoint is not advertised.
    #[error("the provider metadata advertises no `{0}`")]
    MissingEndpoint(&'static str),
}

/// Fetches `{issuer}/.well-known/openid-configuration` and checks that it is `issuer`'s.
pub(crate) async fn discover(
    http: &reqwest::Client,
    issuer: &str,
) -> Result<ProviderMetadata, DiscoveryError> {
    // OIDC Discovery section 4: the path is appended to the issuer without its trailing slash.
    let url = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    let (metadata, _): (ProviderMetadata, _) = send_json(&url, http.get(&url)).await?;
    // OIDC Discovery section 4.3 and RFC 8414 section 3.3: the issuer in the document MUST be
    // identical to the one the metadata was requested for.
    if metadata.issuer != issuer {
        return Err(DiscoveryError::IssuerMismatch {
            url,
            expected: issuer.to_owned(),
            found: metadata.issuer,
        });
    }
    Ok(metadata)
}

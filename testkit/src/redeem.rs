//! Redeeming an authorization code for a client whose redirect URI is its own (a callback
//! server of the test), not [`REDIRECT_URI`](crate::sign_in::REDIRECT_URI).

use crate::Fetch as _;
use crate::app::TestApp;

impl TestApp {
    /// Redeems `code` at `/token` for `client` (Basic authentication with `secret`), with the
    /// `redirect_uri` it was issued for and the PKCE `verifier`.
    pub async fn exchange_for_redirect(
        &self,
        client: &str,
        secret: &str,
        code: &str,
        redirect_uri: &str,
        verifier: &str,
    ) -> reqwest::Response {
        self.http
            .post(self.url("/token"))
            .basic_auth(client, Some(secret))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", redirect_uri),
                ("code_verifier", verifier),
            ])
            .fetch()
            .await
    }
}

//! The HTTP requests each row repeats, as a client would send them: form posts with HTTP basic
//! client authentication to the endpoints the server's discovery document names, and the
//! browser side of the code flow with its cookies kept by hand (so every flow logs in afresh
//! while the connections stay pooled). The browser steps between the authorization request and
//! the callback are each implementation's own: our login and consent forms, or the interaction
//! pages of `auth-bench/node/server.mjs`.

use crate::serve::{REDIRECT_URI, Seed};
use anyhow::{Context, bail, ensure};
use auth_testkit::sign_in::authorize_url;
use auth_testkit::{Pkce, form_field};
use reqwest::{Client, RequestBuilder, Response, StatusCode, header};
use serde::Deserialize;
use std::sync::Arc;

/// Where discovery documents are, on both implementations (OpenID Connect Discovery 1.0
/// section 4).
pub const DISCOVERY: &str = "/.well-known/openid-configuration";

/// Interactions a node-oidc-provider flow may go through (login, then consent) before the
/// callback; more means the flow is looping.
const MOST_NODE_INTERACTIONS: usize = 4;

/// The HTTP client of the load: keep-alive, a pool as large as the concurrency, no redirects.
pub fn http_client(connections: usize) -> anyhow::Result<Client> {
    Ok(Client::builder()
        .pool_max_idle_per_host(connections)
        .redirect(reqwest::redirect::Policy::none())
        .build()?)
}

/// Which authorization server a target is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Implementation {
    /// This project's server (`auth-bench serve-auth`).
    Ours,
    /// node-oidc-provider (`auth-bench/node/server.mjs`).
    NodeOidcProvider,
}

/// The endpoints the flows use, as the server's discovery document names them.
#[derive(Debug, Default, Deserialize)]
pub struct Endpoints {
    #[serde(rename = "authorization_endpoint")]
    pub authorization: String,
    #[serde(rename = "token_endpoint")]
    pub token: String,
    #[serde(rename = "introspection_endpoint")]
    pub introspection: String,
    #[serde(rename = "jwks_uri")]
    pub jwks: String,
}

/// A server under load and the credentials it was seeded with.
#[derive(Clone)]
pub struct Target {
    pub http: Client,
    pub base_url: String,
    pub seed: Seed,
    pub implementation: Implementation,
    pub endpoints: Arc<Endpoints>,
}

/// What the token endpoint answers.
#[derive(Debug, Deserialize)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
}

impl Target {
    /// A seeded server at `base_url`, its endpoints read from its discovery document.
    pub async fn discover(
        http: Client,
        base_url: String,
        seed: Seed,
        implementation: Implementation,
    ) -> anyhow::Result<Self> {
        let response = http.get(format!("{base_url}{DISCOVERY}")).send().await?;
        let endpoints = json(response).await.context("the discovery document")?;
        Ok(Self {
            http,
            base_url,
            seed,
            implementation,
            endpoints: Arc::new(endpoints),
        })
    }

    /// The absolute URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// A client_credentials token for `bench-service`, with its scope `bench:read`.
    pub async fn client_credentials(&self) -> anyhow::Result<String> {
        self.client_credentials_for(None).await
    }

    /// A client_credentials token for `bench-service`, for the resource server `resource`
    /// (RFC 8707) when given.
    pub async fn client_credentials_for(&self, resource: Option<&str>) -> anyhow::Result<String> {
        self.service_token("bench:read", resource).await
    }

    /// A client_credentials token for `bench-service` with `scope` (one it holds: `bench:read`
    /// or `users:read`).
    pub async fn client_credentials_scoped(&self, scope: &str) -> anyhow::Result<String> {
        self.service_token(scope, None).await
    }

    async fn service_token(&self, scope: &str, resource: Option<&str>) -> anyhow::Result<String> {
        let mut form = vec![("grant_type", "client_credentials"), ("scope", scope)];
        form.extend(resource.map(|r| ("resource", r)));
        let response = self
            .http
            .post(&self.endpoints.token)
            .basic_auth(Seed::SERVICE, Some(&self.seed.service_secret))
            .form(&form)
            .send()
            .await?;
        Ok(json::<Tokens>(response).await?.access_token)
    }

    /// A client_credentials token for `bench-service` bound to `key` by a DPoP proof.
    pub async fn client_credentials_dpop(
        &self,
        key: &auth_jose::KeyMaterial,
    ) -> anyhow::Result<String> {
        use auth_core::clock::Clock as _;
        let request = auth_jose::dpop::Request {
            method: "POST",
            url: &self.endpoints.token,
            access_token: None,
        };
        let now = auth_core::clock::SystemClock.unix();
        let proof = auth_jose::dpop::sign(key, &request, now, &auth_core::secrets::new_id(), None)?;
        let response = self
            .http
            .post(&self.endpoints.token)
            .basic_auth(Seed::SERVICE, Some(&self.seed.service_secret))
            .header("dpop", proof)
            .form(&[
                ("grant_type", "client_credentials"),
                ("scope", "bench:read"),
            ])
            .send()
            .await?;
        Ok(json::<Tokens>(response).await?.access_token)
    }

    /// A client_credentials token for `bench-keyed`, authenticated by a private_key_jwt
    /// assertion signed with `key`.
    pub async fn client_credentials_key_jwt(
        &self,
        key: &auth_jose::KeyMaterial,
    ) -> anyhow::Result<String> {
        use auth_core::clock::Clock as _;
        let now = auth_core::clock::SystemClock.unix();
        let claims = serde_json::json!({
            "iss": Seed::KEYED,
            "sub": Seed::KEYED,
            "aud": self.base_url,
            "iat": now,
            "exp": now + 60,
            "jti": auth_core::secrets::new_id(),
        });
        let assertion = auth_jose::jws::sign(key, "JWT", &claims)?;
        let response = self
            .http
            .post(&self.endpoints.token)
            .form(&[
                ("grant_type", "client_credentials"),
                ("scope", "bench:read"),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", &assertion),
            ])
            .send()
            .await?;
        Ok(json::<Tokens>(response).await?.access_token)
    }

    /// Introspects `token` as `bench-api`; it must be active.
    pub async fn introspect(&self, token: &str) -> anyhow::Result<()> {
        let response = self
            .http
            .post(&self.endpoints.introspection)
            .basic_auth(Seed::API, Some(&self.seed.api_secret))
            .form(&[("token", token)])
            .send()
            .await?;
        let body: serde_json::Value = json(response).await?;
        ensure!(body["active"] == true, "the token introspects as inactive");
        Ok(())
    }

    /// GETs `url`, which must answer `200`, and reads the body.
    pub async fn get(&self, url: &str) -> anyhow::Result<()> {
        let response = self.http.get(url).send().await?;
        ensure!(
            response.status() == StatusCode::OK,
            "{url}: {}",
            response.status()
        );
        response.bytes().await?;
        Ok(())
    }

    /// Rotates `refresh_token`; returns its successor.
    pub async fn refresh(&self, refresh_token: &str) -> anyhow::Result<String> {
        let response = self
            .http
            .post(&self.endpoints.token)
            .basic_auth(Seed::WEB, Some(&self.seed.web_secret))
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
            ])
            .send()
            .await?;
        json::<Tokens>(response)
            .await?
            .refresh_token
            .context("no refresh token in the refresh response")
    }

    /// The whole authorization-code flow with PKCE for the seeded user, as a new browser:
    /// authorize, log in (argon2id), consent (remembered after the first flow), redeem the code.
    pub async fn code_flow(&self) -> anyhow::Result<Tokens> {
        let pkce = Pkce::new();
        let mut browser = Browser::default();
        let authorize = authorize_url(&self.endpoints.authorization, Seed::WEB, &pkce, &[])?;
        let location = self
            .redirect(&mut browser, self.http.get(&authorize))
            .await?;
        let location = match self.implementation {
            Implementation::Ours => self.our_login_and_consent(&mut browser, location).await?,
            Implementation::NodeOidcProvider => {
                self.node_interactions(&mut browser, location).await?
            }
        };
        ensure!(
            location.starts_with(REDIRECT_URI),
            "the flow ended at {location}, not the callback"
        );
        let code = url::Url::parse(&location)?
            .query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned())
            .context("no code in the callback")?;
        let response = self
            .http
            .post(&self.endpoints.token)
            .basic_auth(Seed::WEB, Some(&self.seed.web_secret))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT_URI),
                ("code_verifier", &pkce.verifier),
            ])
            .send()
            .await?;
        json(response).await
    }

    /// Our server's browser steps from the authorization request's redirect (`location`) to
    /// the callback: the login form (with its CSRF token), then the consent form unless the
    /// consent is remembered.
    async fn our_login_and_consent(
        &self,
        browser: &mut Browser,
        mut location: String,
    ) -> anyhow::Result<String> {
        if location.contains("/login") {
            let page = browser.page(self.http.get(&location)).await?;
            let mut form = vec![
                (
                    "csrf_token",
                    form_field(&page, "csrf_token").context("no csrf_token")?,
                ),
                ("email", self.seed.email.clone()),
                ("password", self.seed.password.clone()),
            ];
            if let Some(request) = form_field(&page, "request") {
                form.push(("request", request));
            }
            let next = self
                .redirect(browser, self.http.post(self.url("/login")).form(&form))
                .await?;
            location = self.redirect(browser, self.http.get(&next)).await?;
        }
        if location.contains("/consent") {
            let page = browser.page(self.http.get(&location)).await?;
            let form = [
                (
                    "csrf_token",
                    form_field(&page, "csrf_token").context("no csrf_token")?,
                ),
                (
                    "request",
                    form_field(&page, "request").context("no request")?,
                ),
                ("decision", "allow".to_owned()),
            ];
            location = self
                .redirect(browser, self.http.post(self.url("/consent")).form(&form))
                .await?;
        }
        Ok(location)
    }

    /// node-oidc-provider's browser steps from the authorization request's redirect to the
    /// callback: each interaction page (`/interaction/<uid>`, login or consent as
    /// `server.mjs` renders it) is shown, its form posted, and the browser sent back to the
    /// authorization endpoint, which redirects to the next interaction or to the callback.
    async fn node_interactions(
        &self,
        browser: &mut Browser,
        mut location: String,
    ) -> anyhow::Result<String> {
        let interactions = self.url("/interaction/");
        for _ in 0..MOST_NODE_INTERACTIONS {
            if !location.starts_with(&interactions) {
                return Ok(location);
            }
            let page = browser.page(self.http.get(&location)).await?;
            let request = if page.contains("/login\"") {
                let form = [
                    ("email", self.seed.email.as_str()),
                    ("password", self.seed.password.as_str()),
                ];
                self.http.post(format!("{location}/login")).form(&form)
            } else if page.contains("/confirm\"") {
                self.http
                    .post(format!("{location}/confirm"))
                    .form(&[("allow", "yes")])
            } else {
                bail!("{location} is neither a login nor a consent page");
            };
            let resume = self.redirect(browser, request).await?;
            location = self.redirect(browser, self.http.get(&resume)).await?;
        }
        bail!("still at {location} after {MOST_NODE_INTERACTIONS} interactions")
    }

    /// Sends `request` as `browser`; it must redirect; returns the absolute `Location`.
    async fn redirect(
        &self,
        browser: &mut Browser,
        request: RequestBuilder,
    ) -> anyhow::Result<String> {
        let response = browser.send(request).await?;
        let status = response.status();
        let location = response
            .headers()
            .get(header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .map(str::to_owned);
        response.bytes().await?;
        match location {
            Some(l) if status.is_redirection() && l.starts_with('/') => Ok(self.url(&l)),
            Some(l) if status.is_redirection() => Ok(l),
            _ => bail!("expected a redirect, got {status}"),
        }
    }
}

/// Reads a `200` JSON response.
async fn json<T: serde::de::DeserializeOwned>(response: Response) -> anyhow::Result<T> {
    let status = response.status();
    if status != StatusCode::OK {
        let body = response.text().await.unwrap_or_default();
        bail!("{status}: {}", body.chars().take(200).collect::<String>());
    }
    Ok(response.json().await?)
}

/// A browser's cookies.
#[derive(Default)]
struct Browser {
    cookies: Vec<(String, String)>,
}

impl Browser {
    async fn send(&mut self, request: RequestBuilder) -> anyhow::Result<Response> {
        let request = if self.cookies.is_empty() {
            request
        } else {
            let cookie = self
                .cookies
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect::<Vec<_>>()
                .join("; ");
            request.header(header::COOKIE, cookie)
        };
        let response = request.send().await?;
        for set in response.headers().get_all(header::SET_COOKIE) {
            let Some((name, value)) = set
                .to_str()
                .ok()
                .and_then(|s| s.split(';').next())
                .and_then(|pair| pair.split_once('='))
            else {
                continue;
            };
            self.cookies.retain(|(n, _)| n != name);
            if !value.is_empty() {
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
        Ok(response)
    }

    /// GETs a page that must answer `200`; returns its HTML.
    async fn page(&mut self, request: RequestBuilder) -> anyhow::Result<String> {
        let response = self.send(request).await?;
        ensure!(
            response.status() == StatusCode::OK,
            "page: {}",
            response.status()
        );
        Ok(response.text().await?)
    }
}

//! Reading what a request answers. A test fails by panicking, so a transport error or a body
//! that does not parse panics here instead of at every call site.

use serde::de::DeserializeOwned;
use std::future::Future;

/// Sends a request and reads its answer.
pub trait Fetch {
    /// The response.
    fn fetch(self) -> impl Future<Output = reqwest::Response> + Send;
    /// The response's status.
    fn fetch_status(self) -> impl Future<Output = reqwest::StatusCode> + Send;
    /// The body as JSON (of the type the caller's context asks for).
    fn fetch_json<T: DeserializeOwned>(self) -> impl Future<Output = T> + Send;
    /// The body as text.
    fn fetch_text(self) -> impl Future<Output = String> + Send;
}

impl Fetch for reqwest::RequestBuilder {
    async fn fetch(self) -> reqwest::Response {
        self.send().await.unwrap()
    }

    async fn fetch_status(self) -> reqwest::StatusCode {
        self.fetch().await.status()
    }

    async fn fetch_json<T: DeserializeOwned>(self) -> T {
        self.fetch().await.read_json().await
    }

    async fn fetch_text(self) -> String {
        self.fetch().await.text().await.unwrap()
    }
}

/// Reads a response's body.
pub trait ReadJson {
    /// The body as JSON (of the type the caller's context asks for).
    fn read_json<T: DeserializeOwned>(self) -> impl Future<Output = T> + Send;
}

impl ReadJson for reqwest::Response {
    async fn read_json<T: DeserializeOwned>(self) -> T {
        self.json().await.unwrap()
    }
}

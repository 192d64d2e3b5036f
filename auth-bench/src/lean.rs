//! The load of the rows whose request never changes (client_credentials, introspection, JWKS,
//! discovery, the trivial handler): each worker owns one HTTP/1.1 keep-alive connection made
//! with hyper's low-level client, and the request is built once, before the run. Per request
//! the load generator then only copies the prepared request, writes it and reads the answer,
//! like `wrk` would; no URL parsing, form encoding, base64 or connection-pool lookup per request.
//! It shares the cores with the server under test, so what it spends is taken from the rows'
//! rates.

use crate::cli::LoadPolicy;
use crate::flows::Tokens;
use crate::load::{Measured, Recorder, drive};
use anyhow::{Context, bail, ensure};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::{SendRequest, handshake};
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;

/// What an answer must be for the request to count as a success.
#[derive(Debug, Clone, Copy)]
pub enum Expect {
    /// `200` and any body.
    Ok,
    /// `200` and a token response with an access token.
    Token,
    /// `200` and an introspection response with `"active": true`.
    Active,
    /// `200` and an is-registered answer `"registered": true`.
    Registered,
    /// `200` and an is-registered answer `"registered": false`.
    Unregistered,
}

/// One request, built once and sent many times.
#[derive(Clone)]
pub struct Prepared {
    /// `host:port` to connect to.
    address: String,
    method: Method,
    /// Origin form: path and query.
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
    expect: Expect,
}

impl Prepared {
    /// A GET of `url`.
    pub fn get(url: &str, expect: Expect) -> anyhow::Result<Self> {
        Self::new(Method::GET, url, None, Vec::new(), expect)
    }

    /// A GET of `url` with a bearer token (RFC 6750 section 2.1).
    pub fn get_with_bearer(url: &str, token: &str, expect: Expect) -> anyhow::Result<Self> {
        let bearer = format!("Bearer {token}");
        Self::new(Method::GET, url, Some(bearer), Vec::new(), expect)
    }

    /// A form POST to `url` with HTTP basic client authentication (RFC 6749 section 2.3.1).
    pub fn form_post(
        url: &str,
        (client_id, secret): (&str, &str),
        form: &[(&str, &str)],
        expect: Expect,
    ) -> anyhow::Result<Self> {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let encode =
            |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let credentials: String = format!("{}:{}", encode(client_id), encode(secret));
        let basic = format!("Basic {}", STANDARD.encode(credentials));
        Self::new(Method::POST, url, Some(basic), body.into_bytes(), expect)
    }

    fn new(
        method: Method,
        url: &str,
        authorization: Option<String>,
        body: Vec<u8>,
        expect: Expect,
    ) -> anyhow::Result<Self> {
        let parsed = url::Url::parse(url).with_context(|| format!("the URL {url}"))?;
        let host = parsed.host_str().context("a URL without a host")?;
        let port = parsed
            .port_or_known_default()
            .context("a URL without a port")?;
        let address = format!("{host}:{port}");
        let mut origin_form = parsed.path().to_owned();
        if let Some(query) = parsed.query() {
            origin_form.push('?');
            origin_form.push_str(query);
        }
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_str(&address)?);
        if let Some(authorization) = authorization {
            headers.insert(
                header::AUTHORIZATION,
                HeaderValue::from_str(&authorization)?,
            );
        }
        if method == Method::POST {
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            );
        }
        Ok(Self {
            address,
            method,
            uri: origin_form.parse()?,
            headers,
            body: body.into(),
            expect,
        })
    }

    fn request(&self) -> Request<Full<Bytes>> {
        let mut request = Request::new(Full::new(self.body.clone()));
        *request.method_mut() = self.method.clone();
        *request.uri_mut() = self.uri.clone();
        *request.headers_mut() = self.headers.clone();
        request
    }
}

/// A worker's connection; made again when the server closed it.
struct Connection {
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Connection {
    async fn send(&mut self, prepared: &Prepared) -> anyhow::Result<()> {
        let sender = match &mut self.sender {
            Some(sender) if !sender.is_closed() => sender,
            _ => self.sender.insert(connect(&prepared.address).await?),
        };
        sender.ready().await?;
        let response = match sender.send_request(prepared.request()).await {
            Ok(response) => response,
            Err(error) => {
                self.sender = None;
                return Err(error.into());
            }
        };
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        if status != StatusCode::OK {
            bail!(
                "{status}: {}",
                String::from_utf8_lossy(&body)
                    .chars()
                    .take(200)
                    .collect::<String>()
            );
        }
        match prepared.expect {
            Expect::Ok => {}
            Expect::Token => {
                let tokens: Tokens = serde_json::from_slice(&body)?;
                ensure!(!tokens.access_token.is_empty(), "an empty access token");
            }
            Expect::Active => {
                #[derive(Deserialize)]
                struct Introspection {
                    active: bool,
                }
                let answer: Introspection = serde_json::from_slice(&body)?;
                ensure!(answer.active, "the token introspects as inactive");
            }
            Expect::Registered | Expect::Unregistered => {
                #[derive(Deserialize)]
                struct Answer {
                    registered: bool,
                }
                let answer: Answer = serde_json::from_slice(&body)?;
                let expected = matches!(prepared.expect, Expect::Registered);
                ensure!(
                    answer.registered == expected,
                    "the is-registered answer is {}, not {expected}",
                    answer.registered
                );
            }
        }
        Ok(())
    }
}

async fn connect(address: &str) -> anyhow::Result<SendRequest<Full<Bytes>>> {
    let stream = TcpStream::connect(address).await?;
    stream.set_nodelay(true)?;
    let (sender, connection) = handshake(TokioIo::new(stream)).await?;
    // The connection task ends when the connection does; its error then shows in `send`.
    tokio::spawn(connection);
    Ok(sender)
}

/// Sends `prepared` over `connections` keep-alive connections, one request after another on
/// each, for `duration`.
pub async fn repeat(
    policy: LoadPolicy,
    connections: usize,
    duration: Duration,
    prepared: Prepared,
) -> anyhow::Result<Measured> {
    cycle(policy, connections, duration, vec![prepared]).await
}

/// Sends the requests of `pool` in turn over `connections` keep-alive connections for
/// `duration`: connection `c` sends requests `c`, `c + connections`, `c + 2 * connections`...
/// (wrapping), so together they go through the pool in order and come back to a request only
/// after every other one was sent. The calling thread, which runs every connection (the
/// benchmark's runtime has one thread), is scheduled under `policy` until the load ends.
pub async fn cycle(
    policy: LoadPolicy,
    connections: usize,
    duration: Duration,
    pool: Vec<Prepared>,
) -> anyhow::Result<Measured> {
    anyhow::ensure!(!pool.is_empty(), "no request to send");
    let pool: Arc<[Prepared]> = pool.into();
    let _scheduled = Scheduled::enter(policy)?;
    drive(connections, duration, move |worker, rec: Recorder| {
        let pool = pool.clone();
        async move {
            let mut rec = rec;
            let mut connection = Connection { sender: None };
            let mut next = worker % pool.len();
            while rec.running() {
                rec.time(connection.send(&pool[next])).await;
                next = (next + connections) % pool.len();
            }
            rec
        }
    })
    .await
}

/// While alive, the thread that made it (the benchmark's only runtime thread) runs under a
/// load policy; dropped, it is back to `SCHED_OTHER`. Child processes are started outside it,
/// so a server never inherits the policy.
struct Scheduled {
    changed: bool,
}

impl Scheduled {
    fn enter(policy: LoadPolicy) -> anyhow::Result<Self> {
        if policy == LoadPolicy::Normal {
            return Ok(Self { changed: false });
        }
        ensure!(
            tokio::runtime::Handle::current().runtime_flavor()
                == tokio::runtime::RuntimeFlavor::CurrentThread,
            "--load-policy {} applies to the thread of a current-thread runtime",
            policy.name()
        );
        sched::set(policy).with_context(|| {
            format!(
                "could not schedule the load thread as `--load-policy {}`; \
                 `--load-policy normal` leaves it as it is",
                policy.name()
            )
        })?;
        Ok(Self { changed: true })
    }
}

impl Drop for Scheduled {
    fn drop(&mut self) {
        if self.changed
            && let Err(error) = sched::set(LoadPolicy::Normal)
        {
            eprintln!("warning: the load thread stays under its load policy: {error}");
        }
    }
}

#[cfg(target_os = "linux")]
mod sched {
    use crate::cli::LoadPolicy;
    use anyhow::Context;
    use thread_priority::unix::{
        NormalThreadSchedulePolicy, ThreadSchedulePolicy, set_thread_priority_and_policy,
        thread_native_id,
    };
    use thread_priority::{ThreadPriority, ThreadPriorityValue};

    /// Puts the calling thread under `policy`, keeping its nice value (a user may run the
    /// benchmark under `nice`; lowering the value again would need privilege).
    pub fn set(policy: LoadPolicy) -> anyhow::Result<()> {
        let normal = ThreadSchedulePolicy::Normal(match policy {
            LoadPolicy::Batch => NormalThreadSchedulePolicy::Batch,
            LoadPolicy::Normal => NormalThreadSchedulePolicy::Other,
        });
        let priority = priority_for_nice(current_nice()?, normal)?;
        set_thread_priority_and_policy(thread_native_id(), priority, normal)
            .map_err(|error| anyhow::anyhow!("{error:?}"))
    }

    /// The crate sets a normal policy's priority as a nice value, mapping its 0..=99 scale
    /// onto nice 19..=-20; this is the value of that scale it maps onto `nice`.
    pub(super) fn priority_for_nice(
        nice: i32,
        policy: ThreadSchedulePolicy,
    ) -> anyhow::Result<ThreadPriority> {
        (0..=ThreadPriorityValue::MAX.into())
            .filter_map(|value: u8| ThreadPriorityValue::try_from(value).ok())
            .map(ThreadPriority::Crossplatform)
            .find(|priority| priority.to_posix(policy).ok() == Some(nice))
            .with_context(|| format!("no thread priority maps onto nice {nice}"))
    }

    /// The calling thread's nice value.
    fn current_nice() -> anyhow::Result<i32> {
        stat_field(19)
    }

    /// Field `number` (counted from 1, as proc(5) does) of `/proc/thread-self/stat`: 19 is the
    /// nice value, 41 the scheduling policy.
    pub(super) fn stat_field<T: std::str::FromStr>(number: usize) -> anyhow::Result<T> {
        let stat = std::fs::read_to_string("/proc/thread-self/stat")
            .context("cannot read /proc/thread-self/stat")?;
        // The command name (field 2) is in parentheses and may hold spaces; after it, field 3.
        let after_name = stat
            .rfind(')')
            .and_then(|end| stat.get(end + 2..))
            .context("/proc/thread-self/stat has no command name")?;
        after_name
            .split_whitespace()
            .nth(number - 3)
            .and_then(|field| field.parse().ok())
            .with_context(|| format!("/proc/thread-self/stat has no field {number}"))
    }
}

#[cfg(not(target_os = "linux"))]
mod sched {
    use crate::cli::LoadPolicy;

    pub fn set(policy: LoadPolicy) -> anyhow::Result<()> {
        anyhow::ensure!(
            policy == LoadPolicy::Normal,
            "SCHED_BATCH is Linux's; this system has no such policy"
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::routing::{get, post};

    async fn serve(router: Router) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        format!("http://{address}")
    }

    #[tokio::test]
    async fn a_prepared_post_carries_its_form_and_basic_credentials() {
        let base = serve(Router::new().route(
            "/token",
            post(|headers: HeaderMap, body: String| async move {
                let auth = headers[header::AUTHORIZATION].to_str().unwrap().to_owned();
                let expected = format!("Basic {}", STANDARD.encode("a%3Ab:s+t"));
                if auth == expected && body == "grant_type=client_credentials&scope=x+y" {
                    (
                        StatusCode::OK,
                        r#"{"access_token":"t","token_type":"Bearer"}"#,
                    )
                } else {
                    (StatusCode::BAD_REQUEST, "wrong request")
                }
            }),
        ))
        .await;
        let prepared = Prepared::form_post(
            &format!("{base}/token"),
            ("a:b", "s t"),
            &[("grant_type", "client_credentials"), ("scope", "x y")],
            Expect::Token,
        )
        .unwrap();
        let mut connection = Connection { sender: None };
        for _ in 0..3 {
            connection.send(&prepared).await.unwrap();
        }
    }

    #[tokio::test]
    async fn wrong_statuses_and_inactive_tokens_fail() {
        let base = serve(
            Router::new()
                .route("/missing", get(|| async { StatusCode::NOT_FOUND }))
                .route("/inactive", get(|| async { r#"{"active":false}"# })),
        )
        .await;
        let mut connection = Connection { sender: None };
        let missing = Prepared::get(&format!("{base}/missing"), Expect::Ok).unwrap();
        let error = connection.send(&missing).await.unwrap_err().to_string();
        assert!(error.contains("404"), "{error}");
        let inactive = Prepared::get(&format!("{base}/inactive"), Expect::Active).unwrap();
        let error = connection.send(&inactive).await.unwrap_err().to_string();
        assert!(error.contains("inactive"), "{error}");
    }

    /// The calling thread's policy and nice value, as the kernel reports them.
    #[cfg(target_os = "linux")]
    fn policy_and_nice() -> (u32, i32) {
        (
            sched::stat_field(41).unwrap(),
            sched::stat_field(19).unwrap(),
        )
    }

    /// On a new thread (made nicer first when `nicer` is given, as under `nice -n 5`) with a
    /// current-thread runtime: the batch policy holds while entered and is undone after, the
    /// nice value stays what it was, and `normal` changes nothing.
    #[cfg(target_os = "linux")]
    fn batch_policy_round_trip(nicer: Option<i32>) {
        const SCHED_OTHER: u32 = 0;
        const SCHED_BATCH: u32 = 3;
        std::thread::spawn(move || {
            if let Some(nice) = nicer {
                use thread_priority::unix::{
                    NormalThreadSchedulePolicy, ThreadSchedulePolicy,
                    set_thread_priority_and_policy, thread_native_id,
                };
                let other = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Other);
                // Raising the nice value needs no privilege.
                let priority = sched::priority_for_nice(nice, other).unwrap();
                set_thread_priority_and_policy(thread_native_id(), priority, other).unwrap();
            }
            let (policy, nice) = policy_and_nice();
            assert_eq!(policy, SCHED_OTHER);
            if let Some(nicer) = nicer {
                assert_eq!(nice, nicer);
            }
            let runtime = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            runtime.block_on(async {
                let scheduled = Scheduled::enter(LoadPolicy::Batch).unwrap();
                assert_eq!(policy_and_nice(), (SCHED_BATCH, nice));
                drop(scheduled);
                assert_eq!(policy_and_nice(), (SCHED_OTHER, nice));
                let _normal = Scheduled::enter(LoadPolicy::Normal).unwrap();
                assert_eq!(policy_and_nice(), (SCHED_OTHER, nice));
            });
        })
        .join()
        .unwrap();
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_batch_policy_holds_while_the_load_runs_and_is_undone_after() {
        batch_policy_round_trip(None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_batch_policy_keeps_the_nice_value() {
        batch_policy_round_trip(Some(5));
    }

    #[test]
    fn a_batch_policy_is_refused_on_a_multi_thread_runtime() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .build()
            .unwrap();
        let error = runtime
            .block_on(async { Scheduled::enter(LoadPolicy::Batch).map(|_| ()) })
            .unwrap_err()
            .to_string();
        assert!(error.contains("current-thread"), "{error}");
    }
}

//! Mail: a real SMTP listener collecting what the server sends, and the server's outbox.

use crate::app::{TestApp, spawn_app_with};
use crate::db::Backend;
use auth_server::config::Config;
use std::sync::Arc;

/// A mail received by the test SMTP listener.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl ReceivedMail {
    /// The first link in the text body starting with `prefix`.
    pub fn link(&self, prefix: &str) -> String {
        let start = self
            .text
            .find(prefix)
            .unwrap_or_else(|| panic!("no link {prefix} in:\n{}", self.text));
        self.text[start..]
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned()
    }

    /// The six-digit code in the text body.
    pub fn code(&self) -> String {
        self.text
            .split_whitespace()
            .find(|w| w.len() == 6 && w.bytes().all(|b| b.is_ascii_digit()))
            .unwrap_or_else(|| panic!("no code in:\n{}", self.text))
            .to_owned()
    }
}

#[derive(Clone)]
struct SinkHandler {
    received: Arc<std::sync::Mutex<Vec<ReceivedMail>>>,
    to: Vec<String>,
    data: Vec<u8>,
}

impl mailin_embedded::Handler for SinkHandler {
    fn data_start(
        &mut self,
        _domain: &str,
        _from: &str,
        _is8bit: bool,
        to: &[String],
    ) -> mailin_embedded::Response {
        self.to = to.to_vec();
        self.data.clear();
        mailin_embedded::response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> mailin_embedded::Response {
        let parsed = mailparse::parse_mail(&self.data).expect("a MIME message");
        let subject = parsed
            .headers
            .iter()
            .find(|h| h.get_key_ref().eq_ignore_ascii_case("subject"))
            .map(|h| h.get_value())
            .unwrap_or_default();
        let mut text = String::new();
        let mut html = String::new();
        for part in parsed.subparts.iter().chain(std::iter::once(&parsed)) {
            match part.ctype.mimetype.as_str() {
                "text/plain" => text = part.get_body().unwrap_or_default(),
                "text/html" => html = part.get_body().unwrap_or_default(),
                _ => {}
            }
        }
        self.received.lock().unwrap().push(ReceivedMail {
            to: self.to.clone(),
            subject,
            text,
            html,
        });
        mailin_embedded::response::OK
    }
}

/// A real SMTP server on 127.0.0.1, collecting what it receives.
#[derive(Clone)]
pub struct SmtpSink {
    pub port: u16,
    received: Arc<std::sync::Mutex<Vec<ReceivedMail>>>,
}

impl SmtpSink {
    /// A free port for a sink that starts later.
    pub fn reserve_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    /// Starts listening on a free port.
    pub fn start() -> Self {
        Self::start_on(Self::reserve_port())
    }

    /// Starts listening on `port`.
    pub fn start_on(port: u16) -> Self {
        let received = Arc::new(std::sync::Mutex::new(Vec::new()));
        let listener =
            std::net::TcpListener::bind(("127.0.0.1", port)).expect("bind the SMTP port");
        let handler = SinkHandler {
            received: received.clone(),
            to: Vec::new(),
            data: Vec::new(),
        };
        let mut server = mailin_embedded::Server::new(handler);
        server
            .with_name("sink.test")
            .with_num_threads(2)
            .with_tcp_listener(listener);
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        Self { port, received }
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<ReceivedMail> {
        self.received.lock().unwrap().clone()
    }

    /// Waits (up to 15 s) for a mail to `to` whose subject contains `subject`.
    pub async fn wait_for(&self, to: &str, subject: &str) -> ReceivedMail {
        for _ in 0..150 {
            if let Some(mail) = self.received().into_iter().rev().find(|m| {
                m.to.iter().any(|t| t.eq_ignore_ascii_case(to)) && m.subject.contains(subject)
            }) {
                return mail;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!(
            "no mail to {to} about `{subject}`; received: {:?}",
            self.received()
                .iter()
                .map(|m| (&m.to, &m.subject))
                .collect::<Vec<_>>()
        );
    }
}

/// Points the configuration's mail at an SMTP listener on `port`.
pub fn smtp_to(config: &mut Config, port: u16) {
    config.mail.transport = auth_server::config::mail::Transport::Smtp;
    config.mail.smtp_host = "127.0.0.1".into();
    config.mail.smtp_port = port;
    config.mail.smtp_security = auth_core::mail::transport::SmtpSecurity::None;
    config.mail.poll_interval_secs = 1;
    config.mail.from = "Test <no-reply@auth.test>".into();
}

/// A server whose mail goes to a fresh SMTP sink.
pub async fn spawn_app_with_mail(
    backend: Backend,
    configure: impl FnOnce(&mut Config),
) -> (TestApp, SmtpSink) {
    let sink = SmtpSink::start();
    let port = sink.port;
    let app = spawn_app_with(backend, move |c| {
        smtp_to(c, port);
        configure(c);
    })
    .await;
    (app, sink)
}

impl TestApp {
    /// Waits (up to 15 s) until `count` mails wait in the outbox; a reset link is queued by
    /// a background task after the answer.
    pub async fn wait_for_pending_mail(&self, count: i64) {
        for _ in 0..150 {
            if self.provider.store().pending_mail().await.unwrap() == count {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("{count} mails never waited in the outbox");
    }

    /// (attempts, sealed message) of every queued mail, read straight from the table.
    pub async fn outbox(&self) -> Vec<(i64, Vec<u8>)> {
        let sql = "SELECT attempts, sealed_message FROM mail_outbox ORDER BY created_at";
        if self.db.url.starts_with("sqlite:") {
            let pool = sqlx::SqlitePool::connect(&self.db.url).await.unwrap();
            let rows = sqlx::query_as(sql).fetch_all(&pool).await.unwrap();
            pool.close().await;
            rows
        } else {
            let pool = sqlx::PgPool::connect(&self.db.url).await.unwrap();
            let rows = sqlx::query_as(sql).fetch_all(&pool).await.unwrap();
            pool.close().await;
            rows
        }
    }
}

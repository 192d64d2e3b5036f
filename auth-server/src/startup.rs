//! Opening what the server runs on: the database (migrated), the key-encryption key and the
//! provider with its signing keys. Shared by `serve` and the CLI commands.

use crate::config::{Config, EventSettings, MailTransportSetting, Settings};
use crate::mail::TemplateComposer;
use anyhow::{Context, bail};
use auth_core::Provider;
use auth_core::clock::Clock;
use auth_core::events::delivery::Sinks;
use auth_core::events::nats::NatsPublisher;
use auth_core::events::{Destination, EventRouting};
use auth_core::kek::KeyEncryptionKey;
use auth_core::mail::transport::MailTransport;
use auth_core::otp::sms::WebhookSmsSender;
use auth_core::provider::Services;
use auth_core::store::KeyStore;
use auth_core::store::sql::SqlStore;
use auth_core::throttle::Limiter;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

/// Opens the database, applies migrations, and loads the provider.
pub async fn open_provider(
    config: &Config,
    settings: &Settings,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<Provider> {
    let routing = EventRouting {
        issuer: settings.core.issuer.as_str().to_owned(),
        destinations: settings
            .events
            .destinations
            .iter()
            .map(Destination::name)
            .collect(),
    };
    let store = open_store(config).await?.with_events(routing);
    let kek = resolve_kek(config, &store).await?;
    let services = services(settings).await?;
    Provider::open(
        settings.core.clone(),
        Arc::new(store),
        Arc::new(kek),
        clock,
        services,
    )
    .await
    .context("cannot load the signing keys")
}

/// The provider's services from the settings: templates for mail, the rate-limit store, SMS.
async fn services(settings: &Settings) -> anyhow::Result<Services> {
    let mut services = Services::defaults(&settings.core.issuer);
    services.mail = Arc::new(TemplateComposer::new(
        settings.core.issuer.clone(),
        settings.product_name.clone(),
        settings.i18n.clone(),
    ));
    if let Some((url, prefix)) = &settings.redis_url {
        let client = redis::Client::open(url.expose())
            .with_context(|| format!("rate_limits.redis_url `{url}` is invalid"))?;
        let manager = tokio::time::timeout(
            Duration::from_secs(5),
            redis::aio::ConnectionManager::new(client),
        )
        .await
        .map_err(|_| anyhow::anyhow!("cannot reach Redis at {url} within 5 seconds"))?
        .with_context(|| format!("cannot reach Redis at {url}"))?;
        services.limiter = Limiter::Redis(manager, prefix.clone());
    }
    if let Some(sms) = &settings.sms {
        let sender = WebhookSmsSender::new(
            sms.webhook_url.clone(),
            sms.webhook_secret.expose().as_bytes(),
        )
        .map_err(anyhow::Error::msg)?;
        services.sms = Some(Arc::new(sender));
    }
    Ok(services)
}

/// The event sinks from the settings: starts connecting to NATS when it is configured.
pub async fn event_sinks(settings: &EventSettings) -> anyhow::Result<Sinks> {
    let nats = match &settings.nats {
        Some((url, prefix)) => Some(
            NatsPublisher::connect(url.expose(), prefix.clone())
                .await
                .map_err(|e| anyhow::anyhow!("events.nats_url `{url}`: {e}"))?,
        ),
        None => None,
    };
    Sinks::new(settings.destinations.clone(), nats).map_err(anyhow::Error::msg)
}

/// The mail transport from the settings.
pub fn mail_transport(settings: &Settings) -> anyhow::Result<MailTransport> {
    Ok(match &settings.mail.transport {
        MailTransportSetting::Folder(folder) => MailTransport::folder(folder.clone())?,
        MailTransportSetting::Smtp(smtp) => MailTransport::smtp(smtp)?,
    })
}

/// Opens and migrates the database.
pub async fn open_store(config: &Config) -> anyhow::Result<SqlStore> {
    let store = SqlStore::connect(config.database_url.expose(), &config.database.pool())
        .await
        .with_context(|| format!("cannot open the database at {}", config.database_url))?;
    store
        .migrate()
        .await
        .context("cannot apply the database migrations")?;
    Ok(store)
}

/// The KEK from `keys.encryption_key`, else from `keys.encryption_key_file`, which is created
/// with a fresh key when it is missing and the database holds no keys yet.
async fn resolve_kek(config: &Config, store: &SqlStore) -> anyhow::Result<KeyEncryptionKey> {
    if let Some(encoded) = &config.keys.encryption_key {
        return KeyEncryptionKey::parse_base64(encoded.expose())
            .context("keys.encryption_key is invalid");
    }
    let path = &config.keys.encryption_key_file;
    if path.exists() {
        let encoded = std::fs::read_to_string(path).with_context(|| {
            format!("cannot read the key-encryption key file {}", path.display())
        })?;
        return KeyEncryptionKey::parse_base64(&encoded)
            .with_context(|| format!("the key-encryption key file {} is invalid", path.display()));
    }
    if !store.signing_keys().await?.is_empty() {
        bail!(
            "the database holds signing keys but the key-encryption key file {} does not exist; \
             restore it or set keys.encryption_key to the key the database was created with",
            path.display()
        );
    }
    let (kek, encoded) = KeyEncryptionKey::generate()?;
    write_secret_file(path, &encoded).with_context(|| {
        format!(
            "cannot create the key-encryption key file {}",
            path.display()
        )
    })?;
    tracing::warn!(
        file = %path.display(),
        "generated a new key-encryption key; back this file up, and in production set keys.encryption_key instead"
    );
    Ok(kek)
}

fn write_secret_file(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    writeln!(file, "{contents}")?;
    file.sync_all()
}

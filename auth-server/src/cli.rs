//! The command line: `serve`, `migrate`, `backup`, `client ...`, `keys ...`, `user ...`,
//! `role ...`.
//!
//! Every command reads the same configuration as the server. Output is for people by default
//! and JSON with `--json`, for scripts.

use crate::config::{Config, Settings};
use crate::startup::{open_provider, open_store};
use crate::state::AppState;
use crate::telemetry;
use crate::views::{ClientView, KeyView, RoleView, UserView, rfc3339};
use anyhow::{Context, bail};
use auth_core::Provider;
use auth_core::audit::{self, Entry};
use auth_core::backchannel::BackchannelLogout;
use auth_core::clients::{
    self, AuthMethod, ClientId, ClientSecurity, GrantType, NewClient, RedirectUri,
    TokenExchangePolicy,
};
use auth_core::clock::{Clock, SystemClock};
use auth_core::keys::Activation;
use auth_core::roles::{self, Role, RoleName};
use auth_core::scope::Scope;
use auth_core::users::{self, Email, NewUser, Origin, Profile, User, UserId, password::Password};
use clap::{Args, Parser, Subcommand};
use secrecy::ExposeSecret;
use std::io::BufRead;
use std::path::PathBuf;
use std::sync::Arc;

/// OAuth 2 / OpenID Connect authorization server.
#[derive(Debug, Parser)]
#[command(name = "auth-server", version, about)]
pub struct Cli {
    /// Configuration file (TOML). Environment variables `AUTH_*` override it.
    #[arg(long, short, env = "AUTH_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (applies pending migrations first).
    Serve(ServeArgs),
    /// Create demo roles, users and clients (idempotent); prints their credentials once.
    Seed,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Copy the SQLite database to a new file while the server runs (for PostgreSQL, says how
    /// to use pg_dump). The key-encryption key is not in the copy: back it up separately.
    Backup(crate::backup::BackupArgs),
    /// Manage OAuth clients.
    #[command(subcommand)]
    Client(ClientCommand),
    /// Manage signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage roles and their permissions.
    #[command(subcommand)]
    Role(RoleCommand),
    /// Manage the APIs tokens can be meant for (RFC 8707 resource indicators).
    #[command(subcommand)]
    Resource(ResourceCommand),
}

/// `resource ...`
#[derive(Debug, Subcommand)]
pub enum ResourceCommand {
    /// Register an API: clients name it in `resource`, its tokens carry it as `aud`.
    Create {
        /// Its URI, e.g. `https://tickets.example.com` (absolute, no fragment).
        #[arg(long)]
        uri: String,
        /// What it is.
        #[arg(long)]
        name: String,
        /// The scopes it accepts, space-separated; its tokens carry no others.
        #[arg(long)]
        scope: String,
    },
    /// List the registered APIs.
    List,
    /// Remove an API: no new token names it.
    Delete {
        /// Its URI.
        #[arg(long)]
        uri: String,
    },
}

/// `user ...`
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account. The password is read from stdin with --password-stdin, otherwise a
    /// random one is generated and printed once.
    Create {
        /// E-mail address.
        #[arg(long)]
        email: String,
        /// Full name.
        #[arg(long, default_value = "")]
        name: String,
        /// Role to grant (repeatable).
        #[arg(long = "role")]
        roles: Vec<String>,
        /// Mark the e-mail address as verified.
        #[arg(long)]
        verified: bool,
        /// Read the password from the first line of stdin.
        #[arg(long)]
        password_stdin: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List accounts.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show an account (by id or e-mail).
    Show {
        /// Id or e-mail address.
        user: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Disable an account: it cannot log in, its sessions end and its tokens are revoked.
    Disable {
        /// Id or e-mail address.
        user: String,
    },
    /// End every session of an account (and the refresh tokens issued in them) without
    /// disabling it; the clients it used are sent logout tokens by the running server.
    SignOut {
        /// Id or e-mail address.
        user: String,
    },
    /// Enable a disabled account.
    Enable {
        /// Id or e-mail address.
        user: String,
    },
    /// Delete an account and everything that belongs to it; its tokens stop working.
    Delete {
        /// Id or e-mail address.
        user: String,
    },
}

/// `role ...`
#[derive(Debug, Subcommand)]
pub enum RoleCommand {
    /// Create a role.
    Create {
        /// Role name, e.g. `coach`.
        name: String,
        /// What the role is for.
        #[arg(long, default_value = "")]
        description: String,
        /// Permission the role carries (repeatable).
        #[arg(long = "permission")]
        permissions: Vec<String>,
    },
    /// List roles with their permissions.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Replace the permissions of a role.
    Permissions {
        /// Role name.
        name: String,
        /// The permissions (none clears them).
        permissions: Vec<String>,
    },
    /// Grant a role to a user (by id or e-mail).
    Grant {
        /// Id or e-mail address.
        user: String,
        /// Role name.
        role: String,
    },
    /// Revoke a role from a user.
    Revoke {
        /// Id or e-mail address.
        user: String,
        /// Role name.
        role: String,
    },
}

/// `serve`
#[derive(Debug, Default, Args)]
pub struct ServeArgs {
    /// Create the demo data first (see `seed`).
    #[arg(long)]
    pub demo: bool,
}

/// `client ...`
#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Register a client; its secret is printed once.
    Create(Box<CreateClient>),
    /// List clients.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one client.
    Show {
        /// The client id.
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Delete a client.
    Delete {
        /// The client id.
        id: String,
    },
    /// Give a confidential client a new secret (printed once); tokens issued under the old
    /// one end.
    RotateSecret {
        /// The client id.
        id: String,
    },
    /// Set the services a confidential client may exchange users' tokens for (RFC 8693 token
    /// exchange); without --audience, token exchange is taken away.
    TokenExchange {
        /// The client id.
        id: String,
        /// An audience (a service's `aud`, or a registered resource URI) the client may obtain
        /// tokens for (repeatable).
        #[arg(long = "audience")]
        audiences: Vec<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `client create`
#[derive(Debug, Args)]
pub struct CreateClient {
    /// Human-readable name.
    #[arg(long)]
    pub name: String,
    /// Client id (generated when omitted).
    #[arg(long)]
    pub id: Option<String>,
    /// A public client (no secret; for browser and native apps).
    #[arg(long)]
    pub public: bool,
    /// Token endpoint authentication: client_secret_basic, client_secret_post or
    /// private_key_jwt (with --jwks-file or --jwks-uri).
    #[arg(long, default_value = "client_secret_basic")]
    pub auth_method: String,
    /// A file holding the client's public keys as a JWK set (for private_key_jwt and signed
    /// request objects).
    #[arg(long)]
    pub jwks_file: Option<std::path::PathBuf>,
    /// Where the client publishes its public keys (https).
    #[arg(long)]
    pub jwks_uri: Option<String>,
    /// Every authorization request of the client must be pushed to /par (RFC 9126).
    #[arg(long)]
    pub require_par: bool,
    /// Every token request of the client must carry a DPoP proof (RFC 9449).
    #[arg(long)]
    pub require_dpop: bool,
    /// The client follows the FAPI 2.0 Security Profile: private_key_jwt, pushed requests,
    /// DPoP-bound tokens, PS256/ES256/EdDSA.
    #[arg(long)]
    pub fapi: bool,
    /// Pairwise subject identifiers (OIDC Core section 8): the client sees its own `sub` for
    /// each user, not the user id. Its redirect URIs must share one host.
    #[arg(long)]
    pub pairwise: bool,
    /// Where the server posts logout tokens when a session the client used ends (OIDC
    /// Back-Channel Logout; https, http only for a server on loopback).
    #[arg(long)]
    pub backchannel_logout_uri: Option<String>,
    /// Logout tokens must carry the session id (`sid`); needs --backchannel-logout-uri.
    #[arg(long)]
    pub backchannel_logout_session_required: bool,
    /// Allowed grant type (repeatable). Default: authorization_code and refresh_token when a
    /// redirect URI is given, client_credentials otherwise.
    #[arg(long = "grant")]
    pub grants: Vec<String>,
    /// Allowed scopes, space-separated.
    #[arg(long, default_value = "")]
    pub scope: String,
    /// Redirect URI (repeatable).
    #[arg(long = "redirect-uri")]
    pub redirect_uris: Vec<String>,
    /// Post-logout redirect URI (repeatable).
    #[arg(long = "post-logout-redirect-uri")]
    pub post_logout_redirect_uris: Vec<String>,
    /// First-party client: users are not asked for consent.
    #[arg(long)]
    pub trusted: bool,
    /// A service the client may exchange users' tokens for (RFC 8693; repeatable): adds the
    /// token-exchange grant type.
    #[arg(long = "exchange-audience")]
    pub exchange_audiences: Vec<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `keys ...`
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Add a new signing key. It is published at once and signs after the publish delay.
    Rotate {
        /// Sign with the new key at once (for a compromised key).
        #[arg(long)]
        now: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List signing keys and their state.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Parses the command line and runs the command.
pub async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = Config::load(cli.config.as_deref())?;
    let settings = config.validate()?;
    match cli.command.unwrap_or(Command::Serve(ServeArgs::default())) {
        Command::Serve(args) => {
            telemetry::init_tracing(&config.log)?;
            serve(&config, &settings, args.demo).await
        }
        command => {
            // Commands print their results; logs only carry warnings.
            let mut log = config.log.clone();
            log.filter = "warn".into();
            telemetry::init_tracing(&log)?;
            run_command(command, &config, &settings).await
        }
    }
}

async fn serve(config: &Config, settings: &Settings, demo: bool) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(settings.bind)
        .await
        .with_context(|| format!("cannot listen on {}", settings.bind))?;
    // With port 0 the default issuer must name the port actually bound.
    let settings = if config.issuer.is_none() && settings.bind.port() == 0 {
        let mut config = config.clone();
        config.issuer = Some(format!("http://{}", listener.local_addr()?));
        &config.validate()?
    } else {
        settings
    };
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let provider = open_provider(config, settings, clock).await?;
    if demo {
        crate::seed::seed(&provider).await?;
    }
    tracing::info!(
        address = %listener.local_addr()?,
        issuer = %settings.core.issuer,
        "auth-server is listening"
    );
    if !auth_core::admin::any_admin(&provider).await? {
        // Issue 24: the first run says how to make the first administrator.
        tracing::warn!("{}", crate::console::FIRST_ADMIN_HELP);
    }
    let state = AppState::new(provider, settings)?;
    crate::serve(listener, state, shutdown_signal())
        .await
        .context("the server failed")
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

async fn run_command(command: Command, config: &Config, settings: &Settings) -> anyhow::Result<()> {
    if let Command::Migrate = command {
        open_store(config).await?;
        println!("migrations applied");
        return Ok(());
    }
    if let Command::Backup(args) = &command {
        return crate::backup::backup(config, args).await;
    }
    let provider = open_provider(config, settings, Arc::new(SystemClock)).await?;
    match command {
        Command::Serve(_) | Command::Migrate | Command::Backup(_) => Ok(()),
        Command::Seed => crate::seed::seed(&provider).await,
        Command::Client(command) => client_command(&provider, command).await,
        Command::Keys(command) => keys_command(&provider, command).await,
        Command::User(command) => user_command(&provider, command).await,
        Command::Role(command) => role_command(&provider, command).await,
        Command::Resource(command) => resource_command(&provider, command).await,
    }
}

async fn resource_command(provider: &Provider, command: ResourceCommand) -> anyhow::Result<()> {
    use auth_core::resources;
    match command {
        ResourceCommand::Create { uri, name, scope } => {
            let resource =
                resources::register(provider, &uri, &name, Scope::parse(scope.trim())?).await?;
            audit::record(
                provider,
                Entry::new("resource_created")
                    .actor("cli")
                    .detail("uri", resource.uri.clone()),
            )
            .await;
            println!("{}  {}  {}", resource.uri, resource.scope, resource.name);
        }
        ResourceCommand::List => {
            for resource in provider.store().resources().await? {
                println!("{}  {}  {}", resource.uri, resource.scope, resource.name);
            }
        }
        ResourceCommand::Delete { uri } => {
            resources::delete(provider, &uri).await?;
            audit::record(
                provider,
                Entry::new("resource_deleted")
                    .actor("cli")
                    .detail("uri", uri.clone()),
            )
            .await;
        }
    }
    Ok(())
}

async fn client_command(provider: &Provider, command: ClientCommand) -> anyhow::Result<()> {
    match command {
        ClientCommand::Create(args) => create_client(provider, *args).await,
        ClientCommand::List { json } => {
            let clients = provider.store().clients().await?;
            let views: Vec<ClientView> = clients.iter().map(ClientView::from).collect();
            if json {
                println!("{}", serde_json::to_string_pretty(&views)?);
            } else if views.is_empty() {
                println!("no clients");
            } else {
                for view in &views {
                    println!(
                        "{}\t{}\t{}\t{}",
                        view.client_id,
                        view.token_endpoint_auth_method,
                        view.grant_types.join(","),
                        view.client_name
                    );
                }
            }
            Ok(())
        }
        ClientCommand::Show { id, json } => {
            let id = ClientId::parse(&id)?;
            let client = provider
                .store()
                .client(&id)
                .await?
                .with_context(|| format!("no client is registered with id `{id}`"))?;
            let view = ClientView::from(&*client);
            if json {
                println!("{}", serde_json::to_string_pretty(&view)?);
            } else {
                print_client(&view);
            }
            Ok(())
        }
        ClientCommand::Delete { id } => {
            let id = ClientId::parse(&id)?;
            clients::delete(provider, &id).await?;
            audit::record(
                provider,
                Entry::new("client_deleted")
                    .actor("cli")
                    .client(id.as_str()),
            )
            .await;
            println!("deleted client `{id}`");
            Ok(())
        }
        ClientCommand::RotateSecret { id } => {
            let id = ClientId::parse(&id)?;
            let secret = clients::rotate_secret(provider, &id).await?;
            audit::record(
                provider,
                Entry::new("client_secret_rotated")
                    .actor("cli")
                    .client(id.as_str()),
            )
            .await;
            println!("{}", secret.expose());
            Ok(())
        }
        ClientCommand::TokenExchange {
            id,
            audiences,
            json,
        } => {
            let id = ClientId::parse(&id)?;
            let client = clients::set_token_exchange(provider, &id, audiences).await?;
            audit::record(
                provider,
                Entry::new("client_token_exchange_set")
                    .actor("cli")
                    .client(id.as_str()),
            )
            .await;
            let view = ClientView::from(&client);
            if json {
                println!("{}", serde_json::to_string_pretty(&view)?);
            } else {
                print_client(&view);
            }
            Ok(())
        }
    }
}

async fn create_client(provider: &Provider, args: CreateClient) -> anyhow::Result<()> {
    let auth_method = if args.public {
        AuthMethod::None
    } else {
        match AuthMethod::parse(&args.auth_method) {
            Some(AuthMethod::None) | None => bail!(
                "--auth-method must be client_secret_basic, client_secret_post or private_key_jwt (use --public for a public client)"
            ),
            Some(method) => method,
        }
    };
    let mut grant_types: Vec<GrantType> = if args.grants.is_empty() {
        if args.redirect_uris.is_empty() {
            vec![GrantType::ClientCredentials]
        } else {
            vec![GrantType::AuthorizationCode, GrantType::RefreshToken]
        }
    } else {
        args.grants
            .iter()
            .map(|g| {
                // `device_code` is short for the grant's URN (RFC 8628 section 3.4).
                let urn = if g == "device_code" { GrantType::DeviceCode.as_str() } else { g };
                GrantType::parse(urn).with_context(|| {
                    format!("--grant `{g}` is not one of authorization_code, client_credentials, refresh_token, device_code (urn:ietf:params:oauth:grant-type:device_code), urn:ietf:params:oauth:grant-type:token-exchange")
                })
            })
            .collect::<anyhow::Result<_>>()?
    };
    if !args.exchange_audiences.is_empty() && !grant_types.contains(&GrantType::TokenExchange) {
        grant_types.push(GrantType::TokenExchange);
    }
    let scope = if args.scope.trim().is_empty() {
        Scope::empty()
    } else {
        Scope::parse(args.scope.trim())?
    };
    let parse_uris = |uris: &[String]| -> anyhow::Result<Vec<RedirectUri>> {
        uris.iter().map(|u| Ok(RedirectUri::parse(u)?)).collect()
    };
    let mut new = NewClient::new(args.name, auth_method, grant_types);
    new.id = args.id.as_deref().map(ClientId::parse).transpose()?;
    new.scope = scope;
    new.redirect_uris = parse_uris(&args.redirect_uris)?;
    new.post_logout_redirect_uris = parse_uris(&args.post_logout_redirect_uris)?;
    new.trusted = args.trusted;
    let jwks = match &args.jwks_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read --jwks-file {}", path.display()))?;
            Some(
                serde_json::from_str(&text)
                    .with_context(|| format!("--jwks-file {} is not JSON", path.display()))?,
            )
        }
        None => None,
    };
    new.security = ClientSecurity {
        jwks,
        jwks_uri: args.jwks_uri.clone(),
        require_pushed_authorization_requests: args.require_par,
        dpop_bound_access_tokens: args.require_dpop,
        fapi: args.fapi,
        pairwise: args.pairwise,
        token_exchange: (!args.exchange_audiences.is_empty()).then(|| TokenExchangePolicy {
            audiences: args.exchange_audiences.clone(),
        }),
        ..ClientSecurity::default()
    };
    new.backchannel = BackchannelLogout {
        uri: args.backchannel_logout_uri.clone(),
        session_required: args.backchannel_logout_session_required,
    };
    let (client, secret) = clients::register(provider, new).await?;
    audit::record(
        provider,
        Entry::new("client_created")
            .actor("cli")
            .client(client.id.as_str()),
    )
    .await;
    let mut view = ClientView::from(&client);
    view.client_secret = secret.as_ref().map(|s| s.expose().to_owned());
    if args.json {
        println!("{}", serde_json::to_string_pretty(&view)?);
    } else {
        print_client(&view);
        if secret.is_some() {
            println!("\nThe client secret is shown only now; store it safely.");
        }
    }
    Ok(())
}

fn print_client(view: &ClientView) {
    println!("client_id:     {}", view.client_id);
    if let Some(secret) = &view.client_secret {
        println!("client_secret: {secret}");
    }
    println!("name:          {}", view.client_name);
    println!("auth method:   {}", view.token_endpoint_auth_method);
    println!("grant types:   {}", view.grant_types.join(" "));
    println!("scope:         {}", view.scope);
    for uri in &view.redirect_uris {
        println!("redirect uri:  {uri}");
    }
    for uri in &view.post_logout_redirect_uris {
        println!("logout uri:    {uri}");
    }
    if let Some(uri) = &view.backchannel_logout_uri {
        println!("back-channel:  {uri}");
    }
    println!("trusted:       {}", view.trusted);
    if let Some(exchange) = &view.token_exchange {
        println!("exchanges for: {}", exchange.audiences.join(" "));
    }
    println!("created:       {}", view.created_at);
}

async fn keys_command(provider: &Provider, command: KeysCommand) -> anyhow::Result<()> {
    match command {
        KeysCommand::Rotate { now, json } => {
            let activation = if now {
                Activation::Immediately
            } else {
                Activation::AfterPublishDelay
            };
            let rotated = provider.keys().rotate(activation).await?;
            audit::record(
                provider,
                Entry::new("key_rotated")
                    .actor("cli")
                    .detail("kid", rotated.kid.clone()),
            )
            .await;
            if json {
                println!(
                    "{}",
                    serde_json::json!({
                        "kid": rotated.kid,
                        "generation": rotated.generation,
                        "activates_at": rfc3339(rotated.activates_at),
                    })
                );
            } else {
                println!(
                    "added key {} (generation {}); it signs from {}",
                    rotated.kid,
                    rotated.generation,
                    rfc3339(rotated.activates_at)
                );
            }
            Ok(())
        }
        KeysCommand::List { json } => {
            let views = KeyView::ring(provider);
            if json {
                println!("{}", serde_json::to_string_pretty(&views)?);
            } else {
                for view in &views {
                    println!(
                        "{}\t{}\tgeneration {}\t{}\tsigns from {}",
                        view.kid, view.alg, view.generation, view.state, view.activates_at
                    );
                }
            }
            Ok(())
        }
    }
}

async fn find_user(provider: &Provider, ident: &str) -> anyhow::Result<User> {
    let user = match UserId::parse(ident) {
        Some(id) => provider.store().user(&id).await?,
        None => {
            provider
                .store()
                .user_by_email(&ident.trim().to_lowercase())
                .await?
        }
    };
    user.with_context(|| format!("no user has id or e-mail `{ident}`"))
}

async fn print_user(provider: &Provider, user: &User, json: bool) -> anyhow::Result<()> {
    let view = UserView::new(user, provider.store().user_grants(&user.id).await?);
    if json {
        println!("{}", serde_json::to_string_pretty(&view)?);
    } else {
        println!("id:       {}", view.id);
        println!(
            "e-mail:   {}{}",
            view.email,
            if view.email_verified {
                " (verified)"
            } else {
                ""
            }
        );
        println!("name:     {}", view.name);
        println!("roles:    {}", view.roles.join(" "));
        println!("disabled: {}", view.disabled);
        println!("created:  {}", view.created_at);
    }
    Ok(())
}

fn role_names(names: &[String]) -> anyhow::Result<Vec<RoleName>> {
    names.iter().map(|n| Ok(RoleName::parse(n)?)).collect()
}

async fn user_command(provider: &Provider, command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Create {
            email,
            name,
            roles,
            verified,
            password_stdin,
            json,
        } => {
            let (password, generated) = if password_stdin {
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line)?;
                (line.trim_end_matches(['\r', '\n']).to_owned(), false)
            } else {
                let token = auth_core::secrets::new_token("");
                (token.expose_secret().to_owned(), true)
            };
            let new = NewUser {
                email: Email::parse(&email)?,
                password: Password::new(password.clone()),
                profile: Profile {
                    name,
                    ..Profile::default()
                },
                roles: role_names(&roles)?,
                email_verified: verified,
            };
            let user = users::register(provider, new, Origin::Admin).await?;
            audit::record(
                provider,
                Entry::new("user_created").actor("cli").user(&user.id),
            )
            .await;
            print_user(provider, &user, json).await?;
            if generated {
                eprintln!("\nGenerated password (shown only now): {password}");
            }
            Ok(())
        }
        UserCommand::List { json } => {
            let users = provider.store().users(None, 10_000).await?;
            let mut views = Vec::with_capacity(users.len());
            for user in &users {
                views.push(UserView::new(
                    user,
                    provider.store().user_grants(&user.id).await?,
                ));
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&views)?);
            } else if views.is_empty() {
                println!("no users");
            } else {
                for view in &views {
                    let state = if view.disabled { "disabled" } else { "active" };
                    println!(
                        "{}\t{}\t{}\t{}",
                        view.id,
                        view.email,
                        state,
                        view.roles.join(",")
                    );
                }
            }
            Ok(())
        }
        UserCommand::Show { user, json } => {
            let user = find_user(provider, &user).await?;
            print_user(provider, &user, json).await
        }
        UserCommand::Disable { user } => {
            let user = find_user(provider, &user).await?;
            users::set_disabled(provider, &user.id, true).await?;
            audit::record(
                provider,
                Entry::new("user_disabled").actor("cli").user(&user.id),
            )
            .await;
            println!(
                "disabled {}; its sessions ended and its tokens are revoked",
                user.id
            );
            Ok(())
        }
        UserCommand::SignOut { user } => {
            let user = find_user(provider, &user).await?;
            provider.store().end_user_sessions(&user.id).await?;
            audit::record(
                provider,
                Entry::new("user_signed_out").actor("cli").user(&user.id),
            )
            .await;
            println!("signed {} out of every session", user.id);
            Ok(())
        }
        UserCommand::Enable { user } => {
            let user = find_user(provider, &user).await?;
            users::set_disabled(provider, &user.id, false).await?;
            audit::record(
                provider,
                Entry::new("user_enabled").actor("cli").user(&user.id),
            )
            .await;
            println!("enabled {}", user.id);
            Ok(())
        }
        UserCommand::Delete { user } => {
            let user = find_user(provider, &user).await?;
            users::delete(provider, &user.id).await?;
            audit::record(
                provider,
                Entry::new("user_deleted").actor("cli").user(&user.id),
            )
            .await;
            println!("deleted {}; its tokens are revoked", user.id);
            Ok(())
        }
    }
}

async fn role_command(provider: &Provider, command: RoleCommand) -> anyhow::Result<()> {
    match command {
        RoleCommand::Create {
            name,
            description,
            permissions,
        } => {
            let role = Role {
                name: RoleName::parse(&name)?,
                description,
                permissions: role_names(&permissions)?,
            };
            roles::create(provider, &role).await?;
            audit::record(
                provider,
                Entry::new("role_created")
                    .actor("cli")
                    .detail("role", role.name.to_string()),
            )
            .await;
            println!("created role `{}`", role.name);
            Ok(())
        }
        RoleCommand::List { json } => {
            let views: Vec<RoleView> = provider
                .store()
                .roles()
                .await?
                .iter()
                .map(RoleView::from)
                .collect();
            if json {
                println!("{}", serde_json::to_string_pretty(&views)?);
            } else {
                for view in &views {
                    println!(
                        "{}\t{}\t{}",
                        view.name,
                        view.permissions.join(","),
                        view.description
                    );
                }
            }
            Ok(())
        }
        RoleCommand::Permissions { name, permissions } => {
            roles::set_permissions(
                provider,
                &RoleName::parse(&name)?,
                &role_names(&permissions)?,
            )
            .await?;
            println!("role `{name}` now has: {}", permissions.join(" "));
            Ok(())
        }
        RoleCommand::Grant { user, role } => {
            let user = find_user(provider, &user).await?;
            roles::grant(provider, &user.id, &RoleName::parse(&role)?).await?;
            audit::record(
                provider,
                Entry::new("role_granted")
                    .actor("cli")
                    .user(&user.id)
                    .detail("role", role.clone()),
            )
            .await;
            println!("granted `{role}` to {}", user.id);
            Ok(())
        }
        RoleCommand::Revoke { user, role } => {
            let user = find_user(provider, &user).await?;
            roles::revoke(provider, &user.id, &RoleName::parse(&role)?).await?;
            audit::record(
                provider,
                Entry::new("role_revoked")
                    .actor("cli")
                    .user(&user.id)
                    .detail("role", role.clone()),
            )
            .await;
            println!("revoked `{role}` from {}", user.id);
            Ok(())
        }
    }
}

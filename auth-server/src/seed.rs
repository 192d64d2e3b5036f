//! Demo data: roles, users and clients a newcomer needs to try every flow. Idempotent: what
//! exists already is left alone. Passwords and secrets of what it creates are printed once.

use auth_core::Provider;
use auth_core::audit::{self, Entry};
use auth_core::clients::{
    self, AuthMethod, ClientError, ClientId, GrantType, NewClient, RedirectUri,
};
use auth_core::roles::{self, Role, RoleError, RoleName};
use auth_core::scope::Scope;
use auth_core::secrets::new_token;
use auth_core::users::{self, Email, NewUser, Origin, Profile, UserError, password::Password};
use secrecy::ExposeSecret;

const ROLES: &[(&str, &str, &[&str])] = &[
    (
        "admin",
        "Administers the server",
        &["users:manage", "clients:manage", "events:manage"],
    ),
    (
        "coach",
        "Coaches a team",
        &["events:create", "events:edit", "teams:manage"],
    ),
    (
        "player",
        "Plays in a team",
        &["events:read", "tickets:read"],
    ),
    (
        "parent",
        "Parent of a player",
        &["events:read", "children:view"],
    ),
    (
        "manager",
        "Manages a club",
        &["teams:manage", "tickets:manage"],
    ),
    ("event-creator", "Creates events", &["events:create"]),
    ("operator", "Runs the platform", &["ops:read"]),
    ("user", "Any signed-up user", &["profile:edit"]),
];

const USERS: &[(&str, &str, &[&str])] = &[
    ("admin@example.com", "Ada Admin", &["admin"]),
    (
        "coach@example.com",
        "Carl Coach",
        &["coach", "event-creator"],
    ),
    ("player@example.com", "Pia Player", &["player"]),
    ("parent@example.com", "Paul Parent", &["parent"]),
    ("manager@example.com", "Mona Manager", &["manager"]),
];

struct DemoClient {
    id: &'static str,
    name: &'static str,
    auth_method: AuthMethod,
    grants: Vec<GrantType>,
    scope: &'static str,
    redirects: Vec<&'static str>,
    logouts: Vec<&'static str>,
}

fn demo_clients() -> Vec<DemoClient> {
    let code = vec![GrantType::AuthorizationCode, GrantType::RefreshToken];
    let machine = vec![GrantType::ClientCredentials];
    vec![
        DemoClient {
            id: "demo-web",
            name: "Demo web app",
            auth_method: AuthMethod::ClientSecretBasic,
            grants: code.clone(),
            scope: "openid profile email offline_access permissions",
            redirects: vec![DEMO_WEB_CALLBACK],
            logouts: vec!["http://127.0.0.1:8090/"],
        },
        DemoClient {
            id: "demo-spa",
            name: "Demo single-page app",
            auth_method: AuthMethod::None,
            grants: code,
            scope: "openid profile email",
            redirects: vec!["http://127.0.0.1:8091/callback"],
            logouts: vec!["http://127.0.0.1:8091/"],
        },
        // The example services of `examples/`: each reads users; the events service also
        // calls the tickets service.
        DemoClient {
            id: "profiles-service",
            name: "Profiles service (example)",
            auth_method: AuthMethod::ClientSecretBasic,
            grants: machine.clone(),
            scope: "users:read",
            redirects: vec![],
            logouts: vec![],
        },
        DemoClient {
            id: "events-service",
            name: "Events service (example)",
            auth_method: AuthMethod::ClientSecretBasic,
            grants: machine.clone(),
            scope: "users:read tickets:write profile",
            redirects: vec![],
            logouts: vec![],
        },
        DemoClient {
            id: "tickets-service",
            name: "Tickets service (example)",
            auth_method: AuthMethod::ClientSecretBasic,
            grants: machine.clone(),
            scope: "users:read",
            redirects: vec![],
            logouts: vec![],
        },
        // `tickets-cli` of `examples/`: signs users in with the device authorization grant.
        DemoClient {
            id: "tickets-cli",
            name: "Tickets CLI (example)",
            auth_method: AuthMethod::None,
            grants: vec![GrantType::DeviceCode, GrantType::RefreshToken],
            scope: "openid profile offline_access",
            redirects: vec![],
            logouts: vec![],
        },
        DemoClient {
            id: "demo-admin",
            name: "Demo admin tool",
            auth_method: AuthMethod::ClientSecretBasic,
            grants: machine,
            scope: "admin",
            redirects: vec![],
            logouts: vec![],
        },
    ]
}

/// The tickets example's address, the audience of the tokens the events example exchanges
/// for it (see `examples/`).
pub const DEMO_TICKETS_AUDIENCE: &str = "http://127.0.0.1:8103";

/// The example web app's address (see `examples/`).
pub const DEMO_WEB_CALLBACK: &str = "http://127.0.0.1:8090/callback";
/// Where the example web app takes logout tokens.
pub const DEMO_WEB_BACKCHANNEL_LOGOUT: &str = "http://127.0.0.1:8090/backchannel-logout";

fn name(text: &str) -> anyhow::Result<RoleName> {
    Ok(RoleName::parse(text)?)
}

/// Creates the demo data and prints what was created.
pub async fn seed(provider: &Provider) -> anyhow::Result<()> {
    println!("Demo data:");
    for (role, description, permissions) in ROLES {
        let role = Role {
            name: name(role)?,
            description: (*description).to_owned(),
            permissions: permissions
                .iter()
                .map(|p| name(p))
                .collect::<anyhow::Result<_>>()?,
        };
        match roles::create(provider, &role).await {
            Ok(()) => println!("  role    {:<14} {}", role.name, permissions.join(" ")),
            Err(RoleError::Duplicate(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    for (email, full_name, roles) in USERS {
        let password = new_token("").expose_secret()[..20].to_owned();
        let new = NewUser {
            email: Email::parse(email)?,
            password: Password::new(password.clone()),
            profile: Profile {
                name: (*full_name).to_owned(),
                ..Profile::default()
            },
            roles: roles
                .iter()
                .map(|r| name(r))
                .collect::<anyhow::Result<_>>()?,
            email_verified: true,
        };
        match users::register(provider, new, Origin::Admin).await {
            Ok(user) => {
                audit::record(
                    provider,
                    Entry::new("user_created").actor("seed").user(&user.id),
                )
                .await;
                println!(
                    "  user    {email:<22} password {password}  roles {}",
                    roles.join(",")
                );
            }
            Err(UserError::EmailTaken) => {
                println!("  user    {email:<22} exists already (password unchanged)")
            }
            Err(e) => return Err(e.into()),
        }
    }
    for demo in demo_clients() {
        let DemoClient {
            id,
            name: client_name,
            auth_method,
            grants,
            scope,
            redirects,
            logouts,
        } = demo;
        let mut new = NewClient::new(client_name, auth_method, grants);
        new.id = Some(ClientId::parse(id)?);
        new.scope = Scope::parse(scope)?;
        new.redirect_uris = redirects
            .iter()
            .map(|u| RedirectUri::parse(u))
            .collect::<Result<_, _>>()?;
        new.post_logout_redirect_uris = logouts
            .iter()
            .map(|u| RedirectUri::parse(u))
            .collect::<Result<_, _>>()?;
        // The example web app ends its sessions when the server's end (OIDC Back-Channel
        // Logout); a loopback URI is only accepted by a server that runs on loopback itself.
        if id == "demo-web" && !provider.settings().issuer.is_https() {
            new.backchannel.uri = Some(DEMO_WEB_BACKCHANNEL_LOGOUT.to_owned());
        }
        match clients::register(provider, new).await {
            Ok((client, secret)) => {
                audit::record(
                    provider,
                    Entry::new("client_created")
                        .actor("seed")
                        .client(client.id.as_str()),
                )
                .await;
                match secret {
                    Some(secret) => println!(
                        "  client  {id:<16} secret {}  scope {scope}",
                        secret.expose()
                    ),
                    None => println!("  client  {id:<16} (public)  scope {scope}"),
                }
            }
            Err(ClientError::Duplicate(_)) => {
                println!("  client  {id:<16} exists already (secret unchanged)")
            }
            Err(e) => return Err(e.into()),
        }
    }
    // The events example buys tickets for users with tokens it exchanges for the tickets
    // example (RFC 8693), whose audience is that example's address.
    let events = ClientId::parse("events-service")?;
    if provider
        .store()
        .client(&events)
        .await?
        .is_some_and(|client| client.security.token_exchange.is_none())
    {
        clients::set_token_exchange(provider, &events, vec![DEMO_TICKETS_AUDIENCE.to_owned()])
            .await?;
        println!("  client  events-service may exchange users' tokens for {DEMO_TICKETS_AUDIENCE}");
    }
    println!("Passwords and secrets are shown only now.");
    Ok(())
}

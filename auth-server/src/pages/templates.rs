//! The askama templates of the hosted pages (files in the top-level `templates/` folder).

use crate::i18n::Tr;
use askama::Template;

/// A page in a language: what [`super::render`] needs to say which (`Content-Language`).
pub trait Localized {
    /// The page's messages.
    fn tr(&self) -> &Tr;
}

macro_rules! localized {
    ($($page:ident),* $(,)?) => {$(
        impl Localized for $page<'_> {
            fn tr(&self) -> &Tr {
                self.t
            }
        }
    )*};
}

/// `login.html`
#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage<'a> {
    pub t: &'a Tr,
    pub product: &'a str,
    pub csrf: &'a str,
    pub request: Option<&'a str>,
    pub email: &'a str,
    pub error: Option<&'a str>,
    pub notice: Option<&'a str>,
    pub signup_enabled: bool,
    pub unverified: bool,
    pub passkeys_enabled: bool,
    /// Upstream providers: (id, button label).
    pub upstream: Vec<(&'a str, &'a str)>,
}

/// `signup.html`
#[derive(Template)]
#[template(path = "signup.html")]
pub struct SignupPage<'a> {
    pub t: &'a Tr,
    pub product: &'a str,
    pub csrf: &'a str,
    pub request: Option<&'a str>,
    pub email: &'a str,
    pub name: &'a str,
    pub roles: Vec<&'a str>,
    pub min_length: usize,
    pub error: Option<&'a str>,
}

/// `consent.html`
#[derive(Template)]
#[template(path = "consent.html")]
pub struct ConsentPage<'a> {
    pub t: &'a Tr,
    pub product: &'a str,
    pub csrf: &'a str,
    pub request: &'a str,
    pub client_name: &'a str,
    pub client_uri: Option<&'a str>,
    pub client_id: &'a str,
    pub self_registered: bool,
    pub user_email: &'a str,
    pub scopes: Vec<(String, String)>,
}

/// `device.html`: where the user enters a device's code.
#[derive(Template)]
#[template(path = "device.html")]
pub struct DevicePage<'a> {
    pub t: &'a Tr,
    pub product: &'a str,
    pub csrf: &'a str,
    pub user_email: &'a str,
    pub user_code: &'a str,
    pub error: Option<&'a str>,
}

/// `device_consent.html`: the user allows or denies a device's request.
#[derive(Template)]
#[template(path = "device_consent.html")]
pub struct DeviceConsentPage<'a> {
    pub t: &'a Tr,
    pub product: &'a str,
    pub csrf: &'a str,
    pub user_email: &'a str,
    pub user_code: &'a str,
    pub client_name: &'a str,
    pub client_uri: Option<&'a str>,
    pub client_id: &'a str,
    pub self_registered: bool,
    pub scopes: Vec<(String, String)>,
}

/// `error.html`
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub t: &'a Tr,
    pub product: &'a str,
    pub title: &'a str,
    pub message: &'a str,
}

/// `logout.html`
#[derive(Template)]
#[template(path = "logout.html")]
pub struct LogoutPage<'a> {
    pub t: &'a Tr,
    pub product: &'a str,
    pub csrf: &'a str,
    pub client_name: Option<&'a str>,
    pub hidden: Vec<(&'static str, String)>,
}

/// `logged_out.html`
#[derive(Template)]
#[template(path = "logged_out.html")]
pub struct LoggedOutPage<'a> {
    pub t: &'a Tr,
    pub product: &'a str,
}

/// `account.html`
#[derive(Template)]
#[template(path = "account.html")]
pub struct AccountPage<'a> {
    pub t: &'a Tr,
    pub product: &'a str,
    pub csrf: &'a str,
    pub notice: Option<&'a str>,
    pub error: Option<&'a str>,
    pub email: &'a str,
    pub email_verified: bool,
    pub profile: &'a auth_core::users::Profile,
    pub phone: &'a str,
    /// (tag, the language's own name, chosen)
    pub languages: Vec<(String, String, bool)>,
    pub roles: Vec<String>,
    pub totp_enabled: bool,
    pub recovery_left: i64,
    pub passkeys_enabled: bool,
    pub passkeys: Vec<super::passkeys::PasskeyView>,
    /// (session id, description, is this browser)
    pub sessions: Vec<(String, String, bool)>,
    /// Upstream providers: (id, label, what is linked).
    pub upstream: Vec<(String, String, Option<String>)>,
}

/// `notice.html`
#[derive(Template)]
#[template(path = "notice.html")]
pub struct NoticePage<'a> {
    pub t: &'a Tr,
    pub product: &'a str,
    pub title: &'a str,
    pub message: &'a str,
    pub link: Option<(String, &'a str)>,
}

/// `verify_email.html`
#[derive(Template)]
#[template(path = "verify_email.html")]
pub struct VerifyEmailPage<'a> {
    pub t: &'a Tr,
    pub product: &'a str,
    pub csrf: &'a str,
    pub token: &'a str,
}

/// `email_form.html`
#[derive(Template)]
#[template(path = "email_form.html")]
pub struct EmailFormPage<'a> {
    pub t: &'a Tr,
    pub product: &'a str,
    pub csrf: &'a str,
    pub title: &'a str,
    pub intro: &'a str,
    pub action: &'a str,
    pub button: &'a str,
    pub error: Option<&'a str>,
}

/// `reset_password.html`
#[derive(Template)]
#[template(path = "reset_password.html")]
pub struct ResetPasswordPage<'a> {
    pub t: &'a Tr,
    pub product: &'a str,
    pub csrf: &'a str,
    pub token: &'a str,
    pub min_length: usize,
    pub error: Option<&'a str>,
}

/// `second_factor.html`
#[derive(Template)]
#[template(path = "second_factor.html")]
pub struct SecondFactorPage<'a> {
    pub t: &'a Tr,
    pub product: &'a str,
    pub csrf: &'a str,
    pub challenge: &'a str,
    pub method: &'a str,
    pub error: Option<&'a str>,
    pub passkeys_enabled: bool,
}

/// `totp_enrol.html`
#[derive(Template)]
#[template(path = "totp_enrol.html")]
pub struct TotpEnrolPage<'a> {
    pub t: &'a Tr,
    pub product: &'a str,
    pub csrf: &'a str,
    pub qr_data_uri: &'a str,
    pub secret: &'a str,
    pub error: Option<&'a str>,
}

/// `recovery_codes.html`
#[derive(Template)]
#[template(path = "recovery_codes.html")]
pub struct RecoveryCodesPage<'a> {
    pub t: &'a Tr,
    pub product: &'a str,
    pub codes: &'a [String],
}

/// One app on `account_apps.html`.
pub struct AppView {
    pub client_id: String,
    pub name: String,
    pub client_uri: Option<String>,
    pub self_registered: bool,
    pub scopes: Vec<(String, String)>,
    pub granted: String,
    pub last_used: Option<String>,
}

/// `account_apps.html`: the apps with access to the user's account.
#[derive(Template)]
#[template(path = "account_apps.html")]
pub struct AccountAppsPage<'a> {
    pub t: &'a Tr,
    pub product: &'a str,
    pub csrf: &'a str,
    pub notice: Option<&'a str>,
    pub error: Option<&'a str>,
    pub email: &'a str,
    pub apps: Vec<AppView>,
}

/// `upstream_continue.html`: prove the local account to link an upstream identity, or the
/// second factor after an upstream sign-in.
#[derive(Template)]
#[template(path = "upstream_continue.html")]
pub struct UpstreamContinuePage<'a> {
    pub t: &'a Tr,
    pub product: &'a str,
    pub csrf: &'a str,
    pub handle: &'a str,
    pub link: bool,
    pub totp: bool,
    pub email: &'a str,
    pub label: &'a str,
    pub error: Option<&'a str>,
}

localized!(
    LoginPage,
    SignupPage,
    ConsentPage,
    DevicePage,
    DeviceConsentPage,
    ErrorPage,
    LogoutPage,
    LoggedOutPage,
    AccountPage,
    NoticePage,
    VerifyEmailPage,
    EmailFormPage,
    ResetPasswordPage,
    SecondFactorPage,
    TotpEnrolPage,
    RecoveryCodesPage,
    AccountAppsPage,
    UpstreamContinuePage,
);

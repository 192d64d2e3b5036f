//! The askama templates of the hosted pages (files in the top-level `templates/` folder).

use crate::i18n::Tr;

/// A page in a language: what [`super::render`] needs to say which (`Content-Language`).
pub trait Localized {
    /// The page's messages.
    fn tr(&self) -> &Tr;
}

/// Declares hosted pages: each a struct with the fields every page has (`t`, its messages, and
/// `product`, the product's name, for `base.html`) before its own, its askama template (a path
/// in `templates/`) and its [`Localized`]. A page with a form has a `csrf` field, the token
/// [`super::form_page`] fills in.
macro_rules! pages {
    ($(
        $(#[$doc:meta])*
        $page:ident($path:literal) {
            $($(#[$field_doc:meta])* pub $field:ident: $type:ty,)*
        }
    )*) => {$(
        $(#[$doc])*
        #[derive(askama::Template)]
        #[template(path = $path)]
        pub struct $page<'a> {
            pub t: &'a $crate::i18n::Tr,
            pub product: &'a str,
            $($(#[$field_doc])* pub $field: $type,)*
        }

        impl $crate::pages::templates::Localized for $page<'_> {
            fn tr(&self) -> &$crate::i18n::Tr {
                self.t
            }
        }
    )*};
}
pub(crate) use pages;

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

pages! {
    /// `login.html`
    LoginPage("login.html") {
        pub csrf: String,
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
    SignupPage("signup.html") {
        pub csrf: String,
        pub request: Option<&'a str>,
        pub email: &'a str,
        pub name: &'a str,
        pub roles: Vec<&'a str>,
        pub min_length: usize,
        pub error: Option<&'a str>,
    }

    /// `consent.html`
    ConsentPage("consent.html") {
        pub csrf: String,
        pub request: &'a str,
        pub client_name: &'a str,
        pub client_uri: Option<&'a str>,
        pub client_id: &'a str,
        pub self_registered: bool,
        pub user_email: &'a str,
        pub scopes: Vec<(String, String)>,
    }

    /// `device.html`: where the user enters a device's code.
    DevicePage("device.html") {
        pub csrf: String,
        pub user_email: &'a str,
        pub user_code: &'a str,
        pub error: Option<&'a str>,
    }

    /// `device_consent.html`: the user allows or denies a device's request.
    DeviceConsentPage("device_consent.html") {
        pub csrf: String,
        pub user_email: &'a str,
        pub user_code: &'a str,
        pub client_name: &'a str,
        pub client_uri: Option<&'a str>,
        pub client_id: &'a str,
        pub self_registered: bool,
        pub scopes: Vec<(String, String)>,
    }

    /// `error.html`
    ErrorPage("error.html") {
        pub title: &'a str,
        pub message: &'a str,
    }

    /// `logout.html`
    LogoutPage("logout.html") {
        pub csrf: String,
        pub client_name: Option<&'a str>,
        pub hidden: Vec<(&'static str, String)>,
    }

    /// `logged_out.html`
    LoggedOutPage("logged_out.html") {}

    /// `account.html`
    AccountPage("account.html") {
        pub csrf: String,
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
    NoticePage("notice.html") {
        pub title: &'a str,
        pub message: &'a str,
        pub link: Option<(String, &'a str)>,
    }

    /// `verify_email.html`
    VerifyEmailPage("verify_email.html") {
        pub csrf: String,
        pub token: &'a str,
    }

    /// `email_form.html`
    EmailFormPage("email_form.html") {
        pub csrf: String,
        pub title: &'a str,
        pub intro: &'a str,
        pub action: &'a str,
        pub button: &'a str,
        pub error: Option<&'a str>,
    }

    /// `reset_password.html`
    ResetPasswordPage("reset_password.html") {
        pub csrf: String,
        pub token: &'a str,
        pub min_length: usize,
        pub error: Option<&'a str>,
    }

    /// `second_factor.html`
    SecondFactorPage("second_factor.html") {
        pub csrf: String,
        pub challenge: &'a str,
        pub method: &'a str,
        pub error: Option<&'a str>,
        pub passkeys_enabled: bool,
    }

    /// `totp_enrol.html`
    TotpEnrolPage("totp_enrol.html") {
        pub csrf: String,
        pub qr_data_uri: &'a str,
        pub secret: &'a str,
        pub error: Option<&'a str>,
    }

    /// `recovery_codes.html`
    RecoveryCodesPage("recovery_codes.html") {
        pub codes: &'a [String],
    }

    /// `account_apps.html`: the apps with access to the user's account.
    AccountAppsPage("account_apps.html") {
        pub csrf: String,
        pub notice: Option<&'a str>,
        pub error: Option<&'a str>,
        pub email: &'a str,
        pub apps: Vec<AppView>,
    }

    /// `upstream_continue.html`: prove the local account to link an upstream identity, or the
    /// second factor after an upstream sign-in.
    UpstreamContinuePage("upstream_continue.html") {
        pub csrf: String,
        pub handle: &'a str,
        pub link: bool,
        pub totp: bool,
        pub email: &'a str,
        pub label: &'a str,
        pub error: Option<&'a str>,
    }
}

//! The mail composer of the server: askama templates in `templates/mail/`, a text and an HTML
//! body for every mail, with links to this server's pages, in the recipient's language (their
//! setting, else the default language; see [`crate::i18n`]).

use crate::i18n::{Catalog, Tr, key};
use crate::paths;
use askama::Template;
use auth_core::Issuer;
use auth_core::mail::{Mail, MailComposer, Message};
use auth_core::otp::codes::CodePurpose;
use std::sync::Arc;

macro_rules! mail_template {
    ($name:ident, $file:literal, { $($field:ident: $ty:ty),* $(,)? }) => {
        #[derive(Template)]
        #[template(path = $file)]
        struct $name<'a> {
            t: &'a Tr,
            product: &'a str,
            $($field: $ty),*
        }
    };
}

mail_template!(VerifyText, "mail/verify_email.txt", { name: &'a str, link: &'a str, valid_minutes: u64 });
mail_template!(VerifyHtml, "mail/verify_email.html", { name: &'a str, link: &'a str, valid_minutes: u64 });
mail_template!(ExistingText, "mail/signup_existing.txt", { login_link: &'a str, reset_link: &'a str });
mail_template!(ExistingHtml, "mail/signup_existing.html", { login_link: &'a str, reset_link: &'a str });
mail_template!(ResetText, "mail/reset_password.txt", { link: &'a str, valid_minutes: u64 });
mail_template!(ResetHtml, "mail/reset_password.html", { link: &'a str, valid_minutes: u64 });
mail_template!(ChangedText, "mail/password_changed.txt", { reset_link: &'a str });
mail_template!(ChangedHtml, "mail/password_changed.html", { reset_link: &'a str });
mail_template!(EmailChangedText, "mail/email_changed.txt", {});
mail_template!(EmailChangedHtml, "mail/email_changed.html", {});
mail_template!(CodeText, "mail/one_time_code.txt", { code: &'a str, intro: &'a str, valid_minutes: u64 });
mail_template!(CodeHtml, "mail/one_time_code.html", { code: &'a str, intro: &'a str, valid_minutes: u64 });

/// Renders mails from the templates.
pub struct TemplateComposer {
    issuer: Issuer,
    product: String,
    i18n: Arc<Catalog>,
}

impl TemplateComposer {
    /// A composer linking to `issuer`, signing as `product`, with the messages of `i18n`.
    pub fn new(issuer: Issuer, product: String, i18n: Arc<Catalog>) -> Self {
        Self {
            issuer,
            product,
            i18n,
        }
    }

    fn link(&self, path: &str, token: &str) -> String {
        format!("{}?token={token}", self.issuer.endpoint(path))
    }
}

fn render(text: impl Template, html: impl Template) -> Result<(String, String), String> {
    Ok((
        text.render().map_err(|e| e.to_string())?,
        html.render().map_err(|e| e.to_string())?,
    ))
}

impl MailComposer for TemplateComposer {
    fn compose(&self, mail: &Mail, language: Option<&str>) -> Result<Message, String> {
        let product = self.product.as_str();
        let tr = self.i18n.for_setting(language);
        let t = &tr;
        let (subject, (text, html)) = match mail {
            Mail::VerifyEmail {
                name,
                token,
                valid_minutes,
                ..
            } => {
                let link = self.link(paths::VERIFY_EMAIL, token);
                let (name, valid_minutes) = (name.as_str(), *valid_minutes);
                (
                    t.arg("mail-verify-subject", "product", product),
                    render(
                        VerifyText {
                            t,
                            product,
                            name,
                            link: &link,
                            valid_minutes,
                        },
                        VerifyHtml {
                            t,
                            product,
                            name,
                            link: &link,
                            valid_minutes,
                        },
                    )?,
                )
            }
            Mail::SignupWithExistingAddress { .. } => {
                let login_link = self.issuer.endpoint(paths::LOGIN);
                let reset_link = self.issuer.endpoint(paths::FORGOT_PASSWORD);
                (
                    t.arg("mail-existing-subject", "product", product),
                    render(
                        ExistingText {
                            t,
                            product,
                            login_link: &login_link,
                            reset_link: &reset_link,
                        },
                        ExistingHtml {
                            t,
                            product,
                            login_link: &login_link,
                            reset_link: &reset_link,
                        },
                    )?,
                )
            }
            Mail::ResetPassword {
                token,
                valid_minutes,
                ..
            } => {
                let link = self.link(paths::RESET_PASSWORD, token);
                let valid_minutes = *valid_minutes;
                (
                    t.arg("mail-reset-subject", "product", product),
                    render(
                        ResetText {
                            t,
                            product,
                            link: &link,
                            valid_minutes,
                        },
                        ResetHtml {
                            t,
                            product,
                            link: &link,
                            valid_minutes,
                        },
                    )?,
                )
            }
            Mail::PasswordChanged { .. } => {
                let reset_link = self.issuer.endpoint(paths::FORGOT_PASSWORD);
                (
                    t.arg("mail-password-changed-subject", "product", product),
                    render(
                        ChangedText {
                            t,
                            product,
                            reset_link: &reset_link,
                        },
                        ChangedHtml {
                            t,
                            product,
                            reset_link: &reset_link,
                        },
                    )?,
                )
            }
            Mail::EmailChanged { .. } => (
                t.arg("mail-email-changed-subject", "product", product),
                render(
                    EmailChangedText { t, product },
                    EmailChangedHtml { t, product },
                )?,
            ),
            Mail::OneTimeCode {
                code,
                purpose,
                valid_minutes,
                ..
            } => {
                let intro = t.get(match purpose {
                    CodePurpose::Login => key("mail-code-login"),
                    CodePurpose::StepUp => key("mail-code-step-up"),
                });
                let (code, intro, valid_minutes) = (code.as_str(), intro.as_str(), *valid_minutes);
                (
                    t.args2("mail-code-subject", "product", product, "code", code),
                    render(
                        CodeText {
                            t,
                            product,
                            code,
                            intro,
                            valid_minutes,
                        },
                        CodeHtml {
                            t,
                            product,
                            code,
                            intro,
                            valid_minutes,
                        },
                    )?,
                )
            }
        };
        Ok(Message {
            to: mail.recipient().to_owned(),
            subject,
            text,
            html,
        })
    }
}

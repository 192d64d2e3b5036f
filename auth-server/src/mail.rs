//! The mail composer of the server: askama templates in `templates/mail/`, a text and an HTML
//! body for every mail, with links to this server's pages.

use crate::paths;
use askama::Template;
use auth_core::Issuer;
use auth_core::mail::{Mail, MailComposer, Message};

macro_rules! mail_template {
    ($name:ident, $file:literal, { $($field:ident: $ty:ty),* $(,)? }) => {
        #[derive(Template)]
        #[template(path = $file)]
        struct $name<'a> {
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
mail_template!(CodeText, "mail/one_time_code.txt", { code: &'a str, purpose: &'a str, valid_minutes: u64 });
mail_template!(CodeHtml, "mail/one_time_code.html", { code: &'a str, purpose: &'a str, valid_minutes: u64 });

/// Renders mails from the templates.
pub struct TemplateComposer {
    issuer: Issuer,
    product: String,
}

impl TemplateComposer {
    /// A composer linking to `issuer`, signing as `product`.
    pub fn new(issuer: Issuer, product: String) -> Self {
        Self { issuer, product }
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
    fn compose(&self, mail: &Mail) -> Result<Message, String> {
        let product = self.product.as_str();
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
                    format!("Confirm your e-mail address for {product}"),
                    render(
                        VerifyText {
                            product,
                            name,
                            link: &link,
                            valid_minutes,
                        },
                        VerifyHtml {
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
                    format!("Your {product} account"),
                    render(
                        ExistingText {
                            product,
                            login_link: &login_link,
                            reset_link: &reset_link,
                        },
                        ExistingHtml {
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
                    format!("Reset your {product} password"),
                    render(
                        ResetText {
                            product,
                            link: &link,
                            valid_minutes,
                        },
                        ResetHtml {
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
                    format!("Your {product} password was changed"),
                    render(
                        ChangedText {
                            product,
                            reset_link: &reset_link,
                        },
                        ChangedHtml {
                            product,
                            reset_link: &reset_link,
                        },
                    )?,
                )
            }
            Mail::EmailChanged { .. } => (
                format!("Your {product} e-mail address was changed"),
                render(EmailChangedText { product }, EmailChangedHtml { product })?,
            ),
            Mail::OneTimeCode {
                code,
                purpose,
                valid_minutes,
                ..
            } => {
                let (code, purpose, valid_minutes) =
                    (code.as_str(), purpose.as_str(), *valid_minutes);
                (
                    format!("Your {product} code: {code}"),
                    render(
                        CodeText {
                            product,
                            code,
                            purpose,
                            valid_minutes,
                        },
                        CodeHtml {
                            product,
                            code,
                            purpose,
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

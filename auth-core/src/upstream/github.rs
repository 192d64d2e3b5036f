//! GitHub's answers: the token endpoint (OAuth 2, JSON when asked with `Accept:
//! application/json`), `GET /user` and `GET /user/emails` of the REST API. GitHub issues no
//! ID token; the subject is the numeric user id (stable across renames, unlike `login`), and
//! the address is the primary one, verified only when GitHub says so.
//!
//! Not tested against GitHub itself (the test machines cannot reach it): the tests below use
//! answers of the shapes GitHub documents.

use super::flow::UpstreamUser;
use serde_json::{Map, Value};

/// Default authorization endpoint.
pub const AUTHORIZE_URL: &str = "https://github.com/login/oauth/authorize";
/// Default token endpoint.
pub const TOKEN_URL: &str = "https://github.com/login/oauth/access_token";
/// Default REST API base.
pub const API_BASE: &str = "https://api.github.com";

/// The access token of a token answer, or why there is none (GitHub answers errors with
/// status 200 and an `error` member).
pub fn access_token(answer: &Value) -> Result<String, String> {
    if let Some(error) = answer.get("error").and_then(Value::as_str) {
        return Err(format!(
            "the token endpoint answered `{}`",
            printable(error)
        ));
    }
    answer
        .get("access_token")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| "the token answer has no access_token".to_owned())
}

/// The user of `GET /user` with the addresses of `GET /user/emails`.
pub fn user(user: &Value, emails: &Value) -> Result<UpstreamUser, String> {
    let claims: Map<String, Value> = user
        .as_object()
        .cloned()
        .ok_or_else(|| "the user answer is not an object".to_owned())?;
    let subject = match claims.get("id") {
        Some(Value::Number(id)) => id.to_string(),
        _ => return Err("the user answer has no numeric id".into()),
    };
    let list = emails.as_array().map(Vec::as_slice).unwrap_or_default();
    let field = |item: &Value, name: &str| item.get(name).and_then(Value::as_bool) == Some(true);
    let primary = list.iter().find(|item| field(item, "primary"));
    let (email, email_verified) = match primary {
        Some(item) => (
            item.get("email").and_then(Value::as_str).map(str::to_owned),
            field(item, "verified"),
        ),
        // Without the `user:email` scope GitHub gives only the public address, if any,
        // and says nothing of its verification.
        None => (
            claims
                .get("email")
                .and_then(Value::as_str)
                .map(str::to_owned),
            false,
        ),
    };
    let name = claims
        .get("name")
        .and_then(Value::as_str)
        .or_else(|| claims.get("login").and_then(Value::as_str))
        .map(str::to_owned);
    Ok(UpstreamUser {
        subject,
        email,
        email_verified,
        name,
        claims,
    })
}

fn printable(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(40)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_token_answer_gives_the_access_token_or_the_error() {
        let ok = json!({"access_token": "gho_16C7e42F292c6912E7710c838347Ae178B4a", "scope": "read:user,user:email", "token_type": "bearer"});
        assert_eq!(
            access_token(&ok).unwrap(),
            "gho_16C7e42F292c6912E7710c838347Ae178B4a"
        );
        let refused = json!({"error": "bad_verification_code", "error_description": "The code passed is incorrect or expired.", "error_uri": "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#bad-verification-code"});
        assert!(
            access_token(&refused)
                .unwrap_err()
                .contains("bad_verification_code")
        );
        assert!(access_token(&json!({})).is_err());
    }

    #[test]
    fn the_primary_verified_address_is_the_users() {
        let user_answer = json!({"login": "octocat", "id": 583231, "name": "The Octocat", "email": null, "type": "User"});
        let emails = json!([
            {"email": "octocat@users.noreply.github.com", "primary": false, "verified": true, "visibility": null},
            {"email": "octocat@github.com", "primary": true, "verified": true, "visibility": "public"}
        ]);
        let found = user(&user_answer, &emails).unwrap();
        assert_eq!(found.subject, "583231");
        assert_eq!(found.email.as_deref(), Some("octocat@github.com"));
        assert!(found.email_verified);
        assert_eq!(found.name.as_deref(), Some("The Octocat"));
        assert_eq!(found.claims["login"], "octocat");
    }

    #[test]
    fn an_unverified_primary_address_is_not_verified() {
        let user_answer = json!({"login": "newbie", "id": 42, "name": null});
        let emails = json!([{"email": "newbie@example.com", "primary": true, "verified": false, "visibility": "private"}]);
        let found = user(&user_answer, &emails).unwrap();
        assert_eq!(found.email.as_deref(), Some("newbie@example.com"));
        assert!(!found.email_verified);
        assert_eq!(found.name.as_deref(), Some("newbie"));
    }

    #[test]
    fn without_the_email_list_the_public_address_is_unverified() {
        let user_answer = json!({"login": "pub", "id": 7, "email": "pub@example.com"});
        let found = user(&user_answer, &json!({"message": "Not Found"})).unwrap();
        assert_eq!(found.email.as_deref(), Some("pub@example.com"));
        assert!(!found.email_verified);
    }

    #[test]
    fn a_user_without_a_numeric_id_is_refused() {
        assert!(user(&json!({"login": "x", "id": "7"}), &json!([])).is_err());
        assert!(user(&json!([]), &json!([])).is_err());
    }
}

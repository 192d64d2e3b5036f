//! HTML forms as a browser without JavaScript fills them: a field's value, the CSRF token of a
//! page, a form posted with it.

use crate::Fetch as _;
use crate::app::TestApp;

/// The value of the form field `name` in an HTML page (askama escapes `/`, `=`, `+` and `&`).
pub fn form_field(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(
        html[start..start + end]
            .replace("&#x2f;", "/")
            .replace("&#x3d;", "=")
            .replace("&#x2b;", "+")
            .replace("&amp;", "&"),
    )
}

/// The query parameters of a URL.
pub fn query_of(url: &str) -> std::collections::HashMap<String, String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

/// A page body without its per-browser CSRF token, to compare two answers.
pub fn without_csrf(html: &str) -> String {
    html.lines()
        .filter(|l| !l.contains("csrf_token"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl TestApp {
    /// The HTML of the page at `url` and the CSRF token of its form.
    pub async fn form_page(&self, browser: &reqwest::Client, url: &str) -> (String, String) {
        let html = browser.get(url).fetch_text().await;
        let csrf =
            form_field(&html, "csrf_token").unwrap_or_else(|| panic!("no form at {url}:\n{html}"));
        (html, csrf)
    }

    /// Opens a verification link in `browser` and presses its confirm button (the link alone
    /// confirms nothing).
    pub async fn confirm_email(&self, browser: &reqwest::Client, link: &str) -> reqwest::Response {
        let (page, csrf) = self.form_page(browser, link).await;
        let token = form_field(&page, "token").unwrap_or_default();
        browser
            .post(self.url("/verify-email"))
            .form(&[("csrf_token", csrf), ("token", token)])
            .fetch()
            .await
    }

    /// Loads `page` (for its CSRF token) and posts `fields` to `action`, like a browser.
    pub async fn submit(
        &self,
        browser: &reqwest::Client,
        page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let (_, csrf) = self.form_page(browser, &self.url(page)).await;
        let mut form: Vec<(&str, String)> = vec![("csrf_token", csrf)];
        form.extend(fields.iter().map(|(k, v)| (*k, (*v).to_owned())));
        browser.post(self.url(action)).form(&form).fetch().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_fields_are_read_and_unescaped() {
        let html = r#"<input type="hidden" name="request" value="a&#x2f;b&#x3d;"><input name="csrf_token" value="x">"#;
        assert_eq!(form_field(html, "request").as_deref(), Some("a/b="));
        assert_eq!(form_field(html, "csrf_token").as_deref(), Some("x"));
        assert_eq!(form_field(html, "email"), None);
    }
}

//! The messages are complete in every shipped language, every key the code and the templates
//! use exists, and the operator's folder overrides, adds and is refused when broken.

use super::*;
use std::collections::BTreeMap;

fn shipped() -> Arc<Catalog> {
    Arc::new(Catalog::load(None, "en").expect("the shipped messages load"))
}

/// Every `.ftl` key of the shipped languages, by language.
fn keys_by_language() -> BTreeMap<&'static str, BTreeSet<String>> {
    SHIPPED
        .iter()
        .map(|(tag, _)| (*tag, Catalog::shipped_keys(tag)))
        .collect()
}

#[test]
fn every_key_exists_in_every_shipped_language_and_no_other() {
    let keys = keys_by_language();
    assert_eq!(
        keys.keys().copied().collect::<Vec<_>>(),
        ["de", "en", "es", "fr"]
    );
    let english = &keys["en"];
    assert!(english.len() > 150, "{} keys", english.len());
    for (tag, own) in &keys {
        let missing: Vec<_> = english.difference(own).collect();
        let extra: Vec<_> = own.difference(english).collect();
        assert!(missing.is_empty(), "`{tag}` lacks {missing:?}");
        assert!(
            extra.is_empty(),
            "`{tag}` has keys English lacks: {extra:?}"
        );
    }
}

#[test]
fn every_message_of_every_language_formats_without_errors() {
    let catalog = shipped();
    let english = Catalog::shipped_keys("en");
    for tag in catalog.tags() {
        let language = catalog
            .languages
            .iter()
            .find(|l| l.tag == tag)
            .expect("listed");
        for key in &english {
            let message = language.bundle.get_message(key).expect("complete");
            let pattern = message.value().expect("has a value");
            let mut args = FluentArgs::new();
            for name in [
                "email", "client", "host", "code", "product", "name", "minutes", "min", "left",
                "n", "wait", "max", "when", "account", "provider",
            ] {
                args.set(name, FluentValue::from(2));
            }
            let mut errors = Vec::new();
            let text = language
                .bundle
                .format_pattern(pattern, Some(&args), &mut errors);
            assert!(errors.is_empty(), "{tag} {key}: {errors:?}");
            assert!(!text.trim().is_empty(), "{tag} {key} is empty");
        }
    }
}

/// The places a key is written: `t.get("...")` (also `tr.`) and the other methods of [`Tr`] in
/// templates and Rust, and `key("...")`, `Text::Key("...")`, `Text::Arg("...")` in Rust.
const MARKERS: &[&str] = &[
    "t.get(",
    "t.arg(",
    "t.args2(",
    "t.markup(",
    "tr.get(",
    "tr.arg(",
    "tr.args2(",
    "tr.markup(",
    "key(",
    "Text::Key(",
    "Text::Arg(",
];

/// Files under `dir` with one of `extensions`, recursively.
fn files(dir: &Path, extensions: &[&str], found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, extensions, found);
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| extensions.contains(&e))
        {
            found.push(path);
        }
    }
}

/// The keys written in `text` after one of the markers (a marker that is the end of a longer
/// name, such as `request.get(`, is not one; nor is a call whose first argument is no string).
pub(super) fn keys_used(text: &str) -> Vec<String> {
    let mut keys = Vec::new();
    for marker in MARKERS {
        for (at, _) in text.match_indices(marker) {
            let before = text[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let rest = text[at + marker.len()..].trim_start();
            let Some(rest) = rest.strip_prefix('"') else {
                continue;
            };
            let Some(end) = rest.find('"') else { continue };
            keys.push(rest[..end].to_owned());
        }
    }
    keys
}

#[test]
fn every_key_the_templates_and_the_code_use_exists_in_english() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = Vec::new();
    files(&root.join("../templates"), &["html", "txt"], &mut found);
    files(&root.join("src"), &["rs"], &mut found);
    let english = Catalog::shipped_keys("en");
    let mut used = BTreeSet::new();
    let mut missing = Vec::new();
    for path in &found {
        // The i18n module's own comments show the forms with placeholder keys.
        if path.parent().is_some_and(|dir| dir.ends_with("src/i18n")) {
            continue;
        }
        let text = std::fs::read_to_string(path).expect("readable");
        for key in keys_used(&text) {
            if !english.contains(&key) {
                missing.push(format!("{}: {key}", path.display()));
            }
            used.insert(key);
        }
    }
    assert!(missing.is_empty(), "keys not in locales/en: {missing:#?}");
    // The scan sees the templates and the code (not an empty folder).
    for key in [
        "login-title",
        "account-signed-in-as",
        "mail-code-login",
        "throttled-sign-in",
    ] {
        assert!(used.contains(key), "{key} not found in use");
    }
}

#[test]
fn the_key_scan_finds_a_missing_key() {
    let template =
        r#"<h1>{{ t.get("login-title") }}</h1><p>{{ t.arg("login-no-such-key", "n", 1) }}</p>"#;
    let english = Catalog::shipped_keys("en");
    let unknown: Vec<_> = keys_used(template)
        .into_iter()
        .filter(|k| !english.contains(k))
        .collect();
    assert_eq!(unknown, ["login-no-such-key"]);
}

#[test]
fn messages_take_values_and_plurals_and_escape_markup() {
    let catalog = shipped();
    let en = catalog.for_setting(Some("en"));
    assert_eq!(
        en.arg("signup-password-help", "min", 12_usize),
        "At least 12 characters."
    );
    assert_eq!(
        en.arg("account-totp-on", "left", 1_i64),
        "An authenticator app is set up. 1 recovery code is left."
    );
    assert_eq!(en.wait(900), "15 minutes");
    assert_eq!(en.wait(1), "1 second");
    // No isolation marks around the values (see the module's header).
    let subject = en.args2("mail-code-subject", "product", "Acme", "code", "123456");
    assert_eq!(subject, "Your Acme code: 123456");
    // The value is escaped and wrapped in the template's markup; the text around is escaped.
    let html = en.markup(
        "common-signed-in-as",
        "email",
        "<b>x</b>@example.com",
        "<strong>",
        "</strong>",
    );
    assert_eq!(
        html,
        "Signed in as <strong>&lt;b&gt;x&lt;/b&gt;@example.com</strong>."
    );
    let de = catalog.for_setting(Some("de-CH"));
    assert_eq!(de.lang(), "de");
    assert_ne!(de.get("login-title"), en.get("login-title"));
}

#[test]
fn negotiation_prefers_the_setting_then_ui_locales_then_accept_language() {
    let catalog = shipped();
    let pick = |user, ui, accept| catalog.negotiate(user, ui, accept).lang().to_owned();
    assert_eq!(pick(None, None, None), "en");
    assert_eq!(pick(None, None, Some("fr-CA,fr;q=0.9,en;q=0.5")), "fr");
    assert_eq!(pick(None, None, Some("ja, es;q=0.4, de;q=0.5")), "de");
    assert_eq!(pick(None, None, Some("ja")), "en");
    assert_eq!(pick(None, Some("ja es-MX"), Some("de")), "es");
    assert_eq!(pick(Some("fr"), Some("es"), Some("de")), "fr");
    assert_eq!(
        pick(Some("ja"), None, Some("de")),
        "de",
        "an unknown setting"
    );
}

fn operator_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().expect("in a folder")).expect("folder");
        std::fs::write(path, text).expect("written");
    }
    dir
}

#[test]
fn the_operators_folder_overrides_a_key_and_adds_a_language() {
    let dir = operator_dir(&[
        ("en/custom.ftl", "login-title = Log in to Acme\n"),
        (
            "nl/pages.ftl",
            "language-name = Nederlands\nlogin-title = Inloggen\n",
        ),
        ("nl/README.txt", "not a message file"),
    ]);
    let catalog = Arc::new(Catalog::load(Some(dir.path()), "en").expect("loads"));
    let en = catalog.for_setting(Some("en"));
    assert_eq!(en.get("login-title"), "Log in to Acme");
    assert_eq!(en.get("login-forgot-password"), "Forgot your password?");
    let nl = catalog.negotiate(None, None, Some("nl-BE, en;q=0.5"));
    assert_eq!(nl.lang(), "nl");
    assert_eq!(nl.get("login-title"), "Inloggen");
    // A message the added language lacks comes from the default language.
    assert_eq!(nl.get("common-password"), "Password");
    assert!(
        catalog
            .choices()
            .contains(&("nl".to_owned(), "Nederlands".to_owned()))
    );
    // And the operator may make it the default.
    let dutch = Catalog::load(Some(dir.path()), "nl").expect("loads");
    assert_eq!(dutch.tags()[dutch.default], "nl");
}

#[test]
fn a_broken_file_stops_loading_with_its_path_and_line() {
    let dir = operator_dir(&[(
        "de/pages.ftl",
        "login-title = Anmelden\n\nlogin-forgot-password = { $unclosed\n",
    )]);
    let error = Catalog::load(Some(dir.path()), "en")
        .expect_err("refused")
        .to_string();
    let path = dir.path().join("de/pages.ftl");
    assert!(
        error.starts_with(&format!("{}:3:", path.display())),
        "{error}"
    );
}

#[test]
fn a_folder_that_is_no_language_and_an_unknown_default_are_refused() {
    let dir = operator_dir(&[("not a tag!/x.ftl", "a = b\n")]);
    let error = Catalog::load(Some(dir.path()), "en")
        .expect_err("refused")
        .to_string();
    assert!(error.contains("not a language tag"), "{error}");
    let error = Catalog::load(None, "pt").expect_err("refused").to_string();
    assert_eq!(
        error,
        "i18n.default_language `pt` is not one of the languages: en, de, fr, es"
    );
    let missing = Path::new("/nonexistent/locales");
    assert!(Catalog::load(Some(missing), "en").is_err());
}

//! The hosted pages and mails in the user's language: Fluent message files
//! (<https://projectfluent.org>), one bundle per language, and the choice of language for a
//! request.
//!
//! The shipped languages (`locales/<lang>/*.ftl` at the top of the repository) are compiled in;
//! an operator's `[i18n] directory` is read at start-up over them: a file there replaces single
//! messages of a shipped language or adds a language (`<directory>/<tag>/*.ftl`). A message
//! missing in a language falls back to the default language, then to English. A file that does
//! not parse stops start-up with its path and line.
//!
//! Templates use a [`Tr`] (the field `t` of every page and mail): `{{ t.get("key") }}`,
//! `{{ t.arg("key", "name", value) }}`, `{{ t.args2("key", "a", x, "b", y) }}` give plain text
//! (askama escapes it); `{{ t.markup("key", "name", value, "<strong>", "</strong>")|safe }}`
//! gives HTML: the message and the value escaped, the value wrapped in the template's own markup.
//!
//! Unicode isolation marks (FSI/PDI around placeables) are off: every shipped language is
//! written left to right, the values put into messages are e-mail addresses, names, codes and
//! numbers, and the marks would end up as invisible characters in mail subjects, plain-text
//! mails and `value` attributes, where they break copying a code or an address. A right-to-left
//! language added by an operator gets its direction from the page's `lang`.

mod negotiate;

pub use negotiate::{accept_language, lookup};

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use unic_langid::LanguageIdentifier;

/// The languages shipped in the binary: tag and files (name, text).
pub const SHIPPED: &[(&str, &[(&str, &str)])] = &[
    (
        "en",
        &[
            ("pages.ftl", include_str!("../../../locales/en/pages.ftl")),
            ("mail.ftl", include_str!("../../../locales/en/mail.ftl")),
        ],
    ),
    (
        "de",
        &[
            ("pages.ftl", include_str!("../../../locales/de/pages.ftl")),
            ("mail.ftl", include_str!("../../../locales/de/mail.ftl")),
        ],
    ),
    (
        "fr",
        &[
            ("pages.ftl", include_str!("../../../locales/fr/pages.ftl")),
            ("mail.ftl", include_str!("../../../locales/fr/mail.ftl")),
        ],
    ),
    (
        "es",
        &[
            ("pages.ftl", include_str!("../../../locales/es/pages.ftl")),
            ("mail.ftl", include_str!("../../../locales/es/mail.ftl")),
        ],
    ),
];

/// The language every message exists in.
const BASE: &str = "en";

/// Why the message files cannot be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A file does not parse.
    #[error("{path}:{line}:{column}: {message}")]
    Syntax {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A file or folder cannot be read.
    #[error("{path}: {message}")]
    Io {
        /// The file or folder.
        path: String,
        /// The error.
        message: String,
    },
    /// A folder's name is not a language tag.
    #[error("{path}: the folder's name is not a language tag such as de or pt-BR")]
    BadTag {
        /// The folder.
        path: String,
    },
    /// The default language has no messages.
    #[error("i18n.default_language `{0}` is not one of the languages: {1}")]
    UnknownDefault(String, String),
}

struct Language {
    tag: String,
    bundle: FluentBundle<FluentResource>,
}

/// Every language's messages.
pub struct Catalog {
    languages: Vec<Language>,
    default: usize,
    base: usize,
}

impl fmt::Debug for Catalog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Catalog")
            .field("languages", &self.tags())
            .field("default", &self.languages[self.default].tag)
            .finish()
    }
}

fn parse(path: &str, text: String) -> Result<FluentResource, LoadError> {
    FluentResource::try_new(text).map_err(|(resource, errors)| {
        let source = resource.source();
        let first = errors.into_iter().next();
        // The line of the entry that does not parse (the parser may notice only at the next
        // line, where `pos` points).
        let (start, message) = first.map_or((0, "syntax error".to_owned()), |e| {
            let start = e.slice.as_ref().map_or(e.pos.start, |slice| slice.start);
            (start, e.to_string())
        });
        let before = source.get(..start).unwrap_or(source);
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        LoadError::Syntax {
            path: path.to_owned(),
            line,
            column,
            message,
        }
    })
}

fn new_bundle(tag: &LanguageIdentifier) -> FluentBundle<FluentResource> {
    let mut bundle = FluentBundle::new_concurrent(vec![tag.clone()]);
    // See the module's header.
    bundle.set_use_isolating(false);
    bundle
}

fn io_error(path: &Path, e: &std::io::Error) -> LoadError {
    LoadError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

impl Catalog {
    /// The shipped languages, with the operator's `directory` over them; `default_language`
    /// must be one of the languages.
    pub fn load(directory: Option<&Path>, default_language: &str) -> Result<Self, LoadError> {
        let mut languages = Vec::new();
        for (tag, files) in SHIPPED {
            let id: LanguageIdentifier = tag.parse().map_err(|_| LoadError::BadTag {
                path: format!("locales/{tag}"),
            })?;
            let mut bundle = new_bundle(&id);
            for (name, text) in *files {
                let path = format!("locales/{tag}/{name}");
                bundle.add_resource_overriding(parse(&path, (*text).to_owned())?);
            }
            languages.push(Language {
                tag: (*tag).to_owned(),
                bundle,
            });
        }
        if let Some(directory) = directory {
            for (tag, files) in operator_files(directory)? {
                let index = match languages
                    .iter()
                    .position(|l| l.tag.eq_ignore_ascii_case(&tag))
                {
                    Some(index) => index,
                    None => {
                        let path = directory.join(&tag);
                        let id: LanguageIdentifier =
                            tag.parse().map_err(|_| LoadError::BadTag {
                                path: path.display().to_string(),
                            })?;
                        languages.push(Language {
                            tag: id.to_string(),
                            bundle: new_bundle(&id),
                        });
                        languages.len() - 1
                    }
                };
                for path in files {
                    let text = std::fs::read_to_string(&path).map_err(|e| io_error(&path, &e))?;
                    let resource = parse(&path.display().to_string(), text)?;
                    languages[index].bundle.add_resource_overriding(resource);
                }
            }
        }
        let position = |tag: &str| languages.iter().position(|l| l.tag == tag);
        let base = position(BASE).unwrap_or(0);
        let default = lookup(languages.iter().map(|l| l.tag.as_str()), default_language)
            .ok_or_else(|| {
                let tags: Vec<&str> = languages.iter().map(|l| l.tag.as_str()).collect();
                LoadError::UnknownDefault(default_language.to_owned(), tags.join(", "))
            })?;
        Ok(Self {
            languages,
            default,
            base,
        })
    }

    /// The language tags, in the order they were loaded (shipped first).
    pub fn tags(&self) -> Vec<&str> {
        self.languages.iter().map(|l| l.tag.as_str()).collect()
    }

    /// The languages to offer in a choice: (tag, the language's own name).
    pub fn choices(&self) -> Vec<(String, String)> {
        self.languages
            .iter()
            .map(|l| {
                let name = l
                    .bundle
                    .get_message("language-name")
                    .and_then(|m| m.value())
                    .map(|p| {
                        let mut errors = Vec::new();
                        l.bundle.format_pattern(p, None, &mut errors).into_owned()
                    })
                    .unwrap_or_else(|| l.tag.clone());
                (l.tag.clone(), name)
            })
            .collect()
    }

    /// The message ids of a shipped language's files (for the completeness test).
    pub fn shipped_keys(tag: &str) -> BTreeSet<String> {
        SHIPPED
            .iter()
            .filter(|(t, _)| *t == tag)
            .flat_map(|(_, files)| files.iter())
            .flat_map(|(_, text)| message_ids(text))
            .collect()
    }

    /// Whether `tag` has its own message `key` (not a fallback).
    pub fn has(&self, tag: &str, key: &str) -> bool {
        self.languages
            .iter()
            .any(|l| l.tag == tag && l.bundle.has_message(key))
    }

    /// The translator for the language at `index`.
    fn tr(self: &Arc<Self>, index: usize) -> Tr {
        Tr {
            catalog: Arc::clone(self),
            index,
        }
    }

    /// The translator for the default language.
    pub fn default_tr(self: &Arc<Self>) -> Tr {
        self.tr(self.default)
    }

    /// The language for a request: the user's own setting, else the OpenID Connect
    /// `ui_locales` of the authorization request (space-separated, in order of preference;
    /// OIDC Core section 3.1.2.1), else `Accept-Language` (RFC 9110 section 12.5.4), else the
    /// default. Each tag is matched by RFC 4647 section 3.4 lookup (`de-CH` finds `de`).
    pub fn negotiate(
        self: &Arc<Self>,
        user_setting: Option<&str>,
        ui_locales: Option<&str>,
        accept: Option<&str>,
    ) -> Tr {
        let tags = || self.languages.iter().map(|l| l.tag.as_str());
        let found = user_setting
            .and_then(|tag| lookup(tags(), tag))
            .or_else(|| {
                ui_locales.and_then(|list| list.split_whitespace().find_map(|t| lookup(tags(), t)))
            })
            .or_else(|| {
                accept.and_then(|header| {
                    accept_language(header)
                        .iter()
                        .find_map(|range| match range.as_str() {
                            "*" => Some(self.default),
                            tag => lookup(tags(), tag),
                        })
                })
            });
        self.tr(found.unwrap_or(self.default))
    }

    /// The language of a stored setting, if the setting names one of the languages.
    pub fn for_setting(self: &Arc<Self>, setting: Option<&str>) -> Tr {
        self.negotiate(setting, None, None)
    }

    fn format(&self, index: usize, key: &str, args: Option<&FluentArgs>) -> String {
        let chain = [index, self.default, self.base];
        for &i in &chain {
            let bundle = &self.languages[i].bundle;
            if let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) {
                let mut errors = Vec::new();
                let text = bundle.format_pattern(pattern, args, &mut errors);
                if !errors.is_empty() {
                    tracing::warn!(key, language = %self.languages[i].tag, errors = ?errors, "message formatted with errors");
                }
                return text.into_owned();
            }
        }
        tracing::error!(key, "no message with this key in any language");
        key.to_owned()
    }
}

/// The ids of the messages of a Fluent file: the lines that start with an identifier and `=`
/// (Fluent syntax: a message starts in the first column; terms start with `-`, comments `#`).
pub fn message_ids(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let (id, _) = line.split_once('=')?;
            let id = id.trim_end();
            let mut chars = id.chars();
            let first = chars.next()?;
            (first.is_ascii_alphabetic()
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .then(|| id.to_owned())
        })
        .collect()
}

/// The operator's files: (folder name, its `.ftl` files sorted by name), folders sorted.
fn operator_files(directory: &Path) -> Result<Vec<(String, Vec<PathBuf>)>, LoadError> {
    let entries = std::fs::read_dir(directory).map_err(|e| io_error(directory, &e))?;
    let mut languages = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| io_error(directory, &e))?;
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        let tag = entry.file_name().to_string_lossy().into_owned();
        let mut files = Vec::new();
        for file in std::fs::read_dir(&path).map_err(|e| io_error(&path, &e))? {
            let file = file.map_err(|e| io_error(&path, &e))?.path();
            if file.extension().is_some_and(|ext| ext == "ftl") {
                files.push(file);
            }
        }
        files.sort();
        languages.push((tag, files));
    }
    languages.sort();
    Ok(languages)
}

/// A value put into a message.
pub trait ArgValue {
    /// As a Fluent value (numbers stay numbers, for plurals).
    fn fluent(&self) -> FluentValue<'static>;
}

impl ArgValue for str {
    fn fluent(&self) -> FluentValue<'static> {
        FluentValue::String(Cow::Owned(self.to_owned()))
    }
}

impl ArgValue for String {
    fn fluent(&self) -> FluentValue<'static> {
        self.as_str().fluent()
    }
}

macro_rules! number_arg {
    ($($ty:ty)+) => {$(
        impl ArgValue for $ty {
            fn fluent(&self) -> FluentValue<'static> {
                FluentValue::from(*self)
            }
        }
    )+};
}
number_arg!(i64 u64 u32 usize);

impl<T: ArgValue + ?Sized> ArgValue for &T {
    fn fluent(&self) -> FluentValue<'static> {
        (**self).fluent()
    }
}

/// The messages of one language, for a page or a mail (the `t` of the templates).
#[derive(Clone)]
pub struct Tr {
    catalog: Arc<Catalog>,
    index: usize,
}

impl fmt::Debug for Tr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Tr").field(&self.lang()).finish()
    }
}

/// Placeholder for a value that [`Tr::markup`] wraps after escaping: private-use characters
/// nobody types (and escaping leaves them alone).
const SLOT: &str = "\u{E000}slot\u{E001}";

impl Tr {
    /// The language tag (for `<html lang>` and `Content-Language`).
    pub fn lang(&self) -> &str {
        &self.catalog.languages[self.index].tag
    }

    /// The catalog.
    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.catalog
    }

    /// The message `key`, as plain text.
    pub fn get(&self, key: &str) -> String {
        self.catalog.format(self.index, key, None)
    }

    /// The message `key` with `$name` set to `value`, as plain text.
    pub fn arg(&self, key: &str, name: &str, value: impl ArgValue) -> String {
        let mut args = FluentArgs::new();
        args.set(name.to_owned(), value.fluent());
        self.catalog.format(self.index, key, Some(&args))
    }

    /// The message `key` with two values, as plain text.
    pub fn args2(
        &self,
        key: &str,
        name1: &str,
        value1: impl ArgValue,
        name2: &str,
        value2: impl ArgValue,
    ) -> String {
        let mut args = FluentArgs::new();
        args.set(name1.to_owned(), value1.fluent());
        args.set(name2.to_owned(), value2.fluent());
        self.catalog.format(self.index, key, Some(&args))
    }

    /// The message `key` as HTML, with `$name` set to `value` wrapped in `open` and `close`
    /// (markup from the template, not escaped): the message's text and the value are escaped.
    /// Use it with `|safe`.
    pub fn markup(&self, key: &str, name: &str, value: &str, open: &str, close: &str) -> String {
        let mut args = FluentArgs::new();
        args.set(name.to_owned(), FluentValue::from(SLOT));
        let text = escape_html(&self.catalog.format(self.index, key, Some(&args)));
        text.replace(SLOT, &format!("{open}{}{close}", escape_html(value)))
    }

    /// A wait of `secs` seconds in words ("5 minutes"), for the `$wait` of the
    /// `throttled-` messages.
    pub fn wait(&self, secs: u64) -> String {
        match secs {
            0..=59 => self.arg("common-wait-seconds", "n", secs),
            _ => self.arg("common-wait-minutes", "n", secs.div_ceil(60)),
        }
    }

    /// A [`Text`] in this language.
    pub fn text(&self, text: &Text) -> String {
        match text {
            Text::Key(key) => self.get(key),
            Text::Arg(key, name, value) => self.arg(key, name, value.as_str()),
            Text::Plain(text) => text.clone(),
        }
    }
}

/// Marks a message key in Rust code (the key test finds every `key("...")`, `.get("...")`,
/// `.arg("...")`, `.args2("...")`, `.markup("...")`, `Text::Key("...")` and `Text::Arg("...")`).
pub const fn key(key: &'static str) -> &'static str {
    key
}

/// A text decided before the language is known (the message of an error page).
#[derive(Debug, Clone)]
pub enum Text {
    /// A message.
    Key(&'static str),
    /// A message with one value.
    Arg(&'static str, &'static str, String),
    /// Text shown as it is: details from the protocol layer, written for developers.
    Plain(String),
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests;

//! `[i18n]`: the languages of the hosted pages and mails.

use crate::i18n::Catalog;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;

/// `[i18n]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct I18nConfig {
    /// A folder of Fluent files read over the shipped ones at start-up: `<directory>/<tag>/*.ftl`
    /// replaces single messages of a shipped language, or adds a language.
    pub directory: Option<PathBuf>,
    /// The language of a request that asks for none of the languages there are.
    pub default_language: String,
}

impl Default for I18nConfig {
    fn default() -> Self {
        Self {
            directory: None,
            default_language: "en".into(),
        }
    }
}

impl I18nConfig {
    /// The messages, read now so a broken file stops start-up (with its path and line).
    pub(super) fn catalog(&self) -> anyhow::Result<Arc<Catalog>> {
        let catalog = Catalog::load(self.directory.as_deref(), &self.default_language)
            .map_err(|e| anyhow::anyhow!("i18n: {e}"))?;
        Ok(Arc::new(catalog))
    }
}

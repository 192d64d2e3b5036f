//! `[ui]`: the name and stylesheet of the hosted pages.

use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// `[ui]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UiConfig {
    /// Name shown in page titles and headings.
    pub product_name: String,
    /// A CSS file served instead of the built-in stylesheet.
    pub stylesheet: Option<PathBuf>,
}

impl Default for UiConfig {
    fn default() -> Self {
        Self {
            product_name: "Account".into(),
            stylesheet: None,
        }
    }
}

impl UiConfig {
    /// The replacement stylesheet, read now so a missing file stops start-up.
    pub(super) fn read_stylesheet(&self) -> anyhow::Result<Option<String>> {
        self.stylesheet
            .as_ref()
            .map(|path| {
                std::fs::read_to_string(path)
                    .with_context(|| format!("ui.stylesheet {} cannot be read", path.display()))
            })
            .transpose()
    }
}

//! Scopes, [RFC 6749 section 3.3](https://www.rfc-editor.org/rfc/rfc6749#section-3.3).

use crate::error::OAuthError;
use std::collections::BTreeSet;
use std::fmt;

/// A set of scope tokens. Order does not matter (RFC 6749 section 3.3); it displays sorted,
/// space-separated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope(BTreeSet<String>);

/// A scope string that does not follow the RFC 6749 section 3.3 grammar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "scope `{0}` is malformed: scope tokens are separated by single spaces and use printable ASCII other than `\"` and `\\`"
)]
pub struct ScopeError(String);

impl Scope {
    /// Parses `scope = scope-token *( SP scope-token )`,
    /// `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`.
    pub fn parse(text: &str) -> Result<Self, ScopeError> {
        let mut tokens = BTreeSet::new();
        for token in text.split(' ') {
            let valid = !token.is_empty()
                && token
                    .bytes()
                    .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b));
            if !valid {
                return Err(ScopeError(text.to_owned()));
            }
            tokens.insert(token.to_owned());
        }
        Ok(Self(tokens))
    }

    /// Parses the `scope` of a request: `invalid_scope` when it is malformed.
    pub(crate) fn parse_requested(text: &str) -> Result<Self, OAuthError> {
        Self::parse(text).map_err(|e| OAuthError::invalid_scope(e.to_string()))
    }

    /// `self`, if every token of it is in `allowed`; otherwise `invalid_scope`, described by
    /// `refusal` given the tokens outside (space-separated).
    pub(crate) fn within(
        self,
        allowed: &Scope,
        refusal: impl FnOnce(&str) -> String,
    ) -> Result<Self, OAuthError> {
        let outside: Vec<&str> = self.not_in(allowed).collect();
        if !outside.is_empty() {
            return Err(OAuthError::invalid_scope(refusal(&outside.join(" "))));
        }
        Ok(self)
    }

    /// The empty scope.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Whether no scope token is present.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `token` is part of this scope.
    pub fn contains(&self, token: &str) -> bool {
        self.0.contains(token)
    }

    /// Whether every token of `self` is in `other`.
    pub fn is_subset(&self, other: &Scope) -> bool {
        self.0.is_subset(&other.0)
    }

    /// Tokens of `self` missing from `allowed`.
    pub fn not_in<'a>(&'a self, allowed: &'a Scope) -> impl Iterator<Item = &'a str> {
        self.0.difference(&allowed.0).map(String::as_str)
    }

    /// The scope tokens, sorted.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// Tokens in both scopes.
    pub fn intersection(&self, other: &Scope) -> Scope {
        Scope(self.0.intersection(&other.0).cloned().collect())
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for token in &self.0 {
            if !first {
                f.write_str(" ")?;
            }
            f.write_str(token)?;
            first = false;
        }
        Ok(())
    }
}

impl<'a> FromIterator<&'a str> for Scope {
    fn from_iter<I: IntoIterator<Item = &'a str>>(iter: I) -> Self {
        Self(iter.into_iter().map(str::to_owned).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_as_sets_and_print_sorted() {
        let scope = Scope::parse("write read read").unwrap();
        assert_eq!(scope.to_string(), "read write");
        assert!(Scope::parse("read").unwrap().is_subset(&scope));
    }

    #[test]
    fn grammar_violations_are_refused() {
        for bad in ["", "a  b", " a", "a ", "a\"b", "a\\b", "é", "a\tb"] {
            assert!(Scope::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }
}

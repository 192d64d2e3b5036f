//! Client crate for sibling services: grows in issue 5.

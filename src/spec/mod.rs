//! The spec language: parse (YAML with positions) and validate into [`model::Spec`].

pub mod model;

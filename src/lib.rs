//! gwctl: provision Amazon API Gateway (REST and HTTP APIs) from a declarative YAML spec.
//!
//! Layers, each depending only on the ones above it:
//! - [`spec`]: parse and validate spec files (positions kept, every problem reported);
//! - [`state`]: the shapes both desired and observed configuration are expressed in;
//! - [`plan`]: a pure diff of desired against observed into ordered operations (no SDK);
//! - [`aws`]: every SDK call: configuration, reads, the executor, error classification;
//! - [`engine`]: the flow every verb shares (find, read, plan, converge, run), generic over
//!   the kind of API; typed results and errors, no printing;
//! - [`cli`] / [`output`]: argument parsing, commands, human and JSON rendering;
//! - [`verify`]: what a browser would make of a deployed API's CORS answers (data plane).

pub mod aws;
pub mod cancel;
pub mod cli;
pub mod engine;
pub mod exit;
pub mod output;
pub mod plan;
pub mod spec;
pub mod state;
pub mod term;
pub mod verify;

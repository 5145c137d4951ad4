//! All integration tests in one binary, so the three AWS SDKs are linked once (see
//! docs/testing.md). Each module is one former test file; `support` is the shared harness.

mod support;

mod auth_rest;
mod aws_config;
mod aws_exec;
mod aws_exec_usage;
mod aws_http_lifecycle_offline;
mod aws_http_offline;
mod aws_recover;
mod aws_rest_read;
mod bench_pieces;
mod cache_rest;
mod canary_rest;
mod cli_rest;
mod cli_ux;
mod cors_cli;
mod cors_localstack;
mod definition;
mod docs;
mod edge_messages;
mod envs;
mod faults;
mod http_apply;
mod http_lifecycle;
mod layering;
mod multi_apply;
mod null_templates;
mod openapi;
mod pacing;
mod policy_rest;
mod prop_plan;
mod prop_undeclared;
mod quota_sim;
mod release;
mod reliability;
mod secrets;
mod spec_docs;
mod spec_examples;
mod spec_robustness;
mod strict_proxy;
mod terminal_safety;
mod undeclared;
mod usage_rest;
mod validate_cli;
mod verify_cli;

#!/usr/bin/env bash
# The full check, exactly as CI runs it (.ci/run calls this): formatting, lints, and every
# test with the local AWS emulator (installed on first run into .emulator/venv) and, for the
# CORS data-plane tier, LocalStack (into .localstack/venv; needs Python 3.12+, ~80-120 s once);
# actionlint for the workflows (into .actionlint/); then the crate as crates.io would get it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# every emulator test runs behind the strict proxy (docs/testing.md); lenient is for debugging
unset GWCTL_EMULATOR_LENIENT

scripts/emulator.sh install
scripts/localstack.sh install
scripts/actionlint.sh install
cargo fmt --check
cargo clippy --locked --all-targets -- -D warnings
cargo test --locked
# The package crates.io would receive builds from its own files alone (no tests, scripts or
# fixtures in it). Its verification build shares target/ with the tests above, so only gwctl
# itself is compiled again: about 35 s on 2 cores (measured 2026-12-07).
# --allow-dirty: CI checks out a clean tree; locally, uncommitted work is packaged as it is.
cargo publish --dry-run --locked --allow-dirty
# That build recorded target/package/'s copies of gwctl's own files as its sources: forget
# gwctl's artifacts (not the dependencies'), so the next build watches src/ and build.rs again.
cargo clean --quiet -p gwctl

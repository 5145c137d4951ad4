#!/usr/bin/env bash
# The full check, exactly as CI runs it (.ci/run calls this): formatting, lints, and every
# test with the local AWS emulator (installed on first run into .emulator/venv) and, for the
# CORS data-plane tier, LocalStack (into .localstack/venv; needs Python 3.12+, ~80-120 s once).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# every emulator test runs behind the strict proxy (docs/testing.md); lenient is for debugging
unset GWCTL_EMULATOR_LENIENT

scripts/emulator.sh install
scripts/localstack.sh install
cargo fmt --check
cargo clippy --locked --all-targets -- -D warnings
cargo test --locked

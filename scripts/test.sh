#!/usr/bin/env bash
# The full check, exactly as CI runs it (.ci/run calls this): formatting, lints, and every
# test with the local AWS emulator (installed on first run into .emulator/venv).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/emulator.sh install
cargo fmt --check
cargo clippy --locked --all-targets -- -D warnings
cargo test --locked

#!/usr/bin/env bash
# gwctl's benchmark in one command: gwctl, a sequential boto3 script (seed 004's style) and a
# shell script calling the aws CLI once per call (seed 003's style) do the same job on
# generated REST APIs of 5, 100 and 300 routes with CORS, with and without the quota
# simulator (scripts/quota_proxy.py). Takes about 30 minutes; prints one line per run and
# writes target/bench/results.{json,md} (docs/benchmarks.md quotes them).
#
#   scripts/bench.sh                                  everything
#   scripts/bench.sh --sizes 5,100 --tools gwctl      a subset (see scripts/bench/bench.py -h)
#   scripts/bench.sh --sizes '' --http-sizes '' --no-todo --modes sim --tools gwctl --multi 10x30
#                                                     10 APIs of 30 routes in one account: one
#                                                     `gwctl apply` of all, 10 processes at once,
#                                                     10 one after another (docs/benchmarks.md)
#
# Needs what the tests need (Python 3.9+, cargo); installs the emulator (.emulator/venv) and
# the aws CLI (.bench/venv, awscli 1.x from PyPI) on first use. Binds 127.0.0.1 only.
# BENCH_PROFILE=release measures a release build of gwctl (default: the debug build).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

AWSCLI_SPEC='awscli==1.46.3'
profile="${BENCH_PROFILE:-debug}"

scripts/emulator.sh install
if [ ! -x .bench/venv/bin/aws ]; then
    echo "installing $AWSCLI_SPEC into .bench/venv" >&2
    "${PYTHON:-python3}" -m venv .bench/venv
    .bench/venv/bin/python -m pip install --quiet --disable-pip-version-check "$AWSCLI_SPEC"
fi
if [ "$profile" = release ]; then
    cargo build --locked --release --bin gwctl
else
    cargo build --locked --bin gwctl
fi

exec .emulator/venv/bin/python scripts/bench/bench.py \
    --gwctl "target/$profile/gwctl" --gwctl-build "$profile" \
    --python .emulator/venv/bin/python \
    --moto-server .emulator/venv/bin/moto_server \
    --aws-cli .bench/venv/bin/aws "$@"

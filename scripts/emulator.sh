#!/usr/bin/env bash
# The local AWS emulator gwctl's tests and quick start run against: moto in server mode,
# pinned, in a virtualenv under the repository (no Docker, no AWS account).
#
#   scripts/emulator.sh install        create .emulator/venv with moto (idempotent, fast when done)
#   scripts/emulator.sh start [PORT]   start moto on 127.0.0.1:PORT (default 5000), print its URL
#   scripts/emulator.sh stop           stop the emulator started by `start`
#   scripts/emulator.sh reset          wipe the running emulator's state
#   scripts/emulator.sh status         print the URL of the running emulator, exit 1 if none
#
# Environment:
#   GWCTL_EMULATOR_VENV   virtualenv to use instead of <repo>/.emulator/venv
#   PYTHON                interpreter used to create the virtualenv (default python3, >= 3.9)
#
# Tests do not need `start`: tests/support starts one emulator per test binary on a free port.
set -euo pipefail

MOTO_SPEC='moto[server]==5.2.5'
# Validates `gwctl export --format openapi` documents in the tests (tests/it/openapi.rs).
VALIDATOR_VERSION='0.9.0'

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"
server_layout emulator .emulator moto "${GWCTL_EMULATOR_VENV:-}"


# The OpenAPI validator the tests use, pinned, in the same venv (installed apart from moto
# so that a venv made before it was added only gains it).
install_validator() {
    "$venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('openapi-spec-validator') != '$VALIDATOR_VERSION')" 2>/dev/null &&
        return 0
    say "installing openapi-spec-validator==$VALIDATOR_VERSION into $venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input "openapi-spec-validator==$VALIDATOR_VERSION" ||
        die "pip could not install \`openapi-spec-validator==$VALIDATOR_VERSION\`" "check network access to PyPI (or PIP_INDEX_URL / PIP_FIND_LINKS)"
}

cmd_install() {
    if venv_installed moto_server "$MOTO_SPEC"; then
        install_validator
        say "emulator already installed: $venv ($MOTO_SPEC)"
        return 0
    fi
    local python="${PYTHON:-python3}"
    command -v "$python" >/dev/null 2>&1 ||
        die "\`$python\` not found" "install Python 3.9 or later (Debian/Ubuntu: apt-get install python3 python3-venv)"
    "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' ||
        die "moto needs Python 3.9 or later, \`$python\` is $("$python" -V 2>&1)" "set PYTHON to a newer interpreter"
    say "installing $MOTO_SPEC into $venv"
    mkdir -p "$(dirname "$venv")"
    if ! "$python" -m venv "$venv" >/dev/null; then
        die "could not create a virtualenv at \`$venv\`" "Debian/Ubuntu: apt-get install python3-venv"
    fi
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input "$MOTO_SPEC" ||
        die "pip could not install \`$MOTO_SPEC\`" "check network access to PyPI (or PIP_INDEX_URL / PIP_FIND_LINKS)"
    [ -x "$venv/bin/moto_server" ] || die "\`$venv/bin/moto_server\` missing after install"
    install_validator
    printf '%s\n' "$MOTO_SPEC" >"$venv/.gwctl-installed"
    say "emulator installed: $venv/bin/moto_server"
}

# Waits until the emulator (pid $3) on port $1 answers HTTP, at most $2 seconds.
wait_ready() {
    "$venv/bin/python" - "$1" "$2" "$3" <<'PY'
import os, sys, time, urllib.request, urllib.error
port, limit, pid = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
deadline = time.monotonic() + limit
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        sys.exit(1)  # exited: the log says why
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/data.json", timeout=1).read()
        sys.exit(0)
    except (urllib.error.URLError, ConnectionError, OSError):
        time.sleep(0.05)
sys.exit(1)
PY
}

cmd_start() {
    local port="${1:-5000}"
    case "$port" in '' | *[!0-9]*) die "invalid port \`$port\`" "give a number, e.g. \`scripts/emulator.sh start 5000\`" ;; esac
    venv_installed moto_server "$MOTO_SPEC" || die "the emulator is not installed" "run \`scripts/emulator.sh install\`"
    mkdir -p "$state_dir"
    if pid="$(running_pid)"; then
        say "emulator already running (pid $pid)"
        printf 'http://127.0.0.1:%s\n' "$(cat "$port_file")"
        return 0
    fi
    # nohup + background: the emulator outlives this script and ignores the terminal's Ctrl-C.
    nohup "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" </dev/null >"$log_file" 2>&1 &
    local pid=$!
    printf '%s\n' "$pid" >"$pid_file"
    printf '%s\n' "$port" >"$port_file"
    if ! wait_ready "$port" 30 "$pid"; then
        kill "$pid" 2>/dev/null || true
        rm -f "$pid_file" "$port_file"
        tail -n 5 "$log_file" >&2 || true
        die "the emulator did not start on 127.0.0.1:$port (log: $log_file)" "is the port in use? try another: \`scripts/emulator.sh start 5055\`"
    fi
    say "emulator running (pid $pid, log $log_file)"
    printf 'http://127.0.0.1:%s\n' "$port"
}

cmd_reset() {
    running_pid >/dev/null || die "the emulator is not running" "run \`scripts/emulator.sh start\`"
    "$venv/bin/python" - "$(cat "$port_file")" <<'PY'
import sys, urllib.request
req = urllib.request.Request(f"http://127.0.0.1:{sys.argv[1]}/moto-api/reset", data=b"", method="POST")
urllib.request.urlopen(req, timeout=10).read()
PY
    say "emulator state reset"
}

case "${1:-}" in
install) cmd_install ;;
start) cmd_start "${2:-}" ;;
stop) cmd_stop ;;
reset) cmd_reset ;;
status) cmd_status ;;
*)
    say "usage: scripts/emulator.sh install | start [PORT] | stop | reset | status"
    exit 2
    ;;
esac

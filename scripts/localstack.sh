#!/usr/bin/env bash
# LocalStack in host mode (no Docker): the REST API *data plane* gwctl's CORS tier runs
# against (moto, the main emulator, cannot serve invoke URLs). Pinned, in a virtualenv under
# the repository, bound to 127.0.0.1 only.
#
#   scripts/localstack.sh install        create .localstack/venv (idempotent, fast when done)
#   scripts/localstack.sh start [PORT]   start LocalStack on 127.0.0.1:PORT (default 4566), print its URL
#   scripts/localstack.sh stop           stop the LocalStack started by `start`
#   scripts/localstack.sh status         print the URL of the running LocalStack, exit 1 if none
#
# Environment:
#   GWCTL_LOCALSTACK_VENV    virtualenv to use instead of <repo>/.localstack/venv
#   GWCTL_LOCALSTACK_PYTHON  interpreter to create it with (Python 3.12 or later; default: the
#                            newest pyenv 3.13/3.12 in ~/.pyenv/versions, then python3.13,
#                            python3.12, python3 on PATH)
#
# Tests do not need `start`: tests/it/support/localstack.rs starts one LocalStack per test binary
# on a free port (`cargo test --test it cors_localstack::`).
set -euo pipefail

# localstack-core needs Python >= 3.12; the other pins keep its dependencies at versions that
# run without Docker and without an auth token (shared/research/emulators.md).
PACKAGES=('localstack-core[runtime]==2026.3.0' 'cbor2<6' 'cryptography<45' 'pyOpenSSL<25'
    'service_identity<25' 'joserfc<1.1')
STAMP="${PACKAGES[*]}"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"
server_layout localstack .localstack localstack "${GWCTL_LOCALSTACK_VENV:-}"


new_enough() {
    "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null
}

find_python() {
    if [ -n "${GWCTL_LOCALSTACK_PYTHON:-}" ]; then
        new_enough "$GWCTL_LOCALSTACK_PYTHON" ||
            die "GWCTL_LOCALSTACK_PYTHON=\`$GWCTL_LOCALSTACK_PYTHON\` is not Python 3.12 or later"
        printf '%s\n' "$GWCTL_LOCALSTACK_PYTHON"
        return
    fi
    local candidate
    for candidate in $(ls -d "$HOME"/.pyenv/versions/3.13* "$HOME"/.pyenv/versions/3.12* 2>/dev/null | sort -rV); do
        if [ -x "$candidate/bin/python3" ] && new_enough "$candidate/bin/python3"; then
            printf '%s\n' "$candidate/bin/python3"
            return
        fi
    done
    for candidate in python3.13 python3.12 python3; do
        if command -v "$candidate" >/dev/null 2>&1 && new_enough "$candidate"; then
            command -v "$candidate"
            return
        fi
    done
    die "LocalStack needs Python 3.12 or later, and none was found (looked in ~/.pyenv/versions/3.13*, ~/.pyenv/versions/3.12*, python3.13, python3.12, python3: $(python3 -V 2>&1 || echo none))" \
        "install one (e.g. \`pyenv install 3.13\`) or set GWCTL_LOCALSTACK_PYTHON to its path"
}

cmd_install() {
    if venv_installed python "$STAMP"; then
        say "localstack already installed: $venv"
        return 0
    fi
    local python
    python="$(find_python)"
    say "installing ${PACKAGES[0]} into $venv with $("$python" -V 2>&1)"
    mkdir -p "$(dirname "$venv")"
    if [ -e "$venv" ]; then
        # Only ever replace a virtualenv (an interrupted or outdated install).
        [ -f "$venv/pyvenv.cfg" ] || die "\`$venv\` exists and is not a virtualenv" "remove it or set GWCTL_LOCALSTACK_VENV elsewhere"
        rm -rf "$venv"
    fi
    "$python" -m venv "$venv" >/dev/null || die "could not create a virtualenv at \`$venv\`"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input "${PACKAGES[@]}" ||
        die "pip could not install LocalStack" "check network access to PyPI (or PIP_INDEX_URL / PIP_FIND_LINKS)"
    "$venv/bin/python" -c 'import localstack.runtime.main' ||
        die "LocalStack does not import after install (see the output above)"
    printf '%s\n' "$STAMP" >"$venv/.gwctl-installed"
    say "localstack installed: $venv"
}

cmd_start() {
    local port="${1:-4566}"
    case "$port" in '' | *[!0-9]*) die "invalid port \`$port\`" ;; esac
    venv_installed python "$STAMP" || die "LocalStack is not installed" "run \`scripts/localstack.sh install\`"
    mkdir -p "$state_dir/data"
    if pid="$(running_pid)"; then
        say "localstack already running (pid $pid)"
        printf 'http://127.0.0.1:%s\n' "$(cat "$port_file")"
        return 0
    fi
    # GATEWAY_SERVER=hypercorn: the default server ignores the bind address.
    GATEWAY_SERVER=hypercorn GATEWAY_LISTEN="127.0.0.1:$port" DNS_ADDRESS=0 DISABLE_EVENTS=1 \
        SKIP_SSL_CERT_DOWNLOAD=1 SERVICES=apigateway,lambda,iam,sts,logs \
        FILESYSTEM_ROOT="$state_dir/data" \
        nohup "$venv/bin/python" -m localstack.runtime.main </dev/null >"$log_file" 2>&1 &
    local pid=$!
    printf '%s\n' "$pid" >"$pid_file"
    printf '%s\n' "$port" >"$port_file"
    local i
    for i in $(seq 1 120); do
        kill -0 "$pid" 2>/dev/null || break
        if "$venv/bin/python" -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$port/_localstack/health', timeout=1).read()" 2>/dev/null; then
            say "localstack running (pid $pid, log $log_file)"
            printf 'http://127.0.0.1:%s\n' "$port"
            return 0
        fi
        sleep 0.25
    done
    kill "$pid" 2>/dev/null || true
    rm -f "$pid_file" "$port_file"
    tail -n 5 "$log_file" >&2 || true
    die "LocalStack did not start on 127.0.0.1:$port (log: $log_file)" "is the port in use? try another: \`scripts/localstack.sh start 4567\`"
}

case "${1:-}" in
install) cmd_install ;;
start) cmd_start "${2:-}" ;;
stop) cmd_stop ;;
status) cmd_status ;;
*)
    say "usage: scripts/localstack.sh install | start [PORT] | stop | status"
    exit 2
    ;;
esac

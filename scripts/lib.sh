# Shared by scripts/emulator.sh and scripts/localstack.sh (sourced, not run): messages, and
# the files of a local server started in the background. The caller sets `root` and calls
# `server_layout` first.

# server_layout NAME DIR FILE_STEM VENV_OVERRIDE: SERVER_NAME, and state_dir (<repo>/DIR),
# venv (VENV_OVERRIDE or <state_dir>/venv), pid_file, port_file, log_file (<state_dir>/FILE_STEM.*).
server_layout() {
    SERVER_NAME="$1"
    state_dir="$root/$2"
    venv="${4:-$state_dir/venv}"
    pid_file="$state_dir/$3.pid"
    port_file="$state_dir/$3.port"
    log_file="$state_dir/$3.log"
}

# venv_installed BIN STAMP: the venv has bin/BIN and was installed from exactly STAMP.
venv_installed() {
    [ -x "$venv/bin/$1" ] && [ -f "$venv/.gwctl-installed" ] &&
        [ "$(cat "$venv/.gwctl-installed")" = "$2" ]
}

say() { printf '%s\n' "$*" >&2; }
die() {
    printf 'error: %s\n' "$1" >&2
    [ $# -gt 1 ] && printf 'hint: %s\n' "$2" >&2
    exit 1
}

# The pid of the running server, or status 1.
running_pid() {
    [ -f "$pid_file" ] || return 1
    local pid
    pid="$(cat "$pid_file")"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    printf '%s\n' "$pid"
}

# Stop the server started by `start` (TERM, then KILL after 5 s).
cmd_stop() {
    local pid
    if ! pid="$(running_pid)"; then
        say "$SERVER_NAME not running"
        rm -f "$pid_file" "$port_file"
        return 0
    fi
    kill "$pid"
    for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    rm -f "$pid_file" "$port_file"
    say "$SERVER_NAME stopped"
}

# Print the running server's URL, or status 1.
cmd_status() {
    running_pid >/dev/null || {
        say "$SERVER_NAME not running"
        return 1
    }
    printf 'http://127.0.0.1:%s\n' "$(cat "$port_file")"
}

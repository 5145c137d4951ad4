#!/usr/bin/env bash
# Prints the CHANGELOG.md section of one version: the release notes of its GitHub release.
#
#   scripts/release-notes.sh VERSION [CHANGELOG]     VERSION as 1.2.3 or v1.2.3
#
# The section is everything under `## [VERSION]` (a date may follow) up to the next `## `
# heading, without the heading itself and without leading or trailing blank lines.
# Exit 1 with a message on stderr when the changelog has no such section or it is empty.
set -euo pipefail

[ $# -ge 1 ] && [ $# -le 2 ] || {
    echo "usage: scripts/release-notes.sh VERSION [CHANGELOG]" >&2
    exit 2
}
version="${1#v}"
changelog="${2:-$(dirname "${BASH_SOURCE[0]}")/../CHANGELOG.md}"
[ -f "$changelog" ] || {
    echo "error: \`$changelog\` not found" >&2
    exit 1
}

notes="$(awk -v v="$version" '
    /^## / {
        if (found) exit
        h = $0
        sub(/^## +/, "", h)
        if (h == "[" v "]" || index(h, "[" v "] ") == 1 || h == v || index(h, v " ") == 1) { found = 1; next }
    }
    found { print }
' "$changelog" | sed -e '/./,$!d' | sed -e ':a' -e '/^\n*$/{$d;N;ba' -e '}')"

if [ -z "$notes" ]; then
    echo "error: CHANGELOG has no section for version $version (a \`## [$version]\` heading with text under it)" >&2
    echo "hint: rename \`## [Unreleased]\` to \`## [$version] - $(date -u +%F)\` before tagging" >&2
    exit 1
fi
printf '%s\n' "$notes"

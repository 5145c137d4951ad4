#!/usr/bin/env bash
# Installs a gwctl release binary: picks the archive for this OS and CPU, downloads it,
# verifies its SHA-256 against the release's SHA256SUMS, caches it, and puts gwctl on PATH.
# Used by the GitHub Action (action.yml) and usable on its own:
#
#   curl -fsSL https://raw.githubusercontent.com/gwctl/gwctl/main/scripts/install.sh | bash
#   curl -fsSL .../install.sh | bash -s -- 0.2.0        # a given version (default: latest)
#   scripts/install.sh --resolve [VERSION]              # print version=, target=, cache_dir= only
#
# Environment:
#   GWCTL_VERSION       the version when no argument is given (1.2.3 or v1.2.3; default latest)
#   GWCTL_INSTALL_DIR   where `gwctl` goes (default ~/.local/bin)
#   GWCTL_CACHE_DIR     cache of verified binaries (default ${XDG_CACHE_HOME:-~/.cache}/gwctl);
#                       one is reused without any download
#   GWCTL_RELEASES_URL  the releases page (default https://github.com/gwctl/gwctl/releases):
#                       archives are read from URL/download/vVERSION/, latest from URL/latest
#   GWCTL_TARGET        the Rust target to install instead of this machine's
#   GITHUB_PATH         when set (GitHub Actions), the install directory is appended to it
#
# stdout: the path of the installed binary; messages go to stderr. Nothing is installed unless
# the checksum matches.
set -euo pipefail

releases="${GWCTL_RELEASES_URL:-https://github.com/gwctl/gwctl/releases}"
releases="${releases%/}"

say() { printf '%s\n' "$*" >&2; }
die() {
    printf 'error: %s\n' "$1" >&2
    [ $# -gt 1 ] && printf 'hint: %s\n' "$2" >&2
    exit 1
}

# The Rust target of the release archive for this machine.
detect_target() {
    if [ -n "${GWCTL_TARGET:-}" ]; then
        printf '%s\n' "$GWCTL_TARGET"
        return
    fi
    local os arch
    os="$(uname -s)"
    arch="$(uname -m)"
    case "$arch" in
    x86_64 | amd64) arch=x86_64 ;;
    aarch64 | arm64) arch=aarch64 ;;
    *) die "no gwctl release for the CPU \`$arch\`" "build from source: cargo install gwctl" ;;
    esac
    case "$os" in
    Linux) printf '%s\n' "$arch-unknown-linux-musl" ;;
    Darwin) printf '%s\n' "$arch-apple-darwin" ;;
    MINGW* | MSYS* | CYGWIN* | Windows_NT)
        [ "$arch" = x86_64 ] || die "no gwctl release for Windows on \`$arch\`" "build from source: cargo install gwctl"
        printf '%s\n' "x86_64-pc-windows-msvc"
        ;;
    *) die "no gwctl release for the OS \`$os\`" "build from source: cargo install gwctl" ;;
    esac
}

# fetch URL FILE: download, or fail with the URL and the reason.
fetch() {
    local err
    if command -v curl >/dev/null 2>&1; then
        if ! err="$(curl -fsSL --retry 3 -o "$2" "$1" 2>&1)"; then
            printf '%s' "$err" | tail -n 1
            return 1
        fi
    elif command -v wget >/dev/null 2>&1; then
        if ! err="$(wget -q -O "$2" "$1" 2>&1)"; then
            printf '%s' "${err:-wget failed}" | tail -n 1
            return 1
        fi
    else
        die "neither curl nor wget is installed"
    fi
}

sha256() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d' ' -f1
    elif command -v shasum >/dev/null 2>&1; then
        shasum -a 256 "$1" | cut -d' ' -f1
    else
        die "neither sha256sum nor shasum is installed: cannot verify the download"
    fi
}

resolve_version() {
    local v="${1:-${GWCTL_VERSION:-latest}}"
    if [ "$v" = latest ]; then
        command -v curl >/dev/null 2>&1 || die "\`latest\` needs curl" "give a version, e.g. 0.1.0"
        local url
        url="$(curl -fsSLI -o /dev/null -w '%{url_effective}' "$releases/latest")" ||
            die "could not find the latest release at $releases/latest" "give a version, e.g. 0.1.0"
        v="${url##*/}"
    fi
    v="${v#v}"
    case "$v" in
    [0-9]*.[0-9]*.[0-9]*) printf '%s\n' "$v" ;;
    *) die "\`$v\` is not a version" "give one like 0.1.0 (or latest)" ;;
    esac
}

mode=install
if [ "${1:-}" = --resolve ]; then
    mode=resolve
    shift
fi
version="$(resolve_version "${1:-}")"
target="$(detect_target)"
cache_root="${GWCTL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/gwctl}"
cache_dir="$cache_root/v$version/$target"
if [ "$mode" = resolve ]; then
    printf 'version=%s\ntarget=%s\ncache_dir=%s\n' "$version" "$target" "$cache_dir"
    exit 0
fi

exe=gwctl
ext=tar.gz
case "$target" in *windows*)
    exe=gwctl.exe
    ext=zip
    ;;
esac
name="gwctl-v$version-$target"
asset="$name.$ext"
base="$releases/download/v$version"

if [ -x "$cache_dir/$exe" ]; then
    say "gwctl $version ($target) found in the cache $cache_dir"
else
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    say "downloading gwctl $version for $target from $base"
    if ! why="$(fetch "$base/SHA256SUMS" "$tmp/SHA256SUMS")"; then
        die "gwctl $version has no release at $base ($why)" \
            "check the version: the releases are listed at $releases"
    fi
    expected="$(awk -v a="$asset" '$2 == a || $2 == "*" a { print $1; exit }' "$tmp/SHA256SUMS")"
    [ -n "$expected" ] ||
        die "the release gwctl $version has no archive for $target ($asset is not in SHA256SUMS)" \
            "the release lists: $(awk '{ printf "%s ", $2 }' "$tmp/SHA256SUMS")"
    if ! why="$(fetch "$base/$asset" "$tmp/$asset")"; then
        die "could not download $base/$asset ($why)"
    fi
    actual="$(sha256 "$tmp/$asset")"
    if [ "$actual" != "$expected" ]; then
        die "checksum mismatch for $asset: SHA256SUMS says $expected, the download is $actual; nothing was installed" \
            "retry; if it persists the download was altered on the way: report it"
    fi
    mkdir -p "$tmp/x"
    case "$ext" in
    zip) (cd "$tmp/x" && unzip -q "../$asset") || die "could not unpack $asset" ;;
    *) tar -xzf "$tmp/$asset" -C "$tmp/x" || die "could not unpack $asset" ;;
    esac
    [ -f "$tmp/x/$name/$exe" ] || die "$asset holds no $name/$exe"
    mkdir -p "$cache_root/v$version"
    rm -rf "$cache_dir.tmp.$$"
    mv "$tmp/x/$name" "$cache_dir.tmp.$$"
    chmod +x "$cache_dir.tmp.$$/$exe"
    rm -rf "$cache_dir"
    mv "$cache_dir.tmp.$$" "$cache_dir"
fi

install_dir="${GWCTL_INSTALL_DIR:-$HOME/.local/bin}"
mkdir -p "$install_dir"
cp "$cache_dir/$exe" "$install_dir/$exe.tmp.$$"
mv "$install_dir/$exe.tmp.$$" "$install_dir/$exe"
if [ -n "${GITHUB_PATH:-}" ]; then
    printf '%s\n' "$install_dir" >>"$GITHUB_PATH"
else
    case ":$PATH:" in
    *":$install_dir:"*) ;;
    *) say "note: add $install_dir to PATH" ;;
    esac
fi
say "gwctl $version installed: $install_dir/$exe"
printf '%s\n' "$install_dir/$exe"

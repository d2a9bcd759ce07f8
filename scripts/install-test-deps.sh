#!/usr/bin/env bash
# Installs what the test suite needs that SwiftPM does not bring: the real peers the interop
# tests use as referees and the tools the scripts call.
#
#   Debian: prometheus (gives promtool), prometheus-pushgateway, prometheus-node-exporter (a real
#           /metrics to lint beside promtool), protobuf-compiler, curl,
#           netcat-openbsd, socat, sqlite3 (integrity checks of the gateway's database),
#           golang-go + golang-github-prometheus-client-golang-dev (a real client_golang pusher,
#           built offline by scripts/build-go.sh), with a JSON-lines client written as the
#           original metrics-server's, libsqlite3-dev and zlib1g-dev (the
#           gateway links SQLite and zlib), php-cli (a PHP client as the original metrics-server's)
#   PyPI:   prometheus-client (pinned: the interop tests and fixtures know 0.26.0's behaviour),
#           into the `python3` on PATH
#
# Idempotent and fast when everything is present: apt-get runs (with one `apt-get update`) only
# when a package is missing, pip only when prometheus-client is missing or another version.
# As a non-root user it installs nothing and only reports what is missing.
set -euo pipefail

debian_packages=(prometheus prometheus-pushgateway prometheus-node-exporter protobuf-compiler curl netcat-openbsd socat sqlite3
    libsqlite3-dev zlib1g-dev golang-go golang-github-prometheus-client-golang-dev php-cli)

is_installed() {
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" = "installed" ]
}

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
    for package in "${debian_packages[@]}"; do
        is_installed "$package" || missing+=("$package")
    done
else
    echo "install-test-deps: no dpkg on this system; install by hand: ${debian_packages[*]}" >&2
fi

if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ]; then
        echo "install-test-deps: installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        # The Debian packages only install the services; nothing is started (no systemd here),
        # and the tests start their own instances on free ports.
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "install-test-deps: missing Debian packages (run as root to install): ${missing[*]}" >&2
    fi
fi

if command -v python3 >/dev/null 2>&1; then
    wanted=0.26.0
    have=$(python3 -c 'import importlib.metadata as m; print(m.version("prometheus-client"))' 2>/dev/null || true)
    if [ "$have" != "$wanted" ]; then
        echo "install-test-deps: pip install prometheus-client==$wanted into $(command -v python3) (found: ${have:-none})"
        python3 -m pip install --quiet --disable-pip-version-check "prometheus-client==$wanted"
        # pyenv needs its shims refreshed only for new executables; a library needs nothing.
    fi
else
    echo "install-test-deps: no python3 on PATH; the python interop tests need one" >&2
fi

echo "install-test-deps: ok"

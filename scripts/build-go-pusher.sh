#!/usr/bin/env bash
# Builds Tests/Interop/go-pusher (the real client_golang push client) offline into OUT_BINARY.
# Sources come from Debian's golang-github-prometheus-client-golang-dev under /usr/share/gocode;
# GOPATH mode (GO111MODULE=off) resolves imports there with no module proxy, go.mod or go.sum.
#   usage: scripts/build-go-pusher.sh OUT_BINARY
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 OUT_BINARY" >&2; exit 2; }
gocode=/usr/share/gocode
command -v go >/dev/null 2>&1 ||
    { echo "build-go-pusher: no 'go' on PATH (Debian: golang-go; see scripts/install-test-deps.sh)" >&2; exit 3; }
[ -f "$gocode/src/github.com/prometheus/client_golang/prometheus/push/push.go" ] ||
    { echo "build-go-pusher: client_golang sources missing in $gocode (Debian: golang-github-prometheus-client-golang-dev)" >&2; exit 3; }

out=$(realpath -m "$1")
src="$(cd "$(dirname "$0")/.." && pwd)/Tests/Interop/go-pusher"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$src"
GOENV=off GOFLAGS= GO111MODULE=off GOPROXY=off GOTOOLCHAIN=local CGO_ENABLED=0 \
    GOPATH="$gocode" GOCACHE="$tmp/cache" go build -o "$out" .

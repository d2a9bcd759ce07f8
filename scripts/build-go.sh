#!/usr/bin/env bash
# Builds one of the Go programs under Tests/Interop (go-pusher: the real client_golang push
# client; go-ops-client: a JSON-lines client written as the original metrics-server's is)
# offline into OUT_BINARY. client_golang comes from Debian's
# golang-github-prometheus-client-golang-dev under /usr/share/gocode; GOPATH mode
# (GO111MODULE=off) resolves imports there with no module proxy, go.mod or go.sum.
#   usage: scripts/build-go.sh PROGRAM OUT_BINARY
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 PROGRAM OUT_BINARY" >&2; exit 2; }
gocode=/usr/share/gocode
command -v go >/dev/null 2>&1 ||
    { echo "build-go: no 'go' on PATH (Debian: golang-go; see scripts/install-test-deps.sh)" >&2; exit 3; }
[ -f "$gocode/src/github.com/prometheus/client_golang/prometheus/push/push.go" ] ||
    { echo "build-go: client_golang sources missing in $gocode (Debian: golang-github-prometheus-client-golang-dev)" >&2; exit 3; }

src="$(cd "$(dirname "$0")/.." && pwd)/Tests/Interop/$1"
[ -f "$src/main.go" ] || { echo "build-go: no program $1 (Tests/Interop/$1/main.go)" >&2; exit 2; }
out=$(realpath -m "$2")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$src"
GOENV=off GOFLAGS= GO111MODULE=off GOPROXY=off GOTOOLCHAIN=local CGO_ENABLED=0 \
    GOPATH="$gocode" GOCACHE="$tmp/cache" go build -o "$out" .

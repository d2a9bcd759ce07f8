#!/usr/bin/env bash
# Builds `abacus` in release mode with its build information stamped in (what
# `/api/v1/status` shows under build_information): the git revision and branch, user@host and
# the UTC date. The stamp is written to Sources/AbacusGateway/BuildStamp.swift for the build
# only and put back afterwards, so the working tree stays clean.
#
#   scripts/build-release.sh [extra swift build arguments]
#
# The binary is .build/release/abacus.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=Sources/AbacusGateway/BuildStamp.swift
backup=$(mktemp)
cp "$stamp" "$backup"
trap 'cp "$backup" "$stamp"; rm -f "$backup"' EXIT

version=$(sed -n 's/.*static let version = "\(.*\)"/\1/p' "$backup")
revision=$(git rev-parse HEAD 2>/dev/null || echo "")
if [ -n "$revision" ] && ! git diff --quiet HEAD -- Sources Package.swift 2>/dev/null; then
    revision="$revision-dirty"
fi
branch=$(git rev-parse --abbrev-ref HEAD 2>/dev/null || echo "")
user="$(id -un)@$(hostname)"
date=$(date -u +%Y%m%d-%H:%M:%S)
swift_string() { printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"; }
cat >"$stamp" <<STAMP
// Stamped by scripts/build-release.sh for this build.
enum BuildStamp {
    static let version = $(swift_string "$version")
    static let revision = $(swift_string "$revision")
    static let branch = $(swift_string "$branch")
    static let buildUser = $(swift_string "$user")
    static let buildDate = $(swift_string "$date")
}
STAMP
swift build -c release --product abacus "$@"
echo "built .build/release/abacus: version $version, revision ${revision:-unknown}, $date"

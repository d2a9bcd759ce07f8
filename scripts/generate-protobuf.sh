#!/usr/bin/env bash
# Regenerates Sources/AbacusExposition/Protobuf/metrics.pb.swift from metrics.proto.
#
# The normal build never runs this: the generated file is committed. Run it after editing
# metrics.proto and commit both.
#
# Needs:
#   protoc            Debian `protobuf-compiler` (+ `libprotobuf-dev` for timestamp.proto)
#   protoc-gen-swift  taken from $PROTOC_GEN_SWIFT if set, else from PATH, else built here
#                     (~1 min) from $SWIFT_PROTOBUF_DIR or the swift-protobuf checkout SwiftPM
#                     put under .build*/checkouts (run `swift package resolve` first).
#   PROTO_INCLUDE     directory holding google/protobuf/timestamp.proto (default /usr/include).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
proto_dir="$root/Sources/AbacusExposition/Protobuf"
include="${PROTO_INCLUDE:-/usr/include}"

command -v protoc >/dev/null || { echo "error: protoc not found (apt-get install protobuf-compiler libprotobuf-dev)" >&2; exit 1; }
[[ -f "$include/google/protobuf/timestamp.proto" ]] || { echo "error: $include/google/protobuf/timestamp.proto not found (apt-get install libprotobuf-dev, or set PROTO_INCLUDE)" >&2; exit 1; }

plugin="${PROTOC_GEN_SWIFT:-}"
if [[ -z "$plugin" ]]; then
    plugin="$(command -v protoc-gen-swift || true)"
fi
if [[ -z "$plugin" ]]; then
    src="${SWIFT_PROTOBUF_DIR:-}"
    if [[ -z "$src" ]]; then
        for candidate in "$root"/.build*/checkouts/swift-protobuf; do
            if [[ -f "$candidate/Package.swift" ]]; then src="$candidate"; break; fi
        done
    fi
    [[ -n "$src" ]] || { echo "error: no protoc-gen-swift: set PROTOC_GEN_SWIFT or SWIFT_PROTOBUF_DIR, or run 'swift package resolve' first" >&2; exit 1; }
    # Build out of tree so a SwiftPM checkout stays untouched.
    scratch="$root/.build-protoc-gen-swift"
    echo "building protoc-gen-swift from $src" >&2
    swift build -c release --package-path "$src" --scratch-path "$scratch" --product protoc-gen-swift >&2
    plugin="$scratch/release/protoc-gen-swift"
fi
[[ -x "$plugin" ]] || { echo "error: $plugin is not executable" >&2; exit 1; }
echo "using $plugin ($("$plugin" --version))" >&2

# Internal visibility: the generated types are an implementation detail, not public API.
protoc \
    --plugin=protoc-gen-swift="$plugin" \
    --swift_opt=Visibility=Internal \
    --swift_out="$proto_dir" \
    -I "$proto_dir" -I "$include" \
    "$proto_dir/metrics.proto"

echo "wrote $proto_dir/metrics.pb.swift" >&2

#!/usr/bin/env bash
# Builds and runs the libFuzzer targets in Fuzz/targets/.
#
#   scripts/fuzz.sh TARGET SECONDS   fuzz Fuzz/targets/TARGET.swift for SECONDS
#   scripts/fuzz.sh all SECONDS      every target in turn, SECONDS each
#   scripts/fuzz.sh --list           the target names
#
# Each run starts from a copy of Fuzz/corpus/TARGET/ in a temporary directory (the committed
# corpus never grows by itself; see Fuzz/README.md to add inputs on purpose). Inputs that crash,
# leak or time out are written to fuzz-out/TARGET/. Exit status: 0 when no target found a problem.
#
# Environment: FUZZ_JOBS (default 1) runs that many libFuzzer workers in parallel;
# FUZZ_KEEP_CORPUS=DIR keeps the grown corpus of the run in DIR/TARGET instead of deleting it;
# FUZZ_SCRATCH_PATH (default .build-fuzz) is the build directory, for runs side by side.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
scratch="${FUZZ_SCRATCH_PATH:-$root/.build-fuzz}"
module=AbacusExposition
sanitizers=fuzzer,address

usage() {
    echo "usage: scripts/fuzz.sh TARGET|all SECONDS   (targets: $(list_targets | tr '\n' ' '))" >&2
    exit 2
}

list_targets() {
    local file
    for file in Fuzz/targets/*.swift; do
        [ -e "$file" ] || continue
        basename "$file" .swift
    done
}

if [ "${1:-}" = "--list" ]; then
    list_targets
    exit 0
fi
[ $# -eq 2 ] || usage
what=$1
seconds=$2
[[ "$seconds" =~ ^[0-9]+$ ]] || usage

if [ "$what" = "all" ]; then
    mapfile -t targets < <(list_targets)
    if [ "${#targets[@]}" -eq 0 ]; then
        echo "fuzz: no targets in Fuzz/targets/" >&2
        exit 1
    fi
else
    [ -f "Fuzz/targets/$what.swift" ] || { echo "fuzz: no Fuzz/targets/$what.swift" >&2; usage; }
    targets=("$what")
fi

# 1. The module and its dependencies, instrumented. -Xswiftc applies to every Swift target built,
#    so SwiftProtobuf is instrumented too (coverage feedback reaches into the decoder it runs).
echo "fuzz: building $module (release, -sanitize=$sanitizers) in $scratch"
swift build -c release --scratch-path "$scratch" --target "$module" -Xswiftc "-sanitize=$sanitizers"

bin=$(swift build -c release --scratch-path "$scratch" --show-bin-path)
# Every object of the module and of what it depends on: `--target` builds only those, so the
# object directories under the bin path are exactly the ones to link (executables and tests
# are never built here). A directory holding a main.swift.o would be an executable: skip it.
objects=()
for dir in "$bin"/*.build; do
    [ -d "$dir" ] || continue
    compgen -G "$dir/*.o" >/dev/null || continue
    [ -e "$dir/main.swift.o" ] && continue
    objects+=("$dir"/*.o)
done
[ "${#objects[@]}" -gt 0 ] || { echo "fuzz: no object files under $bin" >&2; exit 1; }

mkdir -p fuzz-out
failed=()
for target in "${targets[@]}"; do
    exe="$scratch/fuzz-$target"
    echo "fuzz: linking $target"
    swiftc -O -use-ld=lld -sanitize="$sanitizers" -parse-as-library \
        "Fuzz/targets/$target.swift" -I "$bin/Modules" "${objects[@]}" -o "$exe"

    work=$(mktemp -d "${TMPDIR:-/tmp}/abacus-fuzz-$target.XXXXXX")
    mkdir -p "$work/corpus" "fuzz-out/$target"
    if [ -d "Fuzz/corpus/$target" ]; then
        cp -R "Fuzz/corpus/$target/." "$work/corpus/"
    fi
    options=(-max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10
        -artifact_prefix="fuzz-out/$target/" -print_final_stats=1)
    if [ -f "Fuzz/dict/$target.dict" ]; then
        options+=(-dict="Fuzz/dict/$target.dict")
    fi
    jobs=${FUZZ_JOBS:-1}
    if [ "$jobs" -gt 1 ]; then
        options+=(-jobs="$jobs" -workers="$jobs")
    fi

    echo "fuzz: running $target for ${seconds}s ($(find "$work/corpus" -type f | wc -l) seed inputs)"
    status=0
    # The Swift backtracer can hang for minutes on a crash with piped output: libFuzzer and
    # ASan report the crash themselves.
    SWIFT_BACKTRACE=enable=no "$exe" "${options[@]}" "$work/corpus" || status=$?
    if [ -n "${FUZZ_KEEP_CORPUS:-}" ]; then
        mkdir -p "$FUZZ_KEEP_CORPUS/$target"
        cp -R "$work/corpus/." "$FUZZ_KEEP_CORPUS/$target/"
    fi
    rm -rf "$work"
    if [ "$status" -ne 0 ]; then
        echo "fuzz: $target FAILED (exit $status); reproduce with: $exe fuzz-out/$target/<file>" >&2
        failed+=("$target")
    else
        echo "fuzz: $target ok"
    fi
    rmdir "fuzz-out/$target" 2>/dev/null || true
done

if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz: failed: ${failed[*]} (inputs in fuzz-out/)" >&2
    exit 1
fi
echo "fuzz: ${#targets[@]} target(s) ok"

#!/usr/bin/env bash
# The project's test command: everything CI checks, in order.
#
#   1. test dependencies (scripts/install-test-deps.sh: promtool, prometheus, pushgateway, ...)
#   2. swift format lint --strict over Sources, Tests, Examples and Benchmarks (config: .swift-format)
#   3. swift test (unit, golden, property and real-peer interop tests)
#   4. a short smoke run of every fuzz target (scripts/fuzz.sh all 20)
#
# Every stage runs even when an earlier one failed, so one run shows every problem; the exit
# status is non-zero when any stage failed. FUZZ_SECONDS overrides the 20 seconds per target.
set -uo pipefail

cd "$(dirname "$0")/.."

failed=()
section() {
    echo
    echo "================================================================"
    echo "== $*"
    echo "================================================================"
}
run_stage() {
    local name=$1
    shift
    local start=$SECONDS
    if "$@"; then
        echo "-- $name: ok ($((SECONDS - start))s)"
    else
        echo "-- $name: FAILED ($((SECONDS - start))s)"
        failed+=("$name")
    fi
}

section "1/4 test dependencies"
run_stage "dependencies" scripts/install-test-deps.sh

section "2/4 swift format lint --strict"
lint() {
    if swift format lint --strict --recursive Sources Tests Examples Benchmarks/Benchmarks; then
        return 0
    fi
    echo "swift format found problems; 'swift format format -i -r Sources Tests Examples Benchmarks/Benchmarks' fixes the layout ones" >&2
    return 1
}
run_stage "lint" lint

section "3/4 swift test"
test_log=$(mktemp)
swift_test() {
    swift test 2>&1 | tee "$test_log"
    return "${PIPESTATUS[0]}"
}
run_stage "swift test" swift_test
# XCTest prints "Executed 0 tests" (every test here is Swift Testing); state the real count plainly.
tests_run=$(sed -n 's/.*Test run with \([0-9]*\) tests\{0,1\} in .*/\1/p' "$test_log" | tail -1)
# One "✘ Test <name> failed after …" line per failed test; the run's own closing line
# ("✘ Test run with N tests … failed after …") is not a test. A test that failed is counted once.
tests_failed=$(grep '^✘ Test .* failed after' "$test_log" | grep -v '^✘ Test run with ' | sed 's/ failed after.*//' | sort -u | wc -l)
rm -f "$test_log"

section "4/4 fuzz smoke run"
run_stage "fuzz" scripts/fuzz.sh all "${FUZZ_SECONDS:-20}"

section "summary"
if [ "${#failed[@]}" -gt 0 ]; then
    if [ -n "${tests_run:-}" ]; then
        echo "swift-testing: $((tests_run - tests_failed)) passed, $tests_failed failed"
    fi
    echo "FAILED stages: ${failed[*]}"
    exit 1
fi
echo "all stages passed"
if [ -n "${tests_run:-}" ]; then
    echo "swift-testing: $((tests_run - tests_failed)) passed, $tests_failed failed"
fi

#!/usr/bin/env bash
# Runs CI as CI runs it, several times in a row, each in a fresh clone of the current commit:
#
#   scripts/ci-repeat.sh RUNS [BUSY_RUN]
#
# Each run: `git clone` of HEAD into a new temporary directory, `CI=true bash .ci/run` there,
# the clone removed afterwards. With BUSY_RUN=k, run k has another process keeping one core
# busy the whole time (a shell loop). Prints one line per run (number, result, seconds, the
# test summary line) and keeps each run's whole log in $CI_REPEAT_LOGS (default
# /tmp/abacus-ci-repeat). Exit status: the number of failed runs (0: all passed).
set -uo pipefail

runs=${1:?how many runs}
busy_run=${2:-0}
repo=$(cd "$(dirname "$0")/.." && pwd)
commit=$(git -C "$repo" rev-parse HEAD)
logs=${CI_REPEAT_LOGS:-/tmp/abacus-ci-repeat}
mkdir -p "$logs"
failed=0
echo "ci-repeat: $runs fresh-clone runs of $commit; logs in $logs"
for run in $(seq 1 "$runs"); do
    clone=$(mktemp -d /tmp/abacus-ci-clone.XXXXXX)
    git clone --quiet "$repo" "$clone/abacus"
    git -C "$clone/abacus" checkout --quiet "$commit"
    busy_pid=
    if [ "$run" = "$busy_run" ]; then
        bash -c 'while :; do :; done' &
        busy_pid=$!
    fi
    start=$SECONDS
    (cd "$clone/abacus" && CI=true bash .ci/run) >"$logs/run-$run.log" 2>&1
    status=$?
    elapsed=$((SECONDS - start))
    [ -n "$busy_pid" ] && kill "$busy_pid" 2>/dev/null
    summary=$(grep -E '^swift-testing: ' "$logs/run-$run.log" | tail -1)
    result=passed
    if [ "$status" -ne 0 ]; then
        result=FAILED
        failed=$((failed + 1))
    fi
    echo "run $run: $result in ${elapsed}s${busy_pid:+ (one core kept busy)}; $summary"
    rm -rf "$clone"
done
exit "$failed"

#!/usr/bin/env bash
# Gateway load harness: the same wrk load against Debian's prometheus-pushgateway or any
# Pushgateway-compatible server already running on loopback (our `abacus gateway`, later).
#
#   Benchmarks/gateway/run.sh pushgateway [options]          start Debian's 1.5.1 and measure it
#   Benchmarks/gateway/run.sh http://127.0.0.1:PORT [opts]   measure a server that is running
#   Benchmarks/gateway/run.sh abacus [--abacus-storage durable|memory]   start our release build
#
# See Benchmarks/gateway/README.md for what is measured and how to read the table.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

usage() {
  cat <<'EOF'
usage: run.sh TARGET [options]

TARGET
  pushgateway            start Debian's prometheus-pushgateway on 127.0.0.1:<free port>
                         (persistence file in a temp dir) and stop it on exit
  http://127.0.0.1:PORT  base URL of an already running Pushgateway-compatible server
                         (loopback only; a path after the port is used as route prefix)
  abacus                 start our `abacus gateway` (release build; see --abacus-bin) on
                         127.0.0.1:<free port>, database in a temp dir, and stop it on exit

options (defaults in brackets)
  --out FILE                  also write the result table as Markdown to FILE
  --groups N                  groups of 10 series to pre-populate [100000 = 1M series]
  --populate-limit SECONDS    stop populating after this long, report how far it got [600]
  --populate-concurrency C    parallel keep-alive connections while populating [4]
  --keys K                    grouping keys the wrk PUTs cycle over (instance i0..i<K-1>) [100]
  --duration SECONDS          each wrk run [20]
  --connections C             wrk connections [16]
  --threads T                 wrk threads [2]
  --timeout SECONDS           wrk per-request timeout [60]
  --scrape-runs R             scrapes of /metrics, median reported [3]
  --scrape-timeout SECONDS    bound for one scrape [300]
  --pid PID                   server PID for memory figures (URL targets; else found with ss)
  --skip-populated            only the empty-store run (quick smoke test)
  -h, --help
EOF
}

die() { echo "run.sh: $*" >&2; exit 1; }

# ---------------------------------------------------------------- arguments
[[ $# -ge 1 ]] || { usage >&2; exit 64; }
TARGET=$1; shift
case "$TARGET" in
  -h|--help) usage; exit 0 ;;
esac

OUT="" GROUPS_N=100000 POP_LIMIT=600 POP_CONC=4 KEYS=100 DURATION=20 CONNS=16 THREADS=2
WRK_TIMEOUT=60 SCRAPE_RUNS=3 SCRAPE_TIMEOUT=300 SERVER_PID="" SKIP_POPULATED=0
ABACUS_BIN="$HERE/../../.build/release/abacus" ABACUS_STORAGE=durable
while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) OUT=$2; shift 2 ;;
    --groups) GROUPS_N=$2; shift 2 ;;
    --populate-limit) POP_LIMIT=$2; shift 2 ;;
    --populate-concurrency) POP_CONC=$2; shift 2 ;;
    --keys) KEYS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --connections) CONNS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --timeout) WRK_TIMEOUT=$2; shift 2 ;;
    --scrape-runs) SCRAPE_RUNS=$2; shift 2 ;;
    --scrape-timeout) SCRAPE_TIMEOUT=$2; shift 2 ;;
    --pid) SERVER_PID=$2; shift 2 ;;
    --skip-populated) SKIP_POPULATED=1; shift ;;
    --abacus-bin) ABACUS_BIN=$2; shift 2 ;;
    --abacus-storage) ABACUS_STORAGE=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done
for v in GROUPS_N POP_LIMIT POP_CONC KEYS DURATION CONNS THREADS WRK_TIMEOUT SCRAPE_RUNS SCRAPE_TIMEOUT; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a non-negative integer, got '${!v}'"
done
(( SCRAPE_RUNS >= 1 && SCRAPE_RUNS <= 20 )) || die "--scrape-runs must be 1..20"
(( KEYS >= 1 )) || die "--keys must be >= 1"

# ---------------------------------------------------------------- tools
need_pkgs=()
command -v wrk >/dev/null || need_pkgs+=(wrk)
command -v curl >/dev/null || need_pkgs+=(curl)
if [[ $TARGET == pushgateway ]] && ! command -v prometheus-pushgateway >/dev/null; then
  need_pkgs+=(prometheus-pushgateway)
fi
if [[ ${#need_pkgs[@]} -gt 0 ]]; then
  [[ $(id -u) -eq 0 ]] || die "missing ${need_pkgs[*]}; run as root or: apt-get install -y ${need_pkgs[*]}"
  echo "installing ${need_pkgs[*]} ..." >&2
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y "${need_pkgs[@]}" >/dev/null; then
    apt-get update >/dev/null
    apt-get install -y "${need_pkgs[@]}" >/dev/null
  fi
fi
PY=$(command -v python3 || true)
[[ -n $PY ]] || PY=/usr/bin/python3
[[ -x $PY ]] || die "python3 not found"

# ---------------------------------------------------------------- cleanup
TMP=$(mktemp -d -t gateway-bench.XXXXXX)
STARTED_PID=""
cleanup() {
  local rc=$?
  stop_started
  rm -rf "$TMP"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- server
free_port() {
  "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
wait_ready() {  # $1 = base URL; up to 15 s
  for _ in $(seq 1 75); do
    if curl -fsS --max-time 2 -o /dev/null "$1/-/ready" 2>/dev/null \
       || curl -fsS --max-time 2 -o /dev/null "$1/metrics" 2>/dev/null; then return 0; fi
    if [[ -n $STARTED_PID ]] && ! kill -0 "$STARTED_PID" 2>/dev/null; then return 1; fi
    sleep 0.2
  done
  return 1
}

stop_started() {
  if [[ -n $STARTED_PID ]] && kill -0 "$STARTED_PID" 2>/dev/null; then
    kill "$STARTED_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$STARTED_PID" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$STARTED_PID" 2>/dev/null || true
  fi
  [[ -z $STARTED_PID ]] || wait "$STARTED_PID" 2>/dev/null || true
  STARTED_PID=""
}
start_pushgateway() {  # fresh process, empty persistence file, new free port
  local attempt
  stop_started
  rm -f "$TMP/pushgateway.data"
  for attempt in 1 2 3; do  # a free port can be taken between probe and bind: retry
    PORT=$(free_port)
    BASE="http://127.0.0.1:$PORT"
    prometheus-pushgateway \
      --web.listen-address="127.0.0.1:$PORT" \
      --persistence.file="$TMP/pushgateway.data" \
      --web.enable-admin-api \
      --log.level=warn >>"$TMP/server.log" 2>&1 &
    STARTED_PID=$!
    if wait_ready "$BASE"; then SERVER_PID=$STARTED_PID; return 0; fi
    stop_started
  done
  cat "$TMP/server.log" >&2 || true
  die "prometheus-pushgateway did not become ready"
}

start_abacus() {  # fresh process, empty database, new free port
  local attempt storage
  stop_started
  rm -f "$TMP"/abacus.sqlite*
  storage="$TMP/abacus.sqlite"
  [[ $ABACUS_STORAGE == memory ]] && storage=":memory:"
  for attempt in 1 2 3; do
    PORT=$(free_port)
    BASE="http://127.0.0.1:$PORT"
    "$ABACUS_BIN" gateway \
      --web.listen-address="127.0.0.1:$PORT" \
      --storage.path="$storage" ${ABACUS_EXTRA:-} \
      --web.enable-admin-api \
      --log.level=warn >>"$TMP/server.log" 2>&1 &
    STARTED_PID=$!
    if wait_ready "$BASE"; then SERVER_PID=$STARTED_PID; return 0; fi
    stop_started
  done
  cat "$TMP/server.log" >&2 || true
  die "abacus gateway did not become ready"
}

if [[ $TARGET == pushgateway ]]; then
  SERVER_NAME=$(prometheus-pushgateway --version 2>&1 | head -1 | sed 's/ *(.*//')
  start_pushgateway
elif [[ $TARGET == abacus ]]; then
  [[ -x $ABACUS_BIN ]] || die "$ABACUS_BIN not found: swift build -c release --product abacus (or --abacus-bin)"
  [[ $ABACUS_STORAGE == durable || $ABACUS_STORAGE == memory ]] || die "--abacus-storage must be durable or memory"
  SERVER_NAME="abacus gateway ($ABACUS_STORAGE)"
  start_abacus
else
  [[ $TARGET =~ ^http://(127\.0\.0\.1|localhost|\[::1\]):([0-9]+)(/.*)?$ ]] \
    || die "TARGET must be pushgateway, abacus or http://127.0.0.1:PORT[/prefix] (loopback only)"
  BASE=${TARGET%/}
  PORT=${BASH_REMATCH[2]}
  wait_ready "$BASE" || die "$BASE is not answering /-/ready or /metrics"
  if [[ -z $SERVER_PID ]]; then
    SERVER_PID=$(ss -Hltnp "sport = :$PORT" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2 || true)
  fi
  SERVER_NAME="server at $BASE"
  if [[ -n $SERVER_PID && -r /proc/$SERVER_PID/comm ]]; then SERVER_NAME="$(cat /proc/$SERVER_PID/comm) at $BASE"; fi
fi
PREFIX=$(sed -E 's#^http://[^/]+##' <<<"$BASE")
[[ -z $SERVER_PID || -r /proc/$SERVER_PID/status ]] || SERVER_PID=""

rss_kib() {
  if [[ -n $SERVER_PID && -r /proc/$SERVER_PID/status ]]; then
    awk '/^VmRSS:/ {print $2}' "/proc/$SERVER_PID/status"
  else echo ""; fi
}
hwm_kib() {
  if [[ -n $SERVER_PID && -r /proc/$SERVER_PID/status ]]; then
    awk '/^VmHWM:/ {print $2}' "/proc/$SERVER_PID/status"
  else echo ""; fi
}
cpu_noise() {  # processes other than ours using > 5% CPU over the last 0.5 s, for the record
  top -b -n 2 -d 0.5 -w 200 2>/dev/null | awk '
    /^top -/ { f++ }
    f == 2 && $1 ~ /^[0-9]+$/ && $9 + 0 > 5 && $12 !~ /^(wrk|top|prometheus-pus|python3|curl)$/ {
      printf "%s%s %s%%", sep, $12, $9; sep = ", "; if (++n == 3) exit }
    END { if (n == 0) printf "no other process > 5%% CPU" }' || true
}
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

"$PY" "$HERE/bodies.py" bench >"$TMP/bench.txt"
"$PY" "$HERE/bodies.py" group >"$TMP/group.txt"

echo "target: $SERVER_NAME  (pid ${SERVER_PID:-unknown}, base $BASE)" >&2
echo "load average at start: $(loadavg); busy others: $(cpu_noise)" >&2

# ---------------------------------------------------------------- helpers
declare -A R  # results
run_wrk() {  # $1 = label
  local label=$1 out="$TMP/wrk-$1.txt"
  echo "wrk ($label): PUT $(wc -c <"$TMP/bench.txt") B x ${KEYS} keys, -c$CONNS -t$THREADS -d${DURATION}s ..." >&2
  R[${label}_noise]="load $(loadavg); $(cpu_noise)"
  BENCH_BODY="$TMP/bench.txt" BENCH_KEYS=$KEYS BENCH_THREADS=$THREADS BENCH_PREFIX=$PREFIX \
    timeout --kill-after=10 $((DURATION + 120)) \
    wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --timeout "${WRK_TIMEOUT}s" \
        -s "$HERE/put.lua" "$BASE/" >"$out" 2>&1 || { cat "$out" >&2; die "wrk failed"; }
  while read -r _ k v; do R[${label}_$k]=$v; done < <(grep '^RESULT ' "$out")
  R[${label}_errors]=$(( ${R[${label}_err_connect]:-0} + ${R[${label}_err_read]:-0} + ${R[${label}_err_write]:-0} + ${R[${label}_err_status]:-0} + ${R[${label}_err_timeout]:-0} ))
  echo "  ${R[${label}_rps]} req/s, p50 ${R[${label}_p50_us]} us, p99 ${R[${label}_p99_us]} us, errors ${R[${label}_errors]} (timeouts ${R[${label}_err_timeout]})" >&2
}
ms() {  # microseconds -> human
  local us=${1:-}
  [[ -n $us ]] || { echo "n/a"; return; }
  awk -v u="$us" 'BEGIN { if (u >= 1e6) printf "%.2f s", u/1e6; else if (u >= 1e3) printf "%.1f ms", u/1e3; else printf "%d µs", u }'
}
wipe_bench_groups() {  # admin wipe if enabled, else DELETE each bench key (bounded)
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 120 -X PUT "$BASE/api/v1/admin/wipe" || true)
  if [[ $code == 2* ]]; then echo "admin wipe"; return; fi
  local end=$((SECONDS + 300)) n=0
  for ((i = 0; i < KEYS && SECONDS < end; i++)); do
    curl -s -o /dev/null --max-time 60 -X DELETE "$BASE/metrics/job/bench/instance/i$i" && n=$((n + 1)) || true
  done
  echo "DELETE of $n/$KEYS bench groups"
}

# ---------------------------------------------------------------- 1. empty store
R[rss_fresh]=$(rss_kib)
run_wrk empty
BENCH_SERIES_EMPTY=$(( KEYS * 100 ))

# ---------------------------------------------------------------- 2. populated store
if (( ! SKIP_POPULATED )); then
  if [[ $TARGET == pushgateway || $TARGET == abacus ]]; then
    # A fresh process: a Go heap keeps the first run's garbage, which would hide what the
    # stored series cost. (URL targets: bench groups are wiped and the fresh RSS is the base.)
    if [[ $TARGET == pushgateway ]]; then start_pushgateway; else start_abacus; fi
    R[wipe]="restarted (pid $SERVER_PID)"
    R[rss_before]=$(rss_kib)
  else
    R[wipe]=$(wipe_bench_groups)
    R[rss_before]=${R[rss_fresh]}
  fi
  echo "before population: ${R[wipe]}, RSS ${R[rss_before]} KiB" >&2
  echo "populating $GROUPS_N groups x 10 series (limit ${POP_LIMIT}s, $POP_CONC connections) ..." >&2
  R[pop_noise]="load $(loadavg); $(cpu_noise)"
  "$PY" "$HERE/populate.py" --url "$BASE" --groups "$GROUPS_N" --limit "$POP_LIMIT" \
      --concurrency "$POP_CONC" --timeout 120 >"$TMP/populate.json" \
    || die "populate.py failed"
  POP_JSON=$(tail -1 "$TMP/populate.json")
  eval "$("$PY" -c '
import json, sys
r = json.loads(sys.argv[1])
for k in ("acked", "failed", "seconds", "rate", "final_p50_s", "hit_limit", "first_error"):
    v = r.get(k)
    print(f"R[pop_{k}]=" + json.dumps("" if v is None else str(v)))
' "$POP_JSON")"
  R[rss_after]=$(rss_kib)
  echo "  ${R[pop_acked]} groups in ${R[pop_seconds]} s (${R[pop_rate]} groups/s; last pushes p50 ${R[pop_final_p50_s]} s)" >&2
  run_wrk full

  # ------------------------------------------------------------ 3. scrape
  times=()
  for ((s = 1; s <= SCRAPE_RUNS; s++)); do
    res=$(curl -s -o "$TMP/scrape.txt" -w '%{http_code} %{time_total} %{size_download}' \
               --max-time "$SCRAPE_TIMEOUT" "$BASE/metrics" || echo "000 $SCRAPE_TIMEOUT 0")
    read -r code t bytes <<<"$res"
    [[ $code == 200 ]] || echo "  scrape $s: HTTP $code" >&2
    times+=("$t"); R[scrape_bytes]=$bytes
    echo "  scrape $s: ${t} s, $bytes bytes" >&2
  done
  R[scrape_median]=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {printf "%.3f", a[int((NR+1)/2)]}')
  R[scrape_all]=$(IFS=/; echo "${times[*]}")
  R[scrape_samples]=$(grep -vc '^#' "$TMP/scrape.txt" || true)
  R[scrape_gz]=$(curl -s -o /dev/null -H 'Accept-Encoding: gzip' -w '%{time_total} %{size_download}' \
                      --max-time "$SCRAPE_TIMEOUT" "$BASE/metrics" || echo "n/a")
  R[go_heap_inuse]=$(awk '$1=="go_memstats_heap_inuse_bytes" {printf "%d", $2}' "$TMP/scrape.txt")
fi
R[rss_end]=$(rss_kib); R[hwm_end]=$(hwm_kib)

# ---------------------------------------------------------------- table
{
  echo "### $SERVER_NAME — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Command: \`Benchmarks/gateway/run.sh $TARGET$( ((GROUPS_N != 100000)) && echo " --groups $GROUPS_N")$( ((POP_LIMIT != 600)) && echo " --populate-limit $POP_LIMIT")$( ((KEYS != 100)) && echo " --keys $KEYS")$( ((DURATION != 20)) && echo " --duration $DURATION")$( ((SKIP_POPULATED)) && echo " --skip-populated")\`; $(nproc) cores."
  echo "wrk: PUT of a $(wc -c <"$TMP/bench.txt")-byte, 100-series text 0.0.4 body to \`/metrics/job/bench/instance/i0..i$((KEYS - 1))\`, $CONNS connections, $THREADS threads, ${DURATION} s, timeout ${WRK_TIMEOUT} s."
  echo
  echo "| measurement | result | notes |"
  echo "|---|---|---|"
  echo "| PUT, empty store | **${R[empty_rps]} req/s**, p50 $(ms "${R[empty_p50_us]}"), p99 $(ms "${R[empty_p99_us]}") | ${R[empty_requests]} requests, ${R[empty_errors]} errors (${R[empty_err_timeout]} timeouts); store grows to ≤ $BENCH_SERIES_EMPTY bench series; ${R[empty_noise]} |"
  if (( ! SKIP_POPULATED )); then
    pop_series=$(( ${R[pop_acked]} * 10 ))
    echo "| population | ${R[pop_acked]} of $GROUPS_N groups ($pop_series series) in ${R[pop_seconds]} s = ${R[pop_rate]} groups/s | $POP_CONC connections, limit ${POP_LIMIT} s$( [[ ${R[pop_hit_limit]} == True ]] && echo " **(hit: stopped early)**"); last 100 pushes p50 ${R[pop_final_p50_s]} s; ${R[pop_failed]} failed${R[pop_first_error]:+ (first: ${R[pop_first_error]})}; ${R[pop_noise]} |"
    echo "| PUT, ${R[pop_acked]} groups stored | **${R[full_rps]} req/s**, p50 $(ms "${R[full_p50_us]}"), p99 $(ms "${R[full_p99_us]}") | ${R[full_requests]} requests, ${R[full_errors]} errors (${R[full_err_timeout]} timeouts); ${R[full_noise]} |"
    echo "| scrape \`/metrics\` | **${R[scrape_median]} s** median, ${R[scrape_bytes]} bytes, ${R[scrape_samples]} samples | runs: ${R[scrape_all]} s; with gzip: ${R[scrape_gz]/ / s, } bytes |"
    if [[ -n ${R[rss_before]} && -n ${R[rss_after]} ]] && (( pop_series > 0 )); then
      delta=$(( (${R[rss_after]} - ${R[rss_before]}) * 1024 ))
      per=$(( delta / pop_series ))
      tot=$(( ${R[rss_after]} * 1024 / pop_series ))
      heap=""
      if [[ -n ${R[go_heap_inuse]} ]] && (( ${R[scrape_samples]:-0} > 0 )); then
        heap="; Go heap in use after the scrapes $(( ${R[go_heap_inuse]} / 1024 / 1024 )) MiB = $(( ${R[go_heap_inuse]} / ${R[scrape_samples]} )) B per exposed sample"
      fi
      echo "| memory per stored series | **$per B** (RSS delta $(( delta / 1024 / 1024 )) MiB / $pop_series series) | RSS fresh ${R[rss_fresh]} KiB, before population ${R[rss_before]} KiB (${R[wipe]}), after ${R[rss_after]} KiB ($tot B/series total), end ${R[rss_end]} KiB, peak ${R[hwm_end]} KiB$heap |"
    else
      echo "| memory per stored series | n/a | no server PID (pass --pid) |"
    fi
  fi
} >"$TMP/table.md"

cat "$TMP/table.md"
if [[ -n $OUT ]]; then cp "$TMP/table.md" "$OUT"; echo "wrote $OUT" >&2; fi

#!/usr/bin/env bash
# Stream ops ingestion: one C sender (uds-sender.c) writes pre-built JSON-lines `inc` messages
# in large writes over ONE long-lived Unix socket (or TCP) connection to `abacus gateway` for N
# seconds; the applied count comes from the gateway's /metrics
# (abacus_ingest_messages_total{op="inc",transport="unix|tcp"}).
#
#   Benchmarks/ops/run.sh [options]
#
# See Benchmarks/ops/README.md.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

usage() {
  cat <<'USAGE'
usage: run.sh [options]

options (defaults in brackets)
  --transport T          unix or tcp [unix]
  --storage S            memory, durable or both [both]
  --duration SECONDS     length of each sender run [10]
  --runs N               sender runs per storage, on the same gateway process [3]
  --series N             distinct label sets [1000]
  --write-size BYTES     bytes per write() [262144]
  --abacus-bin PATH      [.build-rel/release/abacus, else .build/release/abacus]
  --gateway-args ARGS    extra arguments for `abacus gateway` (word-split)
  --max-load L           wait while the 1-minute load average is above L [1.5]
  --load-wait SECONDS    wait at most this long for the load to drop, then run anyway [600]
  --out FILE             also write the Markdown table to FILE
  -h, --help
USAGE
}
die() { echo "run.sh: $*" >&2; exit 1; }

TRANSPORT=unix STORAGE=both DURATION=10 RUNS=3 SERIES=1000 WSIZE=262144 ABACUS_BIN="" GATEWAY_ARGS=""
MAX_LOAD=1.5 LOAD_WAIT=600 OUT=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --transport) TRANSPORT=$2; shift 2 ;;
    --storage) STORAGE=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --series) SERIES=$2; shift 2 ;;
    --write-size) WSIZE=$2; shift 2 ;;
    --abacus-bin) ABACUS_BIN=$2; shift 2 ;;
    --gateway-args) GATEWAY_ARGS=$2; shift 2 ;;
    --max-load) MAX_LOAD=$2; shift 2 ;;
    --load-wait) LOAD_WAIT=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done
for v in DURATION RUNS SERIES WSIZE LOAD_WAIT; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a non-negative integer, got '${!v}'"
done
(( DURATION >= 1 && DURATION <= 600 )) || die "--duration must be 1..600"
(( RUNS >= 1 && RUNS <= 20 )) || die "--runs must be 1..20"
[[ $TRANSPORT == unix || $TRANSPORT == tcp ]] || die "--transport must be unix or tcp"
case $STORAGE in
  memory|durable) STORAGES=("$STORAGE") ;;
  both) STORAGES=(memory durable) ;;
  *) die "--storage must be memory, durable or both" ;;
esac
if [[ -z $ABACUS_BIN ]]; then
  for b in "$ROOT/.build-rel/release/abacus" "$ROOT/.build/release/abacus"; do
    [[ -x $b ]] && { ABACUS_BIN=$b; break; }
  done
fi
[[ -n $ABACUS_BIN && -x $ABACUS_BIN ]] \
  || die "no abacus binary: swift build -c release --product abacus --scratch-path .build-rel (or --abacus-bin)"
command -v gcc >/dev/null || die "gcc not found"
command -v curl >/dev/null || die "curl not found"
PY=$(command -v python3 || true); [[ -n $PY ]] || PY=/usr/bin/python3

TMP=$(mktemp -d -t ops-bench.XXXXXX)
GW_PID="" SEND_PID=""
stop_pid() {
  local pid=$1
  [[ -n $pid ]] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local rc=$?
  stop_pid "$SEND_PID"; SEND_PID=""
  stop_pid "$GW_PID"; GW_PID=""
  rm -rf "$TMP"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

gcc -O2 -Wall -o "$TMP/uds-sender" "$HERE/uds-sender.c"

free_tcp_port() {
  "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
load1() { cut -d' ' -f1 /proc/loadavg; }
cpu_noise() {
  top -b -n 2 -d 0.5 -w 200 2>/dev/null | awk -v me="${GW_PID:-0}" '
    /^top -/ { f++ }
    f == 2 && $1 ~ /^[0-9]+$/ && $1 != me && $9 + 0 > 5 && $12 !~ /^(uds-sender|top)$/ {
      printf "%s%s %s%%", sep, $12, $9; sep = ", "; if (++n == 3) exit }
    END { if (n == 0) printf "no other process > 5%% CPU" }' || true
}
wait_for_load() {
  local waited=0
  while awk -v l="$(load1)" -v m="$MAX_LOAD" 'BEGIN { exit !(l > m) }'; do
    if (( waited >= LOAD_WAIT )); then
      echo "load average $(loadavg) still above $MAX_LOAD after ${waited}s; running anyway" >&2
      return 0
    fi
    echo "load average $(loadavg) above $MAX_LOAD ($(cpu_noise)); waiting 60 s ..." >&2
    sleep 60; waited=$((waited + 60))
  done
}
field() { sed -nE "s/.*(^| )$1=([^ /]*).*/\2/p" <<<"$2"; }
scrape() { curl -fsS --max-time 10 -o "$1" "http://127.0.0.1:$GW_WEB/metrics"; }
msum() {  # $1 = file, $2 = metric name, $3.. = label pairs that must appear; sum of values
  local file=$1 name=$2; shift 2
  awk -v n="$name" -v want="$*" '
    BEGIN { k = split(want, w, " ") }
    index($0, n) == 1 {
      rest = substr($0, length(n) + 1)
      if (rest !~ /^[{ ]/) next
      for (i = 1; i <= k; i++) if (index(rest, w[i]) == 0) next
      s += $NF
    }
    END { printf "%.0f", s }' "$file"
}
proc_cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "$1" 2>/dev/null || echo 0; }
thread_ticks() {
  local t
  for t in /proc/"$GW_PID"/task/*; do
    echo "${t##*/} $(proc_cpu_ticks "$t/stat") $(tr ' ' _ <"$t/comm" 2>/dev/null)"
  done
}
busiest_threads() {
  awk 'NR == FNR { before[$1] = $2; next } { d = $2 - before[$1]; if (d > 0) printf "%d %s\n", d, $3 }' "$1" "$2" \
    | sort -rn | head -3 \
    | awk -v hz="$(getconf CLK_TCK)" -v s="$3" '{ printf "%s%s %.0f%%", sep, $2, 100 * $1 / hz / s; sep = ", " }'
}

start_gateway() {  # $1 = storage; a fresh process and database
  local st=$1 storage listen
  stop_pid "$GW_PID"; GW_PID=""
  rm -f "$TMP"/gw.sqlite* "$TMP/ops.sock"
  storage=":memory:"; [[ $st == durable ]] && storage="$TMP/gw.sqlite"
  for _attempt in 1 2 3; do
    GW_WEB=$(free_tcp_port)
    if [[ $TRANSPORT == unix ]]; then
      listen="--ops.unix-socket=$TMP/ops.sock"; DEST=(-u "$TMP/ops.sock")
    else
      GW_TCP=$(free_tcp_port); listen="--ops.tcp-listen-address=127.0.0.1:$GW_TCP"; DEST=(-t "127.0.0.1:$GW_TCP")
    fi
    # shellcheck disable=SC2086
    "$ABACUS_BIN" gateway --web.listen-address="127.0.0.1:$GW_WEB" "$listen" \
      --storage.path="$storage" --log.level=warn $GATEWAY_ARGS >>"$TMP/gateway.log" 2>&1 &
    GW_PID=$!
    for _ in $(seq 1 100); do
      if curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:$GW_WEB/metrics" 2>/dev/null; then
        if [[ $TRANSPORT == unix && -S $TMP/ops.sock ]] || { [[ $TRANSPORT == tcp ]] && ss -Htln "sport = :$GW_TCP" | grep -q .; }; then
          echo "gateway ($st): pid $GW_PID, ${DEST[*]}, HTTP 127.0.0.1:$GW_WEB" >&2
          return 0
        fi
      fi
      kill -0 "$GW_PID" 2>/dev/null || break
      sleep 0.2
    done
    stop_pid "$GW_PID"; GW_PID=""
  done
  cat "$TMP/gateway.log" >&2 || true
  die "the gateway did not start"
}

declare -A R
run_sender() {  # $1 = label
  local label=$1 a0 a1 r0 r1 c0 c1 prev t_end out
  wait_for_load
  R[${label}_noise]="load $(loadavg); $(cpu_noise)"
  scrape "$TMP/m0.txt" || die "cannot scrape the gateway"
  a0=$(msum "$TMP/m0.txt" abacus_ingest_messages_total "transport=\"$TRANSPORT\"")
  r0=$(msum "$TMP/m0.txt" abacus_ingest_rejected_total "transport=\"$TRANSPORT\"")
  thread_ticks >"$TMP/threads0.txt"; c0=$(proc_cpu_ticks "/proc/$GW_PID/stat")
  echo "[$label] uds-sender ${DEST[*]} -d $DURATION ($(loadavg)) ..." >&2
  timeout --kill-after=5 $((DURATION + 60)) "$TMP/uds-sender" "${DEST[@]}" -d "$DURATION" -s "$SERIES" -w "$WSIZE" \
    >"$TMP/send-$label.out" 2>"$TMP/send-$label.err" || { cat "$TMP/send-$label.err" >&2; die "uds-sender failed"; }
  t_end=$(date +%s.%N)
  prev=-1
  for _ in $(seq 1 100); do
    sleep 0.2
    scrape "$TMP/m1.txt" || die "cannot scrape the gateway"
    a1=$(msum "$TMP/m1.txt" abacus_ingest_messages_total "transport=\"$TRANSPORT\"")
    [[ $a1 == "$prev" ]] && break
    prev=$a1
  done
  c1=$(proc_cpu_ticks "/proc/$GW_PID/stat"); thread_ticks >"$TMP/threads1.txt"
  r1=$(msum "$TMP/m1.txt" abacus_ingest_rejected_total "transport=\"$TRANSPORT\"")
  out=$(tail -1 "$TMP/send-$label.out"); echo "  $out" >&2
  for k in sent seconds rate avg_len writes cpu_user cpu_sys; do R[${label}_$k]=$(field "$k" "$out"); done
  R[${label}_applied]=$((a1 - a0))
  R[${label}_rejected]=$((r1 - r0))
  R[${label}_applied_rate]=$(awk -v a="${R[${label}_applied]}" -v s="${R[${label}_seconds]}" 'BEGIN { printf "%d", a / s }')
  R[${label}_settle]=$(awk -v a="$t_end" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a - 0.4 }')
  R[${label}_cpu]=$(awk -v d=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" -v s="${R[${label}_seconds]}" 'BEGIN { printf "%.0f%%", 100 * d / hz / s }')
  R[${label}_threads]=$(busiest_threads "$TMP/threads0.txt" "$TMP/threads1.txt" "${R[${label}_seconds]}")
  R[${label}_sender_cpu]=$(awk -v u="${R[${label}_cpu_user]}" -v k="${R[${label}_cpu_sys]}" -v s="${R[${label}_seconds]}" 'BEGIN { printf "%.0f%% (%.0f%% sys)", 100 * (u + k) / s, 100 * k / s }')
  echo "  applied=${R[${label}_applied]} (${R[${label}_applied_rate]}/s) rejected=${R[${label}_rejected]} gateway CPU ${R[${label}_cpu]} (${R[${label}_threads]}); settled ${R[${label}_settle]} s after the sender" >&2
}

echo "ops stream bench: $TRANSPORT, $(nproc) cores, $(uname -r); $ABACUS_BIN" >&2
for st in "${STORAGES[@]}"; do
  start_gateway "$st"
  for ((i = 1; i <= RUNS; i++)); do run_sender "${st}_$i"; done
  scrape "$TMP/end.txt" || die "cannot scrape the gateway"
  R[${st}_series_sum]=$(msum "$TMP/end.txt" jobs_total)
  R[${st}_series_count]=$(grep -c '^jobs_total{' "$TMP/end.txt" || true)
  R[${st}_hwm]=$(awk '/^VmHWM:/ {print $2}' "/proc/$GW_PID/status" 2>/dev/null || echo "?")
  stop_pid "$GW_PID"; GW_PID=""
done

{
  echo "### one $TRANSPORT stream connection → abacus gateway — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Command: \`Benchmarks/ops/run.sh$( [[ $TRANSPORT != unix ]] && echo " --transport $TRANSPORT")$( [[ $STORAGE != both ]] && echo " --storage $STORAGE")$( ((DURATION != 10)) && echo " --duration $DURATION")$( ((RUNS != 3)) && echo " --runs $RUNS")$( ((SERIES != 1000)) && echo " --series $SERIES")$( ((WSIZE != 262144)) && echo " --write-size $WSIZE")$( [[ -n $GATEWAY_ARGS ]] && echo " --gateway-args '$GATEWAY_ARGS'")\`;" \
       "$(nproc) cores, kernel $(uname -r); ${R[${STORAGES[0]}_1_avg_len]}-byte messages, $SERIES series, writes of $WSIZE bytes, ${DURATION} s per run; $ABACUS_BIN."
  echo
  echo "| storage | run | sent | **applied/s** | applied | lost | rejected | gateway CPU (busiest threads) | sender CPU | settled after | load / busy others |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
  for st in "${STORAGES[@]}"; do
    for ((i = 1; i <= RUNS; i++)); do
      l=${st}_$i
      lost=$(( ${R[${l}_sent]} - ${R[${l}_applied]} - ${R[${l}_rejected]} ))
      echo "| $st | $i | ${R[${l}_sent]} in ${R[${l}_seconds]} s | **${R[${l}_applied_rate]}** | ${R[${l}_applied]} | $lost | ${R[${l}_rejected]} | ${R[${l}_cpu]} (${R[${l}_threads]}) | ${R[${l}_sender_cpu]} | ${R[${l}_settle]} s | ${R[${l}_noise]} |"
    done
  done
  echo
  for st in "${STORAGES[@]}"; do
    med=$(for ((i = 1; i <= RUNS; i++)); do echo "${R[${st}_${i}_applied_rate]}"; done | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    tot=0; for ((i = 1; i <= RUNS; i++)); do tot=$((tot + ${R[${st}_${i}_applied]})); done
    echo "- $st: median **$med applied/s** $( (( med >= 1000000 )) && echo "✅" || echo "❌") (goal ≥ 1,000,000/s on one connection); the ${R[${st}_series_count]} series sum to ${R[${st}_series_sum]} (applied in all: $tot); peak RSS ${R[${st}_hwm]} KiB."
  done
} >"$TMP/table.md"
cat "$TMP/table.md"
if [[ -n $OUT ]]; then cp "$TMP/table.md" "$OUT"; echo "wrote $OUT" >&2; fi

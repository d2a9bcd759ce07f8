#!/usr/bin/env bash
# UDP ingestion harness: a C sendmmsg blaster against a bare C recvmmsg receiver on loopback,
# first as fast as the blaster can send, then at half the rate the receiver took.
# With --target, the same blaster is also run against `abacus gateway`'s UDP listener (in
# memory and durable), each right after a bare-receiver run that sets its bar.
#
#   Benchmarks/udp/run.sh [options]
#   Benchmarks/udp/run.sh --target abacus [--storage memory|durable|both] [options]
#
# See Benchmarks/udp/README.md for what is measured and how to read the table.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

usage() {
  cat <<'EOF'
usage: run.sh [options]

options (defaults in brackets)
  --duration SECONDS     length of each blaster run [10]
  --batch N              datagrams per sendmmsg / recvmmsg call [64]
  --series N             distinct "series" label values [1000]
  --rcvbuf BYTES         SO_RCVBUF the receiver asks for [8388608]
  --force-rcvbuf         use SO_RCVBUFFORCE (root/CAP_NET_ADMIN; ignores net.core.rmem_max)
  --half-rate R          rate of the second run in datagrams/s [half the first run's receive rate]
  --pin                  pin the blaster to CPU 0 and the receiver to CPU 1 (taskset)
  --max-load L           wait while the 1-minute load average is above L [1.5]
  --load-wait SECONDS    wait at most this long for the load to drop, then run anyway [600]
  --format F             message format of the blaster: jobs (with help, 116-122 B) or bench [jobs]
  --out FILE             also write the Markdown table to FILE
  --target abacus|CMD    also measure a gateway: `abacus` starts the release build
                         (--abacus-bin) with --ops.udp-listen-address and --storage.path; CMD is
                         any command line in which {port} (UDP) and {web_port} (HTTP, serving
                         /metrics with abacus_ingest_messages_total) are replaced
  --storage S            with --target abacus: memory, durable or both [both]
  --rounds N             with --target: repeat (bare receiver, gateway full, gateway half) N
                         times per storage, a fresh gateway each time [1]
  --abacus-bin PATH      [.build-rel/release/abacus, else .build/release/abacus, of the repository]
  --gateway-args ARGS    extra arguments for `abacus gateway` (word-split)
  -h, --help
EOF
}

die() { echo "run.sh: $*" >&2; exit 1; }

DURATION=10 BATCH=64 SERIES=1000 RCVBUF=8388608 FORCE=0 HALF_RATE="" PIN=0 MAX_LOAD=1.5
LOAD_WAIT=600 OUT="" TARGET_CMD="" STORAGE=both ROUNDS=1 FORMAT=jobs ABACUS_BIN="" GATEWAY_ARGS=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --duration) DURATION=$2; shift 2 ;;
    --batch) BATCH=$2; shift 2 ;;
    --series) SERIES=$2; shift 2 ;;
    --rcvbuf) RCVBUF=$2; shift 2 ;;
    --force-rcvbuf) FORCE=1; shift ;;
    --half-rate) HALF_RATE=$2; shift 2 ;;
    --pin) PIN=1; shift ;;
    --max-load) MAX_LOAD=$2; shift 2 ;;
    --load-wait) LOAD_WAIT=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --target) TARGET_CMD=$2; shift 2 ;;
    --storage) STORAGE=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --format) FORMAT=$2; shift 2 ;;
    --abacus-bin) ABACUS_BIN=$2; shift 2 ;;
    --gateway-args) GATEWAY_ARGS=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done
for v in DURATION BATCH SERIES RCVBUF LOAD_WAIT ROUNDS; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a non-negative integer, got '${!v}'"
done
[[ -z $HALF_RATE || $HALF_RATE =~ ^[0-9]+$ ]] || die "--half-rate must be an integer"
[[ $MAX_LOAD =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--max-load must be a number"
(( DURATION >= 1 && DURATION <= 600 )) || die "--duration must be 1..600"
(( BATCH >= 1 && BATCH <= 1024 )) || die "--batch must be 1..1024"
(( ROUNDS >= 1 && ROUNDS <= 20 )) || die "--rounds must be 1..20"
[[ $FORMAT == jobs || $FORMAT == bench ]] || die "--format must be jobs or bench"
STORAGES=()
if [[ -n $TARGET_CMD ]]; then
  if [[ $TARGET_CMD == abacus ]]; then
    case $STORAGE in
      memory|durable) STORAGES=("$STORAGE") ;;
      both) STORAGES=(memory durable) ;;
      *) die "--storage must be memory, durable or both" ;;
    esac
    if [[ -z $ABACUS_BIN ]]; then
      ROOT=$(cd "$HERE/../.." && pwd)
      for b in "$ROOT/.build-rel/release/abacus" "$ROOT/.build/release/abacus"; do
        [[ -x $b ]] && { ABACUS_BIN=$b; break; }
      done
    fi
    [[ -n $ABACUS_BIN && -x $ABACUS_BIN ]] \
      || die "no abacus binary: swift build -c release --product abacus --scratch-path .build-rel (or --abacus-bin)"
  else
    [[ $TARGET_CMD == *"{port}"* && $TARGET_CMD == *"{web_port}"* ]] \
      || die "--target CMD must contain {port} and {web_port}"
    STORAGES=(custom)
  fi
  command -v curl >/dev/null || die "curl not found"
  # The gateway asks with SO_RCVBUFFORCE first, which as root gets past net.core.rmem_max: give
  # the bare receiver the same buffer, or the bar is set with a smaller one.
  if [[ $(id -u) == 0 ]] && (( ! FORCE )); then
    FORCE=1
    echo "running as root: the gateway will get SO_RCVBUFFORCE, so the bare receiver uses -F too" >&2
  fi
fi
command -v gcc >/dev/null || die "gcc not found (apt-get install -y gcc)"
PY=$(command -v python3 || true)
[[ -n $PY ]] || die "python3 not found (used to pick a free port)"
if (( PIN )); then
  command -v taskset >/dev/null || die "--pin needs taskset (util-linux)"
  (( $(nproc) >= 2 )) || die "--pin needs 2 CPUs"
fi

# ---------------------------------------------------------------- cleanup
TMP=$(mktemp -d -t udp-bench.XXXXXX)
RECV_PID="" BLAST_PID="" GW_PID=""
stop_pid() {  # $1 = pid; TERM, then KILL after 2 s
  local pid=$1
  [[ -n $pid ]] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local rc=$?
  stop_pid "$BLAST_PID"; BLAST_PID=""
  stop_pid "$RECV_PID"; RECV_PID=""
  stop_pid "$GW_PID"; GW_PID=""
  rm -rf "$TMP"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- build
gcc -O2 -Wall -o "$TMP/blaster" "$HERE/blaster.c"
gcc -O2 -Wall -o "$TMP/receiver" "$HERE/receiver.c"

# ---------------------------------------------------------------- helpers
free_udp_port() {
  "$PY" -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
load1() { cut -d' ' -f1 /proc/loadavg; }
cpu_noise() {  # processes other than ours using > 5% CPU over the last 0.5 s, for the record
  top -b -n 2 -d 0.5 -w 200 2>/dev/null | awk -v me="${GW_PID:-0}" '
    /^top -/ { f++ }
    f == 2 && $1 ~ /^[0-9]+$/ && $1 != me && $9 + 0 > 5 && $12 !~ /^(blaster|receiver|top)$/ {
      printf "%s%s %s%%", sep, $12, $9; sep = ", "; if (++n == 3) exit }
    END { if (n == 0) printf "no other process > 5%% CPU" }' || true
}
softnet_drops() {  # sum over CPUs of the 2nd column (backlog queue full: netdev_max_backlog)
  local s=0 _p d _rest
  while read -r _p d _rest; do s=$((s + 16#$d)); done </proc/net/softnet_stat
  echo "$s"
}
udp_snmp() {  # $1 = field name in the Udp: lines of /proc/net/snmp
  awk -v f="$1" '$1 == "Udp:" { if (!h) { for (i = 2; i <= NF; i++) if ($i == f) c = i; h = 1 } else print $c + 0 }' /proc/net/snmp
}
field() {  # $1 = key, $2 = "k=v k=v ..." line
  sed -nE "s/.*(^| )$1=([^ /]*).*/\2/p" <<<"$2"
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

declare -A R
run_phase() {  # $1 = label, $2 = rate (0 = as fast as possible)
  local label=$1 rate=$2 port attempt ok=0 rpin=() bpin=()
  if (( PIN )); then rpin=(taskset -c 1); bpin=(taskset -c 0); fi
  wait_for_load
  R[${label}_noise]="load $(loadavg); $(cpu_noise)"
  for attempt in 1 2 3; do  # the port can be taken between probe and bind: retry
    port=$(free_udp_port)
    : >"$TMP/recv-$label.err"
    "${rpin[@]}" "$TMP/receiver" -p "$port" -d $((DURATION + 20)) -i 1 -b "$BATCH" -B "$RCVBUF" \
      $( ((FORCE)) && echo -F) >"$TMP/recv-$label.out" 2>"$TMP/recv-$label.err" &
    RECV_PID=$!
    for _ in $(seq 1 50); do
      grep -q '^listening' "$TMP/recv-$label.err" && { ok=1; break; }
      kill -0 "$RECV_PID" 2>/dev/null || break
      sleep 0.1
    done
    (( ok )) && break
    stop_pid "$RECV_PID"; RECV_PID=""
  done
  (( ok )) || { cat "$TMP/recv-$label.err" >&2; die "receiver did not start"; }

  local sd0 rb0 ie0 sd1 rb1 ie1
  sd0=$(softnet_drops); rb0=$(udp_snmp RcvbufErrors); ie0=$(udp_snmp InErrors)
  echo "[$label] blaster -r $rate -d $DURATION -> 127.0.0.1:$port ($(loadavg)) ..." >&2
  "${bpin[@]}" timeout --kill-after=5 $((DURATION + 10)) \
    "$TMP/blaster" -p "$port" -d "$DURATION" -r "$rate" -b "$BATCH" -s "$SERIES" -f "$FORMAT" \
    >"$TMP/blast-$label.out" 2>"$TMP/blast-$label.err" &
  BLAST_PID=$!
  wait "$BLAST_PID" || { cat "$TMP/blast-$label.err" >&2; die "blaster failed"; }
  BLAST_PID=""
  # The receiver stops 1 s after the last datagram (its -d bounds it in any case).
  wait "$RECV_PID" || { cat "$TMP/recv-$label.err" >&2; die "receiver failed"; }
  RECV_PID=""
  sd1=$(softnet_drops); rb1=$(udp_snmp RcvbufErrors); ie1=$(udp_snmp InErrors)

  local b r
  b=$(tail -1 "$TMP/blast-$label.out"); r=$(tail -1 "$TMP/recv-$label.out")
  echo "  $b" >&2; echo "  $r" >&2
  for k in sent seconds rate avg_len errors cpu_user cpu_sys; do R[${label}_b_$k]=$(field "$k" "$b"); done
  for k in received seconds rate rcvbuf drops rxq_ovfl drops_source cpu_user cpu_sys; do R[${label}_r_$k]=$(field "$k" "$r"); done
  R[${label}_target]=$rate
  R[${label}_backlog_drops]=$((sd1 - sd0))
  R[${label}_rcvbuf_errors]=$((rb1 - rb0))
  R[${label}_in_errors]=$((ie1 - ie0))
}

# ---------------------------------------------------------------- gateway (--target)
free_tcp_port() {
  "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
scrape() {  # $1 = file; the gateway's /metrics
  curl -fsS --max-time 10 -o "$1" "http://127.0.0.1:$GW_WEB/metrics"
}
msum() {  # $1 = file, $2 = metric name, $3.. = label pairs that must appear ('op="inc"'); sum of values
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
proc_cpu_ticks() {  # $1 = stat file: utime + stime
  awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "$1" 2>/dev/null || echo 0
}
thread_ticks() {  # "tid ticks comm" for every thread of the gateway
  local t
  for t in /proc/"$GW_PID"/task/*; do
    echo "${t##*/} $(proc_cpu_ticks "$t/stat") $(tr ' ' _ <"$t/comm" 2>/dev/null)"
  done
}
busiest_threads() {  # $1, $2 = thread_ticks files before and after, $3 = seconds: the top 3 threads
  awk -v hz="$(getconf CLK_TCK)" -v s="$3" '
    NR == FNR { before[$1] = $2; next }
    { d = $2 - before[$1]; if (d > 0) printf "%d %s\n", d, $3 }' "$1" "$2" \
    | sort -rn | head -3 \
    | awk -v hz="$(getconf CLK_TCK)" -v s="$3" '{ printf "%s%s %.0f%%", sep, $2, 100 * $1 / hz / s; sep = ", " }'
}
start_gateway() {  # $1 = storage (memory, durable, custom), $2 = result key; fresh process and database
  local st=$1 key=$2 attempt cmd storage
  stop_pid "$GW_PID"; GW_PID=""
  rm -f "$TMP"/gw.sqlite*
  for attempt in 1 2 3; do
    GW_UDP=$(free_udp_port); GW_WEB=$(free_tcp_port)
    if [[ $st == custom ]]; then
      cmd=${TARGET_CMD//\{port\}/$GW_UDP}; cmd=${cmd//\{web_port\}/$GW_WEB}
      bash -c "exec $cmd" >>"$TMP/gateway.log" 2>&1 &
    else
      storage=":memory:"; [[ $st == durable ]] && storage="$TMP/gw.sqlite"
      # shellcheck disable=SC2086
      "$ABACUS_BIN" gateway --web.listen-address="127.0.0.1:$GW_WEB" \
        --ops.udp-listen-address="127.0.0.1:$GW_UDP" --ops.udp-receive-buffer="$RCVBUF" \
        --storage.path="$storage" --log.level=warn $GATEWAY_ARGS >>"$TMP/gateway.log" 2>&1 &
    fi
    GW_PID=$!
    for _ in $(seq 1 100); do
      if curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:$GW_WEB/metrics" 2>/dev/null \
         && ss -Hunl "sport = :$GW_UDP" 2>/dev/null | grep -q .; then
        R[${key}_gw_rcvbuf]=$(ss -Huml "sport = :$GW_UDP" 2>/dev/null | grep -o 'rb[0-9]*' | head -1 | tr -d rb)
        echo "gateway ($st): pid $GW_PID, UDP 127.0.0.1:$GW_UDP, HTTP 127.0.0.1:$GW_WEB, rcvbuf ${R[${key}_gw_rcvbuf]:-?}" >&2
        return 0
      fi
      kill -0 "$GW_PID" 2>/dev/null || break
      sleep 0.2
    done
    stop_pid "$GW_PID"; GW_PID=""
  done
  cat "$TMP/gateway.log" >&2 || true
  die "the gateway did not start"
}
run_target_phase() {  # $1 = label, $2 = rate (0 = max), $3 = storage
  local label=$1 rate=$2 st=$3 applied0 rej0 drop0 applied1 rej1 drop1 c0 c1 prev n t_end
  # No wait_for_load here: the bare run just before waited, and our own runs keep the 1-minute
  # load average up for a while; other processes are recorded below.
  R[${label}_noise]="load $(loadavg); $(cpu_noise)"
  scrape "$TMP/m0.txt" || die "cannot scrape the gateway"
  applied0=$(msum "$TMP/m0.txt" abacus_ingest_messages_total 'transport="udp"')
  rej0=$(msum "$TMP/m0.txt" abacus_ingest_rejected_total 'transport="udp"')
  drop0=$(msum "$TMP/m0.txt" abacus_ingest_udp_receive_buffer_drops_total)
  thread_ticks >"$TMP/threads0.txt"
  c0=$(proc_cpu_ticks "/proc/$GW_PID/stat")
  echo "[$label] blaster -r $rate -d $DURATION -> gateway 127.0.0.1:$GW_UDP ($(loadavg)) ..." >&2
  timeout --kill-after=5 $((DURATION + 10)) \
    "$TMP/blaster" -p "$GW_UDP" -d "$DURATION" -r "$rate" -b "$BATCH" -s "$SERIES" -f "$FORMAT" \
    >"$TMP/blast-$label.out" 2>"$TMP/blast-$label.err" || { cat "$TMP/blast-$label.err" >&2; die "blaster failed"; }
  t_end=$(date +%s.%N)
  # Wait until the applied count stops moving (queued datagrams are still being applied).
  prev=-1
  for n in $(seq 1 75); do
    sleep 0.2
    scrape "$TMP/m1.txt" || die "cannot scrape the gateway"
    applied1=$(msum "$TMP/m1.txt" abacus_ingest_messages_total 'transport="udp"')
    [[ $applied1 == "$prev" ]] && break
    prev=$applied1
  done
  c1=$(proc_cpu_ticks "/proc/$GW_PID/stat")
  thread_ticks >"$TMP/threads1.txt"
  rej1=$(msum "$TMP/m1.txt" abacus_ingest_rejected_total 'transport="udp"')
  drop1=$(msum "$TMP/m1.txt" abacus_ingest_udp_receive_buffer_drops_total)
  local b; b=$(tail -1 "$TMP/blast-$label.out"); echo "  $b" >&2
  for k in sent seconds rate avg_len errors cpu_user cpu_sys; do R[${label}_b_$k]=$(field "$k" "$b"); done
  R[${label}_target]=$rate
  R[${label}_applied]=$((applied1 - applied0))
  R[${label}_rejected]=$((rej1 - rej0))
  R[${label}_drops]=$((drop1 - drop0))
  R[${label}_settle]=$(awk -v a="$t_end" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a - 0.4 }')
  R[${label}_applied_rate]=$(awk -v a="${R[${label}_applied]}" -v s="${R[${label}_b_seconds]}" 'BEGIN { printf "%d", a / s }')
  local hz; hz=$(getconf CLK_TCK)
  R[${label}_cpu]=$(awk -v d=$((c1 - c0)) -v hz="$hz" -v s="${R[${label}_b_seconds]}" 'BEGIN { printf "%.0f%%", 100 * d / hz / s }')
  R[${label}_udp_cpu]=$(busiest_threads "$TMP/threads0.txt" "$TMP/threads1.txt" "${R[${label}_b_seconds]}")
  echo "  applied=${R[${label}_applied]} (${R[${label}_applied_rate]}/s) rejected=${R[${label}_rejected]} drops=${R[${label}_drops]} gateway CPU ${R[${label}_cpu]} (busiest threads: ${R[${label}_udp_cpu]}), settled ${R[${label}_settle]} s after the blaster" >&2
}

pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", 100 * a / b; else printf "n/a" }'; }
cpu() { awk -v u="$1" -v s="$2" -v t="$3" 'BEGIN { if (t > 0) printf "%.0f%% (%.0f%% sys)", 100 * (u + s) / t, 100 * s / t; else printf "n/a" }'; }

# ---------------------------------------------------------------- runs
echo "udp bench: $(nproc) cores, $(uname -r); rmem_max $(cat /proc/sys/net/core/rmem_max)," \
     "rmem_default $(cat /proc/sys/net/core/rmem_default), netdev_max_backlog $(cat /proc/sys/net/core/netdev_max_backlog)" >&2
if [[ -z $TARGET_CMD ]]; then
  run_phase full 0
  if [[ -z $HALF_RATE ]]; then
    HALF_RATE=$(awk -v r="${R[full_r_rate]}" 'BEGIN { printf "%d", r / 2 }')
  fi
  (( HALF_RATE > 0 )) || die "the first run received nothing; no half rate"
  run_phase half "$HALF_RATE"
else
  # Per storage: the bare receiver at full speed (the bar), then a fresh gateway at full
  # speed, then the same gateway at half the bare receiver's rate.
  KEYS=()
  for ((round = 1; round <= ROUNDS; round++)); do
    for st in "${STORAGES[@]}"; do
      rk=${st}_$round; KEYS+=("$rk"); R[${rk}_storage]=$st; R[${rk}_round]=$round
      run_phase "bare_$rk" 0
      hr=$HALF_RATE
      [[ -n $hr ]] || hr=$(awk -v r="${R[bare_${rk}_r_rate]}" 'BEGIN { printf "%d", r / 2 }')
      (( hr > 0 )) || die "the bare receiver received nothing; no half rate"
      R[${rk}_half_rate]=$hr
      start_gateway "$st" "$rk"
      run_target_phase "gw_${rk}_full" 0 "$st"
      run_target_phase "gw_${rk}_half" "$hr" "$st"
      scrape "$TMP/end-$rk.txt" || die "cannot scrape the gateway"
      metric=jobs_total; [[ $FORMAT == bench ]] && metric=abacus_udp_bench_requests_total
      R[${rk}_series_sum]=$(msum "$TMP/end-$rk.txt" "$metric")
      R[${rk}_series_count]=$(grep -c "^$metric{" "$TMP/end-$rk.txt" || true)
      R[${rk}_rss]=$(awk '/^VmHWM:/ {print $2}' "/proc/$GW_PID/status" 2>/dev/null || echo "?")
      stop_pid "$GW_PID"; GW_PID=""
    done
  done
fi

# ---------------------------------------------------------------- table
if [[ -z $TARGET_CMD ]]; then
{
  echo "### bare recvmmsg receiver — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Command: \`Benchmarks/udp/run.sh$( ((DURATION != 10)) && echo " --duration $DURATION")$( ((BATCH != 64)) && echo " --batch $BATCH")$( ((RCVBUF != 8388608)) && echo " --rcvbuf $RCVBUF")$( ((FORCE)) && echo " --force-rcvbuf")$( ((PIN)) && echo " --pin")\`;" \
       "$(nproc) cores, kernel $(uname -r); batch $BATCH, ${R[full_b_avg_len]}-byte datagrams, $SERIES series;" \
       "net.core.rmem_max $(cat /proc/sys/net/core/rmem_max), rmem_default $(cat /proc/sys/net/core/rmem_default), netdev_max_backlog $(cat /proc/sys/net/core/netdev_max_backlog)."
  echo
  echo "| run | target rate | sent | sent/s | received | received/s | lost | socket drops | backlog drops | rcvbuf (granted) | blaster CPU | receiver CPU | load / busy others |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  for label in full half; do
    sent=${R[${label}_b_sent]} recv=${R[${label}_r_received]}
    lost=$((sent - recv))
    target=${R[${label}_target]}; [[ $target == 0 ]] && target="max"
    echo "| $label | $target | $sent | **${R[${label}_b_rate]}** | $recv | **${R[${label}_r_rate]}** | $lost ($(pct "$lost" "$sent") %) | ${R[${label}_r_drops]} (${R[${label}_r_drops_source]}; SO_RXQ_OVFL ${R[${label}_r_rxq_ovfl]}; RcvbufErrors +${R[${label}_rcvbuf_errors]}) | ${R[${label}_backlog_drops]} | ${R[${label}_r_rcvbuf]} | $(cpu "${R[${label}_b_cpu_user]}" "${R[${label}_b_cpu_sys]}" "${R[${label}_b_seconds]}") | $(cpu "${R[${label}_r_cpu_user]}" "${R[${label}_r_cpu_sys]}" "${R[${label}_r_seconds]}") | ${R[${label}_noise]} |"
  done
  echo
  echo "Received/sent at full speed: $(pct "${R[full_r_received]}" "${R[full_b_sent]}") %; the goal's 90 % bar for the gateway is $(awk -v r="${R[full_r_rate]}" 'BEGIN { printf "%d", 0.9 * r }') datagrams/s (90 % of the bare receiver's ${R[full_r_rate]}/s), lossless at $HALF_RATE/s."
} >"$TMP/table.md"
else
{
  echo "### gateway UDP listener vs bare recvmmsg receiver — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Command: \`Benchmarks/udp/run.sh --target $( [[ $TARGET_CMD == abacus ]] && echo abacus || echo "'$TARGET_CMD'")$( [[ $STORAGE != both ]] && echo " --storage $STORAGE")$( ((ROUNDS != 1)) && echo " --rounds $ROUNDS")$( ((DURATION != 10)) && echo " --duration $DURATION")$( ((BATCH != 64)) && echo " --batch $BATCH")$( ((RCVBUF != 8388608)) && echo " --rcvbuf $RCVBUF")$( ((FORCE)) && echo " --force-rcvbuf")$( ((PIN)) && echo " --pin")$( [[ $FORMAT != jobs ]] && echo " --format $FORMAT")$( [[ -n $GATEWAY_ARGS ]] && echo " --gateway-args '$GATEWAY_ARGS'")\`;" \
       "$(nproc) cores, kernel $(uname -r); batch $BATCH, ${R[bare_${KEYS[0]}_b_avg_len]}-byte datagrams ($FORMAT), $SERIES series, ${DURATION} s per run;" \
       "net.core.rmem_max $(cat /proc/sys/net/core/rmem_max)$( [[ $TARGET_CMD == abacus ]] && echo "; $ABACUS_BIN")."
  echo
  echo "| storage | round | bare receiver: received/s | gateway: sent/s | applied | **applied/s** | applied / bare | lost (socket drops) | rejected | gateway CPU (busiest threads) | blaster CPU | half rate: sent | applied | lost | load / busy others |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  for rk in "${KEYS[@]}"; do
    f=gw_${rk}_full h=gw_${rk}_half
    lf=$(( ${R[${f}_b_sent]} - ${R[${f}_applied]} - ${R[${f}_rejected]} ))
    lh=$(( ${R[${h}_b_sent]} - ${R[${h}_applied]} - ${R[${h}_rejected]} ))
    ratio=$(pct "${R[${f}_applied_rate]}" "${R[bare_${rk}_r_rate]}")
    R[${rk}_ratio]=$ratio
    okf=$(awk -v r="$ratio" 'BEGIN { print (r >= 90) ? "✅" : "❌" }')
    okh=$( (( lh == 0 && ${R[${h}_rejected]} == 0 )) && echo "✅" || echo "❌")
    echo "| ${R[${rk}_storage]} | ${R[${rk}_round]} | ${R[bare_${rk}_r_rate]} | ${R[${f}_b_rate]} | ${R[${f}_applied]} of ${R[${f}_b_sent]} | **${R[${f}_applied_rate]}** | **${ratio} %** $okf | $lf ($(pct "$lf" "${R[${f}_b_sent]}") %; ${R[${f}_drops]}) | ${R[${f}_rejected]} | ${R[${f}_cpu]} (${R[${f}_udp_cpu]}) | $(cpu "${R[${f}_b_cpu_user]}" "${R[${f}_b_cpu_sys]}" "${R[${f}_b_seconds]}") | ${R[${h}_b_sent]} at ${R[${rk}_half_rate]}/s (${R[${h}_b_rate]}) | ${R[${h}_applied]} | **$lh** ($(pct "$lh" "${R[${h}_b_sent]}") %; drops ${R[${h}_drops]}) $okh | ${R[${f}_noise]} |"
  done
  echo
  for rk in "${KEYS[@]}"; do
    echo "- ${R[${rk}_storage]} (round ${R[${rk}_round]}): bare receiver ${R[bare_${rk}_r_received]} of ${R[bare_${rk}_b_sent]} sent ($(pct "${R[bare_${rk}_r_received]}" "${R[bare_${rk}_b_sent]}") %, rcvbuf ${R[bare_${rk}_r_rcvbuf]}, CPU $(cpu "${R[bare_${rk}_r_cpu_user]}" "${R[bare_${rk}_r_cpu_sys]}" "${R[bare_${rk}_r_seconds]}"), blaster CPU $(cpu "${R[bare_${rk}_b_cpu_user]}" "${R[bare_${rk}_b_cpu_sys]}" "${R[bare_${rk}_b_seconds]}"); ${R[bare_${rk}_noise]}); gateway rcvbuf ${R[${rk}_gw_rcvbuf]:-?}; after both runs the ${R[${rk}_series_count]} series sum to ${R[${rk}_series_sum]} (applied: $(( ${R[gw_${rk}_full_applied]} + ${R[gw_${rk}_half_applied]} ))); settled ${R[gw_${rk}_full_settle]} s / ${R[gw_${rk}_half_settle]} s after the blaster stopped; peak RSS ${R[${rk}_rss]} KiB; half-rate gateway CPU ${R[gw_${rk}_half_cpu]} (${R[gw_${rk}_half_udp_cpu]})."
  done
  if (( ROUNDS > 1 )); then
    for st in "${STORAGES[@]}"; do
      echo "- $st: applied / bare, median of $ROUNDS rounds: **$(for rk in "${KEYS[@]}"; do [[ ${R[${rk}_storage]} == "$st" ]] && echo "${R[${rk}_ratio]}"; done | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}') %**"
    done
  fi
  echo
  echo "Goal: applied/s ≥ 90 % of the bare receiver's received/s in the same run, and nothing lost at half that rate."
} >"$TMP/table.md"
fi

cat "$TMP/table.md"
if [[ -n $OUT ]]; then cp "$TMP/table.md" "$OUT"; echo "wrote $OUT" >&2; fi

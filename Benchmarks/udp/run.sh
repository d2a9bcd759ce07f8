#!/usr/bin/env bash
# UDP ingestion harness: a C sendmmsg blaster against a bare C recvmmsg receiver on loopback,
# first as fast as the blaster can send, then at half the rate the receiver took.
# Later, --target CMD will run the same two phases against our gateway's UDP listener.
#
#   Benchmarks/udp/run.sh [options]
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
  --out FILE             also write the Markdown table to FILE
  --target CMD           (placeholder) measure CMD, our gateway's UDP listener, instead of the
                         bare receiver; not implemented yet
  -h, --help
EOF
}

die() { echo "run.sh: $*" >&2; exit 1; }

DURATION=10 BATCH=64 SERIES=1000 RCVBUF=8388608 FORCE=0 HALF_RATE="" PIN=0 MAX_LOAD=1.5
LOAD_WAIT=600 OUT="" TARGET_CMD=""
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
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done
for v in DURATION BATCH SERIES RCVBUF LOAD_WAIT; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a non-negative integer, got '${!v}'"
done
[[ -z $HALF_RATE || $HALF_RATE =~ ^[0-9]+$ ]] || die "--half-rate must be an integer"
[[ $MAX_LOAD =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--max-load must be a number"
(( DURATION >= 1 && DURATION <= 600 )) || die "--duration must be 1..600"
(( BATCH >= 1 && BATCH <= 1024 )) || die "--batch must be 1..1024"
if [[ -n $TARGET_CMD ]]; then
  # Placeholder. The plan: start CMD with {port} replaced by the free UDP port, run the same two
  # phases right after the bare receiver's (same blaster, same run), and read how much the
  # gateway applied from the sum of abacus_udp_bench_requests_total on its /metrics.
  echo "run.sh: --target is not implemented yet (no UDP listener in the gateway); only the bare receiver is measured" >&2
  exit 69
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
RECV_PID="" BLAST_PID=""
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
  top -b -n 2 -d 0.5 -w 200 2>/dev/null | awk '
    /^top -/ { f++ }
    f == 2 && $1 ~ /^[0-9]+$/ && $9 + 0 > 5 && $12 !~ /^(blaster|receiver|top)$/ {
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
    "$TMP/blaster" -p "$port" -d "$DURATION" -r "$rate" -b "$BATCH" -s "$SERIES" \
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

pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", 100 * a / b; else printf "n/a" }'; }
cpu() { awk -v u="$1" -v s="$2" -v t="$3" 'BEGIN { if (t > 0) printf "%.0f%% (%.0f%% sys)", 100 * (u + s) / t, 100 * s / t; else printf "n/a" }'; }

# ---------------------------------------------------------------- runs
echo "udp bench: $(nproc) cores, $(uname -r); rmem_max $(cat /proc/sys/net/core/rmem_max)," \
     "rmem_default $(cat /proc/sys/net/core/rmem_default), netdev_max_backlog $(cat /proc/sys/net/core/netdev_max_backlog)" >&2
run_phase full 0
if [[ -z $HALF_RATE ]]; then
  HALF_RATE=$(awk -v r="${R[full_r_rate]}" 'BEGIN { printf "%d", r / 2 }')
fi
(( HALF_RATE > 0 )) || die "the first run received nothing; no half rate"
run_phase half "$HALF_RATE"

# ---------------------------------------------------------------- table
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

cat "$TMP/table.md"
if [[ -n $OUT ]]; then cp "$TMP/table.md" "$OUT"; echo "wrote $OUT" >&2; fi

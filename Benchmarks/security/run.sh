#!/usr/bin/env bash
# What security costs the gateway: the same wrk push load (Benchmarks/gateway/put.lua, the
# 100-series body) against our release build over plain HTTP, plain HTTP with basic auth,
# HTTPS, and HTTPS with basic auth; requests/s, latency, and the gateway's CPU per push (from
# /proc/PID/stat). Certificates are made with openssl, the bcrypt hash (cost 10, as the
# exporter-toolkit documentation's) with `abacus hash-password`.
#
#   Benchmarks/security/run.sh [--duration 20] [--connections 16] [--threads 2]
#                              [--storage memory|durable] [--rounds 2] [--out FILE]
#
# Every mode runs --rounds times, alternating, each on a fresh gateway; the table gives the
# best round of each (the machine's other load only ever slows a round down).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ABACUS_BIN="$HERE/../../.build/release/abacus"
[[ -x $ABACUS_BIN ]] || ABACUS_BIN="$HERE/../../.build-release/release/abacus"
DURATION=20 CONNS=16 THREADS=2 STORAGE=memory ROUNDS=2 OUT="" KEYS=100
while [[ $# -gt 0 ]]; do
  case "$1" in
    --duration) DURATION=$2; shift 2 ;;
    --connections) CONNS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --storage) STORAGE=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --abacus-bin) ABACUS_BIN=$2; shift 2 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 64 ;;
  esac
done
for tool in wrk openssl python3 curl; do command -v $tool >/dev/null || { echo "run.sh: $tool is needed" >&2; exit 1; }; done
[[ -x $ABACUS_BIN ]] || { echo "run.sh: build it first: swift build -c release --product abacus" >&2; exit 1; }

TMP=$(mktemp -d /tmp/abacus-security-bench.XXXXXX)
PID=""
cleanup() { [[ -n $PID ]] && kill "$PID" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT

python3 "$HERE/../gateway/bodies.py" bench >"$TMP/bench.txt"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$TMP/server.key" \
  -out "$TMP/server.crt" -days 2 -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
HASH=$(printf 'bench-password\n' | "$ABACUS_BIN" hash-password --cost 10)
AUTH="Basic $(printf 'bench:bench-password' | base64)"
printf 'basic_auth_users:\n  bench: %s\n' "$HASH" >"$TMP/auth.yml"
printf 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n' >"$TMP/tls.yml"
printf 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\nbasic_auth_users:\n  bench: %s\n' "$HASH" \
  >"$TMP/tls-auth.yml"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

start() {  # $1: web config file or "" ; sets PID, URL
  local storage=":memory:" config=() scheme=http
  [[ $STORAGE == durable ]] && { rm -f "$TMP"/db.sqlite*; storage="$TMP/db.sqlite"; }
  [[ -n $1 ]] && config=(--web.config.file="$TMP/$1")
  [[ $1 == tls* ]] && scheme=https
  : >"$TMP/server.log"
  "$ABACUS_BIN" gateway --web.listen-address=127.0.0.1:0 --storage.path="$storage" "${config[@]}" \
    --log.level=info >"$TMP/server.log" 2>&1 &
  PID=$!
  local port=""
  for _ in $(seq 1 600); do
    port=$(grep -o 'msg=listening address=127.0.0.1:[0-9]*' "$TMP/server.log" | head -1 | sed 's/.*://') || true
    [[ -n $port ]] && break
    sleep 0.1
  done
  [[ -n $port ]] || { cat "$TMP/server.log" >&2; echo "run.sh: the gateway did not start" >&2; exit 1; }
  URL="$scheme://127.0.0.1:$port"
}

stop() { kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""; }

declare -A BEST_RPS BEST_LINE
measure() {  # $1 mode name, $2 web config, $3 Authorization header
  start "$2"
  # One push first: connections, TLS and bcrypt (once: then cached) out of the measurement.
  curl -sk -o /dev/null -X PUT -H "Authorization: $3" --data-binary @"$TMP/bench.txt" "$URL/metrics/job/warm"
  local before after out rps p50 p99 requests errors cpu_us
  before=$(cpu_ticks "$PID")
  out=$(BENCH_BODY="$TMP/bench.txt" BENCH_KEYS=$KEYS BENCH_THREADS=$THREADS BENCH_AUTH="$3" \
    wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --timeout 60s -s "$HERE/../gateway/put.lua" "$URL/")
  after=$(cpu_ticks "$PID")
  stop
  rps=$(awk '/^RESULT rps/ {print $3}' <<<"$out")
  p50=$(awk '/^RESULT p50_us/ {printf "%.2f", $3/1000}' <<<"$out")
  p99=$(awk '/^RESULT p99_us/ {printf "%.2f", $3/1000}' <<<"$out")
  requests=$(awk '/^RESULT requests/ {print $3}' <<<"$out")
  errors=$(awk '/^RESULT err_/ {s += $3} END {print s + 0}' <<<"$out")
  cpu_us=$(awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v n="$requests" 'BEGIN {printf "%.0f", t / hz * 1e6 / n}')
  echo "$1: $rps req/s, p50 $p50 ms, p99 $p99 ms, $requests requests, $errors errors, $cpu_us µs CPU/push" >&2
  if [[ -z ${BEST_RPS[$1]:-} ]] || awk -v a="$rps" -v b="${BEST_RPS[$1]}" 'BEGIN {exit !(a > b)}'; then
    BEST_RPS[$1]=$rps
    BEST_LINE[$1]="| $1 | $rps | $p50 | $p99 | $cpu_us | $requests | $errors |"
  fi
}

MODES=("http" "http + basic auth" "https" "https + basic auth")
CONFIGS=("" "auth.yml" "tls.yml" "tls-auth.yml")
AUTHS=("" "$AUTH" "" "$AUTH")
for round in $(seq 1 "$ROUNDS"); do
  for i in 0 1 2 3; do measure "${MODES[$i]}" "${CONFIGS[$i]}" "${AUTHS[$i]}"; done
done

table="| mode | req/s | p50 ms | p99 ms | gateway CPU µs per push | requests | errors |
|---|---|---|---|---|---|---|"
for mode in "${MODES[@]}"; do table+=$'\n'"${BEST_LINE[$mode]}"; done
ratio() { awk -v a="${BEST_RPS[$1]}" -v b="${BEST_RPS[$2]}" 'BEGIN {printf "%.0f%%", 100 * a / b}'; }
table+=$'\n\n'"HTTPS + basic auth / plain HTTP: $(ratio "https + basic auth" http) of the rate; "
table+="HTTPS / HTTP: $(ratio https http); basic auth / none over HTTP: $(ratio "http + basic auth" http)."
echo "$table"
[[ -n $OUT ]] && echo "$table" >"$OUT"
exit 0

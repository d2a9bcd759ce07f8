#!/usr/bin/env python3
"""Pre-populate a Pushgateway-compatible server with N groups of 10 series, bounded in time.

    populate.py --url http://127.0.0.1:PORT --groups 100000 --limit 600 --concurrency 4

PUTs bodies.group_body() to PREFIX/metrics/job/JOB/instance/p<i>, i = 0 .. groups-1, over
keep-alive connections from `concurrency` threads. Stops issuing new pushes when `limit`
seconds have passed (pushes already sent are waited for, each bounded by --timeout) and
reports how far it got. Progress every --progress seconds on stderr; the last stdout line is
JSON: {"requested", "acked", "failed", "seconds", "rate", "final_p50_s", "progress": [...]}.
Python 3 standard library only; talks to 127.0.0.1 only.
"""
import argparse
import http.client
import json
import os
import statistics
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bodies import group_body  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--groups", type=int, required=True)
    ap.add_argument("--limit", type=float, default=600.0, help="seconds; stop issuing pushes after this")
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per request")
    ap.add_argument("--job", default="populate")
    ap.add_argument("--progress", type=float, default=15.0)
    args = ap.parse_args()

    u = urllib.parse.urlsplit(args.url)
    host, port = u.hostname, u.port or 80
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(f"populate.py: refusing non-loopback host {host}", file=sys.stderr)
        return 64
    prefix = u.path.rstrip("/")
    body = group_body().encode()
    headers = {"Content-Type": "text/plain; version=0.0.4; charset=utf-8"}

    lock = threading.Lock()
    state = {"next": 0, "acked": 0, "failed": 0, "first_error": None}
    latencies = []  # (finish time, seconds) of acknowledged pushes
    start = time.monotonic()
    deadline = start + args.limit
    stop = threading.Event()

    def worker():
        conn = None
        while not stop.is_set():
            with lock:
                i = state["next"]
                if i >= args.groups:
                    return
                state["next"] = i + 1
            if time.monotonic() >= deadline:
                return
            path = f"{prefix}/metrics/job/{args.job}/instance/p{i}"
            t0 = time.monotonic()
            ok = False
            err = None
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(host, port, timeout=args.timeout)
                conn.request("PUT", path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                ok = 200 <= resp.status < 300
                if not ok:
                    err = f"HTTP {resp.status}: {data[:200]!r}"
            except Exception as exc:  # noqa: BLE001 - report and carry on
                err = repr(exc)
                try:
                    conn.close()
                except Exception:  # noqa: BLE001
                    pass
                conn = None
            t1 = time.monotonic()
            with lock:
                if ok:
                    state["acked"] += 1
                    latencies.append((t1, t1 - t0))
                else:
                    state["failed"] += 1
                    if state["first_error"] is None:
                        state["first_error"] = err
                    if state["failed"] >= 100:  # bounded: a broken server does not get hammered
                        stop.set()
        if conn is not None:
            conn.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(args.concurrency)]
    for t in threads:
        t.start()

    progress = []
    last_t, last_acked = start, 0
    while any(t.is_alive() for t in threads):
        for t in threads:
            t.join(timeout=min(args.progress, 1.0))
        now = time.monotonic()
        if now - last_t >= args.progress:
            with lock:
                acked = state["acked"]
                recent = [d for (ft, d) in latencies if ft > last_t]
            rate = (acked - last_acked) / (now - last_t)
            med = statistics.median(recent) if recent else float("nan")
            progress.append({"t": round(now - start, 1), "acked": acked,
                             "rate": round(rate, 2), "p50_s": round(med, 4)})
            print(f"  populate: {now - start:7.1f}s  {acked:7d} groups acked  "
                  f"{rate:8.1f} groups/s  push p50 {med:.3f}s", file=sys.stderr, flush=True)
            last_t, last_acked = now, acked
        if now > deadline + args.timeout + 5:  # hard bound even if a request hangs
            stop.set()
            break

    secs = time.monotonic() - start
    tail = [d for (_, d) in latencies[-100:]]
    result = {
        "requested": args.groups,
        "acked": state["acked"],
        "failed": state["failed"],
        "first_error": state["first_error"],
        "seconds": round(secs, 2),
        "rate": round(state["acked"] / secs, 2) if secs > 0 else 0,
        "final_p50_s": round(statistics.median(tail), 4) if tail else None,
        "hit_limit": state["acked"] + state["failed"] < args.groups,
        "progress": progress,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Push bodies for the gateway load harness (Python 3 standard library only).

    bodies.py bench   -> the 100-series text 0.0.4 body that wrk PUTs
    bodies.py group   -> the 10-series body used to pre-populate the store

"Series" means sample lines: a histogram with 12 buckets counts as 12 + _sum + _count = 14.
The Pushgateway adds push_time_seconds and push_failure_time_seconds to every group on top.
No timestamps (the Pushgateway rejects pushed timestamps).
"""
import sys


def bench_body() -> str:
    out = []
    n = 0

    def fam(name, typ, help_):
        out.append(f"# HELP {name} {help_}")
        out.append(f"# TYPE {name} {typ}")

    def sample(line):
        nonlocal n
        out.append(line)
        n += 1

    # Counters
    fam("bench_jobs_processed_total", "counter", "Jobs processed by the batch run.")
    sample("bench_jobs_processed_total 48213")
    fam("bench_errors_total", "counter", "Errors by kind.")
    for i, kind in enumerate(["timeout", "parse", "io", "auth"]):
        sample(f'bench_errors_total{{kind="{kind}"}} {i * 7 + 3}')
    fam("bench_http_requests_total", "counter", "Outgoing HTTP requests by method and code.")
    for method in ["GET", "POST", "PUT"]:
        for code in ["200", "404", "500", "503"]:
            sample(f'bench_http_requests_total{{code="{code}",method="{method}"}} '
                   f'{(len(method) * 1000 + int(code)) * 3}')
    # Labelled gauges
    fam("bench_queue_depth", "gauge", "Items waiting per queue.")
    for q in range(30):
        sample(f'bench_queue_depth{{queue="queue-{q:02d}",shard="{q % 4}"}} {q * 11 % 97}')
    fam("bench_worker_busy_ratio", "gauge", "Fraction of time each worker was busy.")
    for w in range(36):
        sample(f'bench_worker_busy_ratio{{pool="default",worker="worker-{w:02d}"}} {(w * 37 % 100) / 100}')
    fam("bench_last_success_timestamp_seconds", "gauge", "Unix time of the last successful run.")
    sample("bench_last_success_timestamp_seconds 1.7636e+09")
    # One histogram: 11 finite buckets + +Inf + _sum + _count = 14 lines
    fam("bench_run_duration_seconds", "histogram", "Duration of one unit of work.")
    bounds = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"]
    cum = 0
    for i, le in enumerate(bounds):
        cum += [3, 9, 40, 120, 300, 410, 220, 90, 30, 8, 2, 1][i]
        sample(f'bench_run_duration_seconds_bucket{{le="{le}"}} {cum}')
    sample("bench_run_duration_seconds_sum 512.25")
    sample(f"bench_run_duration_seconds_count {cum}")
    # Pad with one more gauge family to exactly 100 series
    fam("bench_partition_lag_seconds", "gauge", "Replication lag per partition.")
    p = 0
    while n < 100:
        sample(f'bench_partition_lag_seconds{{partition="{p}"}} {p * 0.5}')
        p += 1
    assert n == 100, n
    return "\n".join(out) + "\n"


def group_body() -> str:
    lines = [
        "# HELP app_requests_total Requests handled by code.",
        "# TYPE app_requests_total counter",
        'app_requests_total{code="200"} 1027',
        'app_requests_total{code="404"} 12',
        'app_requests_total{code="500"} 3',
        "# HELP app_inflight Requests in flight at push time.",
        "# TYPE app_inflight gauge",
        "app_inflight 4",
        "# HELP app_last_run_timestamp_seconds Unix time of the last run.",
        "# TYPE app_last_run_timestamp_seconds gauge",
        "app_last_run_timestamp_seconds 1.7636e+09",
        "# HELP app_run_duration_seconds Duration of the run.",
        "# TYPE app_run_duration_seconds histogram",
        'app_run_duration_seconds_bucket{le="0.1"} 2',
        'app_run_duration_seconds_bucket{le="1"} 9',
        'app_run_duration_seconds_bucket{le="+Inf"} 10',
        "app_run_duration_seconds_sum 4.75",
        "app_run_duration_seconds_count 10",
    ]
    assert sum(1 for l in lines if not l.startswith("#")) == 10
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    kind = sys.argv[1] if len(sys.argv) > 1 else ""
    if kind == "bench":
        sys.stdout.write(bench_body())
    elif kind == "group":
        sys.stdout.write(group_body())
    else:
        sys.stderr.write("usage: bodies.py bench|group\n")
        sys.exit(64)

-- wrk script: PUT one text 0.0.4 body to many grouping keys, report percentiles.
--
-- Environment (set by run.sh):
--   BENCH_BODY    path of the body file (required)
--   BENCH_KEYS    number of distinct grouping keys to cycle over (default 1000)
--   BENCH_JOB     job label (default "bench")
--   BENCH_PREFIX  path prefix before /metrics (default "", e.g. a --web.route-prefix)
--   BENCH_AUTH    value of an Authorization header to send (default none)
--
-- Requests go to  PREFIX/metrics/job/JOB/instance/i<N>,  N = 0 .. KEYS-1, cycled. Thread t of
-- T starts at t and steps by T, so threads never send the same key at the same moment.
-- done() prints machine-readable lines "RESULT <key> <value>" (latencies in microseconds).

local body_path = os.getenv("BENCH_BODY")
assert(body_path, "BENCH_BODY is not set")
local f = assert(io.open(body_path, "rb"))
local body = f:read("*a")
f:close()

local keys = tonumber(os.getenv("BENCH_KEYS") or "1000")
local job = os.getenv("BENCH_JOB") or "bench"
local prefix = os.getenv("BENCH_PREFIX") or ""
local headers = { ["Content-Type"] = "text/plain; version=0.0.4; charset=utf-8" }
local auth = os.getenv("BENCH_AUTH")
if auth and auth ~= "" then headers["Authorization"] = auth end

local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("tid", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

local counter = 0
local step = 1

function init(args)
  counter = tonumber(tid) or 0
  step = tonumber(os.getenv("BENCH_THREADS") or "1")
end

function request()
  local n = counter % keys
  counter = counter + step
  return wrk.format("PUT", prefix .. "/metrics/job/" .. job .. "/instance/i" .. n, headers, body)
end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format("RESULT requests %d\n", summary.requests))
  io.write(string.format("RESULT seconds %.3f\n", secs))
  io.write(string.format("RESULT rps %.2f\n", summary.requests / secs))
  io.write(string.format("RESULT p50_us %d\n", latency:percentile(50)))
  io.write(string.format("RESULT p90_us %d\n", latency:percentile(90)))
  io.write(string.format("RESULT p99_us %d\n", latency:percentile(99)))
  io.write(string.format("RESULT max_us %d\n", latency.max))
  io.write(string.format("RESULT mean_us %d\n", latency.mean))
  io.write(string.format("RESULT err_connect %d\n", e.connect))
  io.write(string.format("RESULT err_read %d\n", e.read))
  io.write(string.format("RESULT err_write %d\n", e.write))
  io.write(string.format("RESULT err_status %d\n", e.status))
  io.write(string.format("RESULT err_timeout %d\n", e.timeout))
  io.write(string.format("RESULT body_bytes %d\n", #body))
end

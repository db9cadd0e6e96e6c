-- For bench/pages.py: wrk's own figures for one run as one line of JSON. The
-- percentiles come from wrk's full latency histogram (--latency prints 50/75/90/99
-- only, and the goal is the p95). Times are in microseconds.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH-PAGES {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, '
      .. '"p95_us": %d, "p99_us": %d, "mean_us": %.1f, "max_us": %d, "connect": %d, '
      .. '"read": %d, "write": %d, "status": %d, "timeout": %d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.mean, latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end

-- BENCH_COLD=1: every request asks for a new address (?cold=1, 2, …), so none is served
-- from the queue's row cache.
if os.getenv("BENCH_COLD") == "1" then
  local counter = 0
  request = function()
    counter = counter + 1
    return wrk.format(nil, wrk.path .. "?cold=" .. counter)
  end
end

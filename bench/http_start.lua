-- http_start.lua: wrk script for bench/bench_http.sh: StartExecution over
-- the AWS JSON 1.0 protocol (POST /, X-Amz-Target), the state machine ARN
-- from the environment (STEPD_BENCH_ARN).  Each request has no name, so
-- every acknowledged request is a new execution.  done() prints one
-- machine-readable RESULT line for the shell script.
local arn = os.getenv("STEPD_BENCH_ARN") or
    "arn:aws:states:us-east-1:123456789012:stateMachine:bench3"

wrk.method = "POST"
wrk.path = "/"
wrk.headers["Content-Type"] = "application/x-amz-json-1.0"
wrk.headers["X-Amz-Target"] = "AWSStepFunctions.StartExecution"
wrk.body = '{"stateMachineArn":"' .. arn .. '","input":"{\\"n\\":1}"}'

function done(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    "RESULT requests=%d non2xx=%d socket_errors=%d rps=%.1f " ..
    "p50_ms=%.3f p99_ms=%.3f max_ms=%.3f\n",
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout,
    summary.requests / secs, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end

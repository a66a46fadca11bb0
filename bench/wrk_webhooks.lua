-- wrk script for bench/webhook_intake.py: POST one signed webhook body, a new X-Shopify-Webhook-Id per
-- request. Shopify signs only the body, so a precomputed HMAC stays valid while the id changes.
-- Environment: BENCH_BODY_FILE (the JSON body), BENCH_HMAC, BENCH_SHOP, BENCH_TOPIC, BENCH_RUN (a prefix
-- that makes ids unique across runs), BENCH_SIGNED ("1": send the Shopify headers; "0": a bare POST).

local body_file = assert(io.open(os.getenv("BENCH_BODY_FILE"), "rb"))
local body = body_file:read("*a")
body_file:close()
local signed = os.getenv("BENCH_SIGNED") ~= "0"
local run = os.getenv("BENCH_RUN") or "run"
local threads = {}
local counter = 0
local prefix = run

setup = function(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

init = function(args)
  prefix = string.format("%s-t%d", run, thread_id)
end

request = function()
  counter = counter + 1
  local headers = {["Content-Type"] = "application/json"}
  if signed then
    headers["X-Shopify-Topic"] = os.getenv("BENCH_TOPIC")
    headers["X-Shopify-Hmac-Sha256"] = os.getenv("BENCH_HMAC")
    headers["X-Shopify-Shop-Domain"] = os.getenv("BENCH_SHOP")
    headers["X-Shopify-API-Version"] = "2026-04"
    headers["X-Shopify-Webhook-Id"] = string.format("%s-%d", prefix, counter)
    headers["X-Shopify-Triggered-At"] = "2026-11-22T15:00:00.000000000Z"
  end
  return wrk.format("POST", nil, headers, body)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH_JSON {\"requests\":%d,\"duration_us\":%d,\"connect\":%d,\"read\":%d,\"write\":%d," ..
    "\"status\":%d,\"timeout\":%d,\"p50_us\":%d,\"p99_us\":%d}\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)
  ))
end

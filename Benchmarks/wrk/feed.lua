-- wrk script: feeds of 20 items for random users u0 … u9999 of the simulated world.
--
-- Most feeds a second: each connection sends its next request as soon as the last response
-- ends (closed loop), and wrk reports the latency at that load:
--   wrk -t1 -c4 -d30s --latency -s Benchmarks/wrk/feed.lua http://127.0.0.1:8099
-- About a fixed rate: with `-- RATE CONNECTIONS`, each connection waits a random, exponentially
-- distributed time after each response, so that the connections together send about RATE a
-- second in a Poisson stream. wrk's latencies then run from each request's sending, not from
-- when it was due; `funnel bench load` measures from when it was due.
--   wrk -t1 -c64 -d60s --latency -s Benchmarks/wrk/feed.lua http://127.0.0.1:8099 -- 1000 64
local users = tonumber(os.getenv("FUNNEL_USERS") or "10000")
local meanGapMs = nil

function init(args)
    math.randomseed(7 + (tonumber(args[3]) or 0))
    local rate, connections = tonumber(args[1]), tonumber(args[2])
    if rate and connections then meanGapMs = connections / rate * 1000 end
end

function request()
    return wrk.format("GET", "/v1/feed/u" .. math.random(0, users - 1) .. "?n=20")
end

function delay()
    if meanGapMs == nil then return 0 end
    return -math.log(1 - math.random()) * meanGapMs
end

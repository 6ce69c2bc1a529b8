-- wrk script: feeds of 20 items for random users u0 … u9999 of the simulated world.
--   wrk -t1 -c16 -d30s --latency -s Benchmarks/wrk/feed.lua http://127.0.0.1:8099
-- wrk sends each connection's next request as soon as the last response ends (closed loop), so
-- it measures the most feeds a second the server gives, and the latency at that load.
math.randomseed(7)
local users = tonumber(os.getenv("FUNNEL_USERS") or "10000")

request = function()
    return wrk.format("GET", "/v1/feed/u" .. math.random(0, users - 1) .. "?n=20")
end

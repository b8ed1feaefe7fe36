-- wrk script for bench/rbbench: optional pipelining and one JSON line at the end.
-- usage: wrk ... -s wrk_report.lua URL -- DEPTH
-- DEPTH > 1: init concatenates DEPTH wrk.format() requests (with the -H headers) and request()
-- returns the batch; wrk sends it and waits for all DEPTH responses (the TechEmpower pattern).
-- Under pipelining wrk's latencies are not per request (BENCHMARKING.md): rbbench marks them so.
-- done() prints "RBJSON {...}": counts, errors (status = responses with status > 399), and the
-- latency percentile spectrum (HdrHistogram ticks, 5 per halving) for the .hgrm file.
-- PIPELINE BEGIN (rbbench drops this part for DEPTH 1, so that wrk keeps its static request)
local batch

init = function(args)
	local depth = tonumber(args[1]) or 1
	local r = {}
	for i = 1, depth do
		r[i] = wrk.format()
	end
	batch = table.concat(r)
end

request = function()
	return batch
end
-- PIPELINE END

done = function(summary, latency, requests)
	local e = summary.errors
	local spec = {}
	local i = 0
	while true do
		local p = 100 * (1 - 2 ^ (-i / 5))
		if p > 99.9999 then
			break
		end
		spec[#spec + 1] = string.format("[%.6f,%d]", p, latency:percentile(p))
		i = i + 1
	end
	spec[#spec + 1] = string.format("[100,%d]", latency.max)
	io.write(string.format(
		'RBJSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
		'"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
		'"latency_us":{"min":%d,"mean":%.3f,"stdev":%.3f,"max":%d,"p50":%d,"p75":%d,"p90":%d,' ..
		'"p99":%d,"p999":%d},"spectrum":[%s]}\n',
		summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
		e.timeout, latency.min, latency.mean, latency.stdev, latency.max, latency:percentile(50),
		latency:percentile(75), latency:percentile(90), latency:percentile(99),
		latency:percentile(99.9), table.concat(spec, ",")))
end

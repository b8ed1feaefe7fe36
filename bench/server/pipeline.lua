-- wrk script for pipelined runs (the TechEmpower pipeline.lua): init concatenates DEPTH
-- requests built by wrk.format() (with the -H headers run.sh passes) and request() returns
-- the batch; wrk sends it and waits for all DEPTH responses before sending the next batch.
-- usage: wrk ... -s pipeline.lua URL -- DEPTH
local req
init = function(args)
	local depth = tonumber(args[1]) or 16
	local r = {}
	for i = 1, depth do
		r[i] = wrk.format()
	end
	req = table.concat(r)
end

request = function()
	return req
end

done = function(summary, latency, requests)
	local e = summary.errors
	io.write(string.format(
		'RBJSON {"requests":%d,"duration_us":%d,"bytes":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},"latency_us":{"mean":%.1f,"p50":%d,"p99":%d,"max":%d}}\n',
		summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
		latency.mean, latency:percentile(50), latency:percentile(99), latency.max))
end

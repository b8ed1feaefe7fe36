-- wrk script for unpipelined runs: no request() function, so wrk keeps its static request
-- (the -H headers run.sh passes); done() prints one JSON line for run.sh.
done = function(summary, latency, requests)
	local e = summary.errors
	io.write(string.format(
		'RBJSON {"requests":%d,"duration_us":%d,"bytes":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},"latency_us":{"mean":%.1f,"p50":%d,"p99":%d,"max":%d}}\n',
		summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
		latency.mean, latency:percentile(50), latency:percentile(99), latency.max))
end

#!/usr/bin/env bash
# rbload end to end: runs rbload against rbtestsrv (a deliberately misbehaving server,
# tests/loadgen/rbtestsrv.c) and rbserver, and checks its --json report (docs/loadgen.md) with
# jq: exact counts, pipelined latencies, coordinated-omission correction, the open-loop rate,
# errors by kind, chunked and close-delimited framing, 1xx interim responses, HEAD, header blocks
# split across receives and past the limit, unsolicited bytes, bad flags and URLs, --hgrm and
# --json -, and exact counts under every RB_FAULTS fault (against rbserver).
# One "PASS: name: condition" or "FAIL: name: ..." line per check, then a count; exit 1 if any
# check failed. About 40 s under ASan; every rbload run is bounded (-n N or -d 1s..3s).
#
# usage: tests/loadgen/test_rbload.sh RBLOAD RBTESTSRV RBSERVER|none   (ctest: rbload_e2e)
set -euo pipefail

if [ $# -ne 3 ]; then
	echo "usage: $0 RBLOAD RBTESTSRV RBSERVER|none" >&2
	exit 2
fi
RBLOAD=$1
RBTESTSRV=$2
RBSERVER=$3
for b in "$RBLOAD" "$RBTESTSRV"; do
	[ -x "$b" ] || { echo "test_rbload.sh: $b is not an executable (build first)" >&2; exit 2; }
done
if [ "$RBSERVER" != none ] && [ ! -x "$RBSERVER" ]; then
	echo "test_rbload.sh: $RBSERVER is not an executable" >&2
	exit 2
fi
command -v jq >/dev/null || { echo "test_rbload.sh: needs jq" >&2; exit 2; }

# shellcheck source=tests/loadgen/lib.sh
. "$(dirname "$0")/lib.sh"

started=$(date +%s)

# ---- 1. exact counts, closed loop ------------------------------------------------------------
testsrv srv-default
load counts-testsrv-p1 -c 4 -p 1 -n 2000 "$url"
exact_counts counts-testsrv-p1 2000
check counts-testsrv-p1 "$tmp/counts-testsrv-p1.json" \
	'.config.mode == "closed" and .connections.opened == 4 and .connections.reopened == 0'
load counts-testsrv-p8 -c 4 -p 8 -n 4000 "$url"
exact_counts counts-testsrv-p8 4000
# In closed loop the corrected and uncorrected latencies are the same.
check counts-testsrv-p8 "$tmp/counts-testsrv-p8.json" \
	'.latency_us.corrected == .latency_us.uncorrected and .latency_us.corrected.count == 4000'

# ---- 7. --json - on stdout, --hgrm -----------------------------------------------------------
run_bg timeout -k 5 40 "$RBLOAD" -q --no-progress -c 2 -n 500 --json - --hgrm "$tmp/h.hgrm" \
	"$url" >"$tmp/stdout.json" 2>"$tmp/stdout.err"
load_rc=0
wait "$bg_pid" || load_rc=$?
stop "$bg_pid"
check_rc stdout 0
check "json-stdout" "$tmp/stdout.json" '.tool == "rbload" and .requests == 500'
if [ -s "$tmp/h.hgrm" ] &&
	head -n 1 "$tmp/h.hgrm" | grep -Eq '^ +Value +Percentile +TotalCount +1/\(1-Percentile\)' &&
	grep -Eq '^ *[0-9]+\.[0-9]+ +1\.0+ +500 ' "$tmp/h.hgrm" &&
	grep -Eq '^#\[Max += +[0-9.]+, Total count += +500\]$' "$tmp/h.hgrm"; then
	pass "hgrm: a percentile distribution of 500 values, ending at percentile 1.0"
else
	fail "hgrm: not a 500-value HdrHistogram percentile distribution: $(head -c 300 "$tmp/h.hgrm" 2>&1)"
fi

# ---- 3b. open loop: the achieved rate ---------------------------------------------------------
load rate -R 2000 -c 4 -d 2s "$url"
check_rc rate 0
check rate "$tmp/rate.json" '.config.mode == "open" and .rate.requested == 2000'
check rate "$tmp/rate.json" '(.rate.achieved / 2000 - 1) | fabs < 0.03'
check rate "$tmp/rate.json" '(.requests_per_s / 2000 - 1) | fabs < 0.03'
check rate "$tmp/rate.json" "$no_errors and $balanced"
# Corrected latency runs from the due time, never after the send: never below the uncorrected.
# (No upper bound in milliseconds: the test runs under ASan beside other tests on 2 CPUs, and
# the scheduler's delays are not rbload's to measure away.)
check rate "$tmp/rate.json" \
	'.latency_us.corrected.p99 >= .latency_us.uncorrected.p99 and
	 .latency_us.corrected.p50 >= .latency_us.uncorrected.p50'

# ---- 6. bad flags and URLs: exit 2 and a message that names what is wrong ----------------------
bad_flag()
{
	local name=$1 re=$2
	shift 2
	load "$name" "$@"
	check_rc "$name" 2
	check_err "$name" "$re"
}
bad_flag flag-c0 "-c '0': expected an integer from 1 to 1000000" -c 0 "$url"
bad_flag flag-p0 "-p '0': expected an integer from 1 to 1024" -p 0 "$url"
bad_flag flag-p-big "--pipeline '1025': expected an integer from 1 to 1024" --pipeline 1025 "$url"
bad_flag flag-d5x "-d: '5x' is not a duration" -d 5x "$url"
bad_flag flag-rate0 "-R: '0' is not a rate" -R 0 "$url"
bad_flag flag-unknown "unknown flag '--bogus'" --bogus "$url"
bad_flag flag-novalue "--json needs a value" "$url" --json
bad_flag flag-threads "-t 3 is more than -c 2" -t 3 -c 2 "$url"
bad_flag flag-close-rate "--close and -R: choose one mode" --close -R 10 "$url"
bad_flag url-none "no URL given" -c 1
bad_flag url-mixed "URL 'https://127.0.0.1:$port/' is https:// but 'http://127.0.0.1:$port/' is not; allowed: one scheme per run" \
	"http://127.0.0.1:$port/" "https://127.0.0.1:$port/"
bad_flag url-nohost "bad URL 'http:///x': no host" "http:///x"
bad_flag url-scheme "it must start with http:// or https://" "ftp://127.0.0.1/"
bad_flag url-port "the port must be 1 to 65535" "http://127.0.0.1:70000/"
bad_flag url-mixed "names another host or port" "$url" "http://127.0.0.1:1/"
stop "$srv_pid"

# ---- 1b. exact counts against rbserver /plaintext ---------------------------------------------
if [ "$RBSERVER" != none ]; then
	start_srv rbserver '.*listening on [^ ]+ port ([0-9]+):.*' \
		"$RBSERVER" --bind 127.0.0.1 --port 0 --threads 1
	load counts-rbserver-p1 -c 4 -p 1 -n 5000 "http://127.0.0.1:$port/plaintext"
	exact_counts counts-rbserver-p1 5000
	load counts-rbserver-p8 -c 4 -p 8 -n 20000 "http://127.0.0.1:$port/plaintext"
	exact_counts counts-rbserver-p8 20000
	check counts-rbserver-p8 "$tmp/counts-rbserver-p8.json" \
		'.connections.opened == 4 and .connections.reopened == 0 and .bytes.read > 0'
	stop "$srv_pid"
else
	echo "SKIP: counts against rbserver (no rbserver in this build)"
fi

# ---- 2. pipelined latencies -------------------------------------------------------------------
# --delay-ms 20, -c 1 -p 4: the first four take 20, 40, 60, 80 ms, every later one 4 * 20 = 80.
# The lower bounds are exact (the server cannot answer sooner); the upper ones leave room for
# scheduling delays under ASan and still catch a latency counted per batch or twice.
testsrv srv-delay --delay-ms 20
load pipeline -c 1 -p 4 -n 40 "$url"
exact_counts pipeline 40
check pipeline "$tmp/pipeline.json" \
	'.latency_us.corrected.p50 >= 72000 and .latency_us.corrected.p50 <= 150000'
check pipeline "$tmp/pipeline.json" '.latency_us.corrected.min >= 20000'
check pipeline "$tmp/pipeline.json" '.latency_us.corrected.max <= 200000'
stop "$srv_pid"

# ---- 3. coordinated omission ------------------------------------------------------------------
# 2000 req/s on 4 connections; the server answers nothing for 1 s from its 1000th request
# (0.5 s in). About a third of the requests were due during the stall: the corrected p99 is
# near 1 s. Uncorrected, only the ~4 requests in flight waited: its p99 stays small, its max
# is the stall.
testsrv srv-stall --stall-after 1000 --stall-ms 1000
load stall -R 2000 -c 4 -d 3s "$url"
check_rc stall 0
check stall "$tmp/stall.json" "$no_errors and $balanced"
check stall "$tmp/stall.json" '.latency_us.corrected.p99 >= 800000'
check stall "$tmp/stall.json" \
	'.latency_us.corrected.max >= 900000 and .latency_us.corrected.max <= 2000000'
# The stall shows in the corrected tail, not in the uncorrected one (a relative bound).
check stall "$tmp/stall.json" '.latency_us.uncorrected.p99 * 4 < .latency_us.corrected.p99'
check stall "$tmp/stall.json" \
	'.latency_us.uncorrected.max >= 900000 and .latency_us.uncorrected.max <= 2000000'
# The backlog is sent once the stall ends: the schedule is kept.
check stall "$tmp/stall.json" '(.rate.achieved / 2000 - 1) | fabs < 0.05'
stop "$srv_pid"

# ---- 4. errors by kind ------------------------------------------------------------------------
# --reset-after 10: the 11th request on every connection is answered with a RST. With -p 1 each
# reset loses exactly that one request.
testsrv srv-reset --reset-after 10
load reset -c 2 -n 200 "$url"
check_rc reset 0
check reset "$tmp/reset.json" "$balanced and .sent == 200"
check reset "$tmp/reset.json" '.errors.reset > 0 and .connections.reopened > 0'
check reset "$tmp/reset.json" '.errors.reset == .unanswered and .in_flight_at_end == 0'
check reset "$tmp/reset.json" '([.errors[]] | add) == .errors.reset'
check reset "$tmp/reset.json" '.status["2xx"] == .requests and .requests >= 10 * .errors.reset'
stop "$srv_pid"

# --close-after 5: every 5th response says Connection: close; not an error. 100 requests per
# connection make 20 sockets: 19 reopens each, one more if the last reconnect completes.
testsrv srv-close --close-after 5
load close -c 2 -n 200 "$url"
exact_counts close 200
check close "$tmp/close.json" \
	'.connections.opened == 2 and .connections.reopened >= 38 and .connections.reopened <= 40'
stop "$srv_pid"

# --drop-prob: the server closes (FIN) with the request unanswered: a "closed" error each.
testsrv srv-drop --drop-prob 0.05 --seed 7
load drop -c 2 -n 400 "$url"
check_rc drop 0
check drop "$tmp/drop.json" "$balanced and .sent == 400"
check drop "$tmp/drop.json" '.errors.closed > 0 and .errors.closed == .unanswered'
check drop "$tmp/drop.json" '([.errors[]] | add) == .errors.closed'
check drop "$tmp/drop.json" '.errors.closed < 60 and .connections.reopened >= .errors.closed - 2'
stop "$srv_pid"

# --garbage-after 3: the 4th response on each connection has bare LF line ends: a parse error.
testsrv srv-garbage --garbage-after 3
load garbage -c 2 -n 100 "$url"
check_rc garbage 0
check garbage "$tmp/garbage.json" "$balanced and .sent == 100"
check garbage "$tmp/garbage.json" '.errors.parse > 0 and .errors.parse == .unanswered'
check garbage "$tmp/garbage.json" '([.errors[]] | add) == .errors.parse'
check garbage "$tmp/garbage.json" '.requests >= 3 * .errors.parse and .requests <= 3 * .errors.parse + 6'
check_err garbage "malformed response from 127\\.0\\.0\\.1:$port"
stop "$srv_pid"

# An -n run whose last event is an error ends at that error, not at the last good response:
# -c 1, 50 ms per response, every 2nd response malformed: good at ~50 and ~150 ms, parse errors
# at ~100 and ~200 ms; the window must reach the last one (~0.2 s), not stop at ~0.15 s.
testsrv srv-garbage-end --delay-ms 50 --garbage-after 1
load garbage_end -c 1 -n 4 "$url"
check_rc garbage_end 0
check garbage_end "$tmp/garbage_end.json" '.requests == 2 and .errors.parse == 2 and .unanswered == 2'
check garbage_end "$tmp/garbage_end.json" '.duration_s >= 0.19 and .duration_s < 1'
stop "$srv_pid"

# --status 503: complete responses, every one a status error.
testsrv srv-503 --status 503
load status -c 2 -n 100 "$url"
check_rc status 0
check status "$tmp/status.json" '.requests == 100 and .unanswered == 0'
check status "$tmp/status.json" '.errors.status == .requests and .status["5xx"] == .requests'
check status "$tmp/status.json" '([.errors[]] | add) == .errors.status and .status["2xx"] == 0'
stop "$srv_pid"

# --silent, --timeout 300ms, -d 1s: each connection times out at ~0.3 s and ~0.6-0.75 s (the
# scan runs every timeout/4); nothing is answered, so the exit status is 1 (with a report).
testsrv srv-silent --silent
load silent -c 2 -d 1s --timeout 300ms "$url"
check_rc silent 1
check_err silent "no response was received from 127\\.0\\.0\\.1:$port"
check silent "$tmp/silent.json" '.requests == 0 and .errors.timeout >= 2 and .errors.timeout <= 6'
check silent "$tmp/silent.json" "$balanced and .unanswered > 0"
check silent "$tmp/silent.json" '([.errors[]] | add) == .errors.timeout'
stop "$srv_pid"

# An unreachable port (a server's, once it is gone): exit 1 at once, a message naming the peer.
testsrv srv-gone
stop "$srv_pid"
load unreachable -c 2 -d 5s "$url"
check_rc unreachable 1
check_err unreachable "^rbload: cannot connect to 127\\.0\\.0\\.1:$port: Connection refused$"
if [ "$load_ms" -lt 3000 ]; then
	pass "unreachable: gave up in ${load_ms} ms (< 3000)"
else
	fail "unreachable: took ${load_ms} ms, want < 3000"
fi

# ---- 5. framing -------------------------------------------------------------------------------
testsrv srv-chunked --chunked
load chunked -c 2 -n 300 "$url"
exact_counts chunked 300
load chunked-p8 -c 2 -p 8 -n 800 "$url"
exact_counts chunked-p8 800
stop "$srv_pid"
# Chunks larger than a receive buffer (8 KiB), a trailer split across receives.
testsrv srv-chunked-big --chunked --body-bytes 50000
load chunked-big -c 2 -p 4 -n 200 "$url"
exact_counts chunked-big 200
check chunked-big "$tmp/chunked-big.json" '.bytes.read > 200 * 50000'
stop "$srv_pid"

# Close-delimited: one response per connection, complete at the server's close.
testsrv srv-closedelim --close-delimited
load closedelim -c 2 -n 100 "$url"
exact_counts closedelim 100
check closedelim "$tmp/closedelim.json" \
	'.connections.opened == 2 and .connections.reopened >= 98 and .connections.reopened <= 100'
stop "$srv_pid"

# Interim responses: "100 Continue" and "103 Early Hints" before every final response, each in
# a write of its own. Only the final responses count: a 1xx counted as final would shift every
# later response onto the wrong request (and show in requests, status["1xx"] and the pipeline).
testsrv srv-interim --interim
load interim -c 2 -n 300 "$url"
exact_counts interim 300
check interim "$tmp/interim.json" '.status["1xx"] == 0'
load interim-p8 -c 2 -p 8 -n 800 "$url"
exact_counts interim-p8 800
check interim-p8 "$tmp/interim-p8.json" '.status["1xx"] == 0'
stop "$srv_pid"

# HEAD: the responses say Content-Length: 1000 (or chunked) and carry no body. Framed as if
# they had one, each would swallow the next response's head (pipelined) or wait for bytes
# that never come (a timeout).
testsrv srv-head --body-bytes 1000
load head -c 2 -p 8 -n 800 -m HEAD "$url"
exact_counts head 800
check head "$tmp/head.json" '.config.method == "HEAD" and .bytes.read < 800 * 100'
stop "$srv_pid"
testsrv srv-head-chunked --chunked --body-bytes 1000
load head-chunked -c 2 -p 8 -n 800 -m HEAD "$url"
exact_counts head-chunked 800
check head-chunked "$tmp/head-chunked.json" '.bytes.read < 800 * 100'
stop "$srv_pid"

# A header block of 60000 bytes arrives over several receives (8 KiB buffers): it is carried
# over and framed whole. One of 100000 bytes passes the parser's 64 KiB limit, which is also
# the carry's: every response is a parse error, its connection closed and reopened, nothing
# kept past the limit (bytes.read: 64 KiB a response at most), and nothing answered (exit 1).
testsrv srv-bighead --big-header 60000
load bighead -c 2 -p 4 -n 200 "$url"
exact_counts bighead 200
stop "$srv_pid"
testsrv srv-toobig --big-header 100000
load toobig -c 2 -n 20 "$url"
check_rc toobig 1
check toobig "$tmp/toobig.json" '.requests == 0 and .sent == 20 and .unanswered == 20'
check toobig "$tmp/toobig.json" '.errors.parse == 20 and ([.errors[]] | add) == 20'
check toobig "$tmp/toobig.json" '.connections.reopened >= 18 and .bytes.read <= 20 * 65536'
check_err toobig "malformed response from 127\\.0\\.0\\.1:$port: the header block is larger than the limit"
stop "$srv_pid"

# Bytes with no request in flight: the 3rd response on every connection is followed, in the
# same write, by a response nothing asked for: a parse error, and the connection is closed
# (-p 1, so no request is lost with it). n_i requests on connection i make floor(n_i / 3)
# errors: 32 or 33 of 100 in all.
testsrv srv-unsolicited --unsolicited-after 3
load unsolicited -c 2 -n 100 "$url"
check_rc unsolicited 0
check unsolicited "$tmp/unsolicited.json" '.requests == 100 and .sent == 100 and .unanswered == 0'
check unsolicited "$tmp/unsolicited.json" '.errors.parse >= 32 and .errors.parse <= 33'
check unsolicited "$tmp/unsolicited.json" \
	'([.errors[]] | add) == .errors.parse and .connections.reopened >= .errors.parse - 2'
check_err unsolicited "malformed response from 127\\.0\\.0\\.1:$port: bytes from the server with no request in flight"
stop "$srv_pid"

# ---- 8. RB_FAULTS: the loop's fallbacks and faults, forced -----------------------------------
# Each fault in turn, in rbload and in rbserver, and exact counts for closed-loop, pipelined and
# 20 KB-body runs; each fault must also show in the report. rbserver must start under every
# fault (a failure, not a note); a fault the kernel cannot produce (rbload's loop set-up fails)
# is one SKIP line.
fault_check()
{
	local name=$1 fault=$2
	case $fault in
	no-multishot) check "$name" "$tmp/$name.json" '.ring.multishot_recv == false' ;;
	no-defer-taskrun)
		check "$name" "$tmp/$name.json" '.ring.flags | test("defer_taskrun|single_issuer") | not'
		;;
	no-bufring) check "$name" "$tmp/$name.json" '.ring.buffers == "legacy"' ;;
	tiny-cq) check "$name" "$tmp/$name.json" '.ring.sq_entries == 8 and .ring.cq_entries == 8' ;;
	short-send) check "$name" "$tmp/$name.json" '.ring.faults_hit > 0' ;;
	sq-full) check "$name" "$tmp/$name.json" '.ring.faults_hit > 0 and .ring.sq_full > 0' ;;
	accept-fail)
		# a client accepts nothing: the fault changes nothing on rbload's side (the
		# server's retries are tested in tests/server: conn::accept_failure_retried)
		check "$name" "$tmp/$name.json" '.ring.faults_hit == 0 and ([.errors[]] | add) == 0'
		;;
	esac
}

if [ "$RBSERVER" != none ]; then
	for fault in no-multishot no-defer-taskrun no-bufring tiny-cq enobufs short-send sq-full \
		accept-fail; do
		name=fault-$fault
		srv_re='.*listening on [^ ]+ port ([0-9]+):.*'
		if ! try_srv "$name-srv" "$srv_re" env RB_FAULTS="$fault" "$RBSERVER" \
			--bind 127.0.0.1 --port 0 --threads 1; then
			fail "$name: rbserver did not start under RB_FAULTS=$fault: $(head -c 200 \
				"$tmp/$name-srv.err")"
			continue
		fi
		base=http://127.0.0.1:$port
		RB_FAULTS=$fault load "$name" -c 8 -n 2000 "$base/plaintext"
		if [ "$load_rc" = 1 ] && grep -q "io_uring set-up failed" "$tmp/$name.err"; then
			echo "SKIP: RB_FAULTS=$fault: this kernel cannot run it: $(head -n 3 "$tmp/$name.err" |
				tr '\n' ' ')"
			stop "$srv_pid"
			continue
		fi
		exact_counts "$name" 2000
		check "$name" "$tmp/$name.json" ".ring.faults == [\"$fault\"]"
		fault_check "$name" "$fault"
		RB_FAULTS=$fault load "$name-p8" -c 8 -p 8 -n 2000 "$base/plaintext"
		exact_counts "$name-p8" 2000
		fault_check "$name-p8" "$fault"
		RB_FAULTS=$fault load "$name-body" -c 8 -p 2 -n 100 "$base/bytes/20000"
		exact_counts "$name-body" 100
		check "$name-body" "$tmp/$name-body.json" '.bytes.read > 100 * 20000'
		if [ "$fault" = enobufs ]; then
			# 2 receive buffers of 8 KiB, 20 KB responses: receives run dry, re-armed
			check "$name-body" "$tmp/$name-body.json" '.ring.enobufs > 0'
		fi
		stop "$srv_pid"
	done
else
	echo "SKIP: RB_FAULTS runs against rbserver (no rbserver in this build)"
fi

# An unknown fault: exit 2, and the message names the allowed ones.
testsrv srv-faults
RB_FAULTS=no-multishot,bogus load fault-unknown -c 1 -n 10 "$url"
check_rc fault-unknown 2
check_err fault-unknown "RB_FAULTS: unknown fault 'bogus' \\(allowed: no-multishot, no-defer-taskrun, no-bufring, tiny-cq, enobufs, short-send, accept-fail, sq-full, no-zerocopy, no-ktls, ktls-try\\)"
stop "$srv_pid"

echo "test_rbload.sh: $passed passed, $failed failed in $(($(date +%s) - started)) s"
[ "$failed" -eq 0 ]

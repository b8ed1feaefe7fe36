#!/usr/bin/env bash
# Server benchmark (issue 3, "Speed"): rbserver beside nginx and h2o, measured with wrk in
# one run, alternating servers A B C A B C, on loopback.
#
# usage: bench/server/run.sh [options]
#   -b, --build DIR        build directory holding bin/rbserver (default: <repo>/build)
#   -d, --duration S       seconds per measured wrk run (default: 6; at least 5 is sensible)
#   -w, --warmup S         seconds of the discarded warm-up run per server and mode (default: 3)
#   -r, --runs N           measured runs per server and mode (default: 3)
#   -c, --connections N    wrk / h2load connections (default: 64)
#   -p, --depth N          pipelining depth of the pipelined mode (default: 16)
#   --server-cpu N         CPU the servers are pinned to (default: 0)
#   --client-cpu N         CPU wrk and h2load are pinned to (default: 1)
#   -s, --servers LIST     comma-separated subset of rbserver,nginx,h2o (default: all three)
#   --h2o-handler H        file (file.file: a static 13-byte file, default) or mruby
#   --idle-conns N         idle keep-alive connections for the memory figure (default: 10000)
#   --no-h2load            skip the h2load sliding-window stall check
#   --no-memory            skip the idle-connection memory measurement
#   -o, --out DIR          where the result file goes (default: <repo>/results/server)
#   -h, --help             print this text
#
# Every server is pinned to --server-cpu with one worker: rbserver --threads 1; nginx
# worker_processes 1, `return 200 "Hello, World!"`, text/plain, access_log off
# (bench/server/nginx.conf.in); h2o num-threads 1 (bench/server/h2o.conf.in). The request is
# the TechEmpower plaintext one: GET /plaintext with the TFB Accept header and
# Connection: keep-alive. Modes: unpipelined (wrk, plain.lua) and pipelined (wrk,
# pipeline.lua: a batch of DEPTH requests, sent, then all DEPTH responses awaited). Per mode:
# one warm-up run per server (discarded), then RUNS rounds of A B C. Per run: requests/s (wrk),
# the server's CPU time (utime+stime of all its processes and threads, /proc/PID/stat fields
# 14 and 15, in CLK_TCK ticks) divided by the requests wrk completed, wrk's own CPU time, and
# the busy time of both CPUs (/proc/stat) to show any other load.
# Then the stall check: h2load --h1 -m DEPTH (sliding window) against every server, and the
# batch pattern plus h2load against nginx's static-file location (sendfile on, tcp_nopush on:
# the known stall, as a control), and rbserver under more patterns (wrk depths 2 3 7 64 256,
# h2load -m 1 2 64 256, and -m DEPTH with 1000 connections; 3 s each; bench/server/idle_conns.py
# holds the idle connections). Then bytes of RSS per idle keep-alive connection at
# --idle-conns connections (rbserver and nginx), measured on fresh servers.
# A peer that is not installed is skipped with a line saying so.
#
# Writes OUT/<UTC time>-<commit>.json (environment, configuration, every run, the medians)
# and prints the tables. Build first (Release):
#   cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$root/build
out=$root/results/server
duration=6
warmup=3
runs=3
conns=64
depth=16
scpu=0
ccpu=1
servers=rbserver,nginx,h2o
h2o_handler="file"
idle_conns=10000
do_h2load=1
do_memory=1
ports_base=18080

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
need_arg() { [ $# -ge 2 ] || { echo "run.sh: $1 needs a value" >&2; exit 64; }; }
while [ $# -gt 0 ]; do
	case $1 in
	-b | --build) need_arg "$@"; build=$2; shift ;;
	-d | --duration) need_arg "$@"; duration=$2; shift ;;
	-w | --warmup) need_arg "$@"; warmup=$2; shift ;;
	-r | --runs) need_arg "$@"; runs=$2; shift ;;
	-c | --connections) need_arg "$@"; conns=$2; shift ;;
	-p | --depth) need_arg "$@"; depth=$2; shift ;;
	--server-cpu) need_arg "$@"; scpu=$2; shift ;;
	--client-cpu) need_arg "$@"; ccpu=$2; shift ;;
	-s | --servers) need_arg "$@"; servers=$2; shift ;;
	--h2o-handler) need_arg "$@"; h2o_handler=$2; shift ;;
	--idle-conns) need_arg "$@"; idle_conns=$2; shift ;;
	--no-h2load) do_h2load=0 ;;
	--no-memory) do_memory=0 ;;
	-o | --out) need_arg "$@"; out=$2; shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "run.sh: unknown argument '$1' (--help lists the options)" >&2; exit 64 ;;
	esac
	shift
done
for v in duration warmup runs conns depth scpu ccpu idle_conns; do
	[[ ${!v} =~ ^[0-9]+$ ]] || { echo "run.sh: $v must be a non-negative integer, not '${!v}'" >&2; exit 64; }
done
[ "$runs" -ge 1 ] && [ "$duration" -ge 1 ] && [ "$conns" -ge 1 ] && [ "$depth" -ge 2 ] ||
	{ echo "run.sh: runs, duration and connections must be >= 1, depth >= 2" >&2; exit 64; }
case $h2o_handler in file | mruby) ;; *) echo "run.sh: --h2o-handler is file or mruby" >&2; exit 64 ;; esac

rbserver=$build/bin/rbserver
if [ ! -x "$rbserver" ]; then
	echo "run.sh: $rbserver not found; build first:" >&2
	echo "  cmake -S $root -B $build -DCMAKE_BUILD_TYPE=Release && cmake --build $build" >&2
	exit 1
fi
for tool in jq wrk taskset curl python3; do
	command -v "$tool" >/dev/null || { echo "run.sh: needs $tool (apt-get install ${tool/taskset/util-linux})" >&2; exit 1; }
done
for c in "$scpu" "$ccpu"; do
	taskset -c "$c" true 2>/dev/null || { echo "run.sh: cannot pin to CPU $c" >&2; exit 1; }
done
[ "$scpu" != "$ccpu" ] || echo "run.sh: warning: server and client share CPU $scpu" >&2

# The servers to run, in alternation order; peers that are not installed are skipped.
list=()
IFS=, read -r -a wanted <<<"$servers"
for s in "${wanted[@]}"; do
	case $s in
	rbserver) list+=(rbserver) ;;
	nginx) if command -v nginx >/dev/null; then list+=(nginx); else
		echo "== skipping nginx: not installed (apt-get install nginx-light)" >&2; fi ;;
	h2o) if command -v h2o >/dev/null; then list+=(h2o); else
		echo "== skipping h2o: not installed (apt-get install h2o)" >&2; fi ;;
	*) echo "run.sh: unknown server '$s' (rbserver, nginx, h2o)" >&2; exit 64 ;;
	esac
done
[ ${#list[@]} -gt 0 ] || { echo "run.sh: no server to run" >&2; exit 1; }
if [ "$do_h2load" = 1 ] && ! command -v h2load >/dev/null; then
	echo "== skipping the h2load check: h2load not installed (apt-get install nghttp2-client)" >&2
	do_h2load=0
fi
timebin=""
if [ -x /usr/bin/time ]; then timebin=/usr/bin/time; else
	echo "== no /usr/bin/time (apt-get install time): wrk's own CPU time is not recorded" >&2
fi

clk=$(getconf CLK_TCK)
commit=$(git -C "$root" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
dirty=false
if [ -n "$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null)" ]; then dirty=true; fi
stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out"
result=$out/$stamp-$commit.json
rundir=$(mktemp -d /tmp/rbbench-server.XXXXXX)
chmod 755 "$rundir"   # nginx's worker (nobody) reads www/
runs_file=$rundir/runs.jsonl
: >"$runs_file"
checks_file=$rundir/checks.jsonl
: >"$checks_file"
mkdir -p "$rundir/www/static"
printf 'Hello, World!' >"$rundir/www/plaintext"
cp "$rundir/www/plaintext" "$rundir/www/static/plaintext"
# raise the descriptor limit for the servers, wrk and the idle-connection client
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

accept_hdr='Accept: text/plain,text/html;q=0.9,application/xhtml+xml;q=0.9,application/xml;q=0.8,*/*;q=0.7'
wrk_hdrs=(-H "$accept_hdr" -H 'Connection: keep-alive')

declare -A port pid
port[rbserver]=$((ports_base + 1))
port[nginx]=$((ports_base + 2))
port[h2o]=$((ports_base + 3))
started=()

stop_server() {
	local s=$1 p=${pid[$1]:-}
	[ -n "$p" ] || return 0
	# nginx: QUIT is its graceful stop; rbserver and h2o stop on TERM
	if [ "$s" = nginx ]; then kill -QUIT "$p" 2>/dev/null || true; else kill -TERM "$p" 2>/dev/null || true; fi
	local i
	for i in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
	pid[$s]=""
}
cleanup() {
	local status=$? s
	for s in "${started[@]}"; do stop_server "$s"; done
	if [ -n "${client_pid:-}" ]; then kill "$client_pid" 2>/dev/null || true; fi
	# keep the logs of a failed run
	if [ "$status" = 0 ]; then rm -rf "$rundir"; else echo "run.sh: logs kept in $rundir" >&2; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_server NAME [PORT] [TAG]: pinned to the server CPU, in the foreground (our child), so
# that its PID is known; waits until /plaintext answers.
start_server() {
	local s=$1 p=${2:-${port[$1]}} tag=${3:-$1}
	case $s in
	rbserver)
		taskset -c "$scpu" "$rbserver" --port "$p" --bind 127.0.0.1 --threads 1 \
			--max-conns 32768 2>"$rundir/$tag.log" &
		;;
	nginx)
		sed -e "s|@PORT@|$p|; s|@RUNDIR@|$rundir|g; s|@WORKER_CONNECTIONS@|32768|" \
			"$here/nginx.conf.in" >"$rundir/$tag.conf"
		taskset -c "$scpu" nginx -c "$rundir/$tag.conf" -p "$rundir" -e "$rundir/$tag-error.log" \
			>"$rundir/$tag.log" 2>&1 &
		;;
	h2o)
		local handler
		if [ "$h2o_handler" = file ]; then
			handler="        file.file: $rundir/www/plaintext"
		else
			handler='        mruby.handler: |
          Proc.new do |env|
            [200, {"content-type" => "text/plain"}, ["Hello, World!"]]
          end'
		fi
		awk -v h="$handler" '{ if ($0 == "@HANDLER@") print h; else print }' "$here/h2o.conf.in" |
			sed -e "s|@PORT@|$p|; s|@RUNDIR@|$rundir|g" >"$rundir/$tag.conf"
		taskset -c "$scpu" h2o -c "$rundir/$tag.conf" >"$rundir/$tag.log" 2>&1 &
		;;
	esac
	pid[$s]=$!
	started+=("$s")
	local i
	for i in $(seq 1 100); do
		if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$p/plaintext"; then return 0; fi
		kill -0 "${pid[$s]}" 2>/dev/null || break
		sleep 0.05
	done
	echo "run.sh: $s did not start on port $p; its log:" >&2
	cat "$rundir/$tag.log" "$rundir/$tag-error.log" 2>/dev/null | tail -20 >&2
	exit 1
}

# every process of a server: the PID and its children (nginx's worker)
server_pids() { echo "$1"; pgrep -P "$1" || true; }
# utime+stime in ticks of every process (all threads) of the server
server_ticks() {
	local t=0 p
	for p in $(server_pids "$1"); do
		t=$((t + $(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$p/stat" 2>/dev/null || echo 0)))
	done
	echo "$t"
}
# utime alone (user space), same processes
server_uticks() {
	local t=0 p
	for p in $(server_pids "$1"); do
		t=$((t + $(awk '{ sub(/^.*\) /, ""); print $12 }' "/proc/$p/stat" 2>/dev/null || echo 0)))
	done
	echo "$t"
}
# busy ticks of one CPU from /proc/stat (everything but idle and iowait)
cpu_busy() { awk -v c="cpu$1" '$1 == c { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
# RSS in kB of every process of a server
server_rss_kb() {
	local t=0 p
	for p in $(server_pids "$1"); do
		t=$((t + $(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null || echo 0)))
	done
	echo "$t"
}
rb_stats() { curl -s --max-time 2 "http://127.0.0.1:${port[rbserver]}/stats" || echo '{}'; }
# pinning of every thread of a server
pinning() {
	local p
	for p in $(server_pids "$1"); do cat /proc/"$p"/task/*/status 2>/dev/null; done |
		awk '/^Cpus_allowed_list:/ { print $2 }' | sort -u | paste -sd, -
}

# measure SERVER MODE KIND RUN: one wrk run; appends its JSON line to runs.jsonl unless KIND
# is warmup. MODE: unpipelined | pipelined | pipelined-static (nginx's sendfile location).
measure() {
	local s=$1 mode=$2 kind=$3 run=$4 secs path=/plaintext
	local args=(-s "$here/plain.lua")
	[ "$kind" = warmup ] && secs=$warmup || secs=$duration
	case $mode in
	pipelined) args=(-s "$here/pipeline.lua") ;;
	pipelined-static) args=(-s "$here/pipeline.lua"); path=/static/plaintext ;;
	esac
	local url=http://127.0.0.1:${port[$s]}$path
	local cmd=(taskset -c "$ccpu" wrk -t1 "-c$conns" "-d${secs}s" --timeout 2s "${wrk_hdrs[@]}" "${args[@]}" "$url")
	[ "$mode" = unpipelined ] || cmd+=(-- "$depth")
	local st0 st1 t0 t1 u0 u1 c00 c01 c10 c11 e0 e1 wrkout
	[ "$s" = rbserver ] && st0=$(rb_stats) || st0='{}'
	u0=$(server_uticks "${pid[$s]}"); t0=$(server_ticks "${pid[$s]}"); c00=$(cpu_busy "$scpu"); c10=$(cpu_busy "$ccpu"); e0=$(date +%s.%N)
	if [ -n "$timebin" ]; then
		wrkout=$(timeout $((secs + 30)) $timebin -f 'RBTIME %U %S %e' -o "$rundir/time.out" "${cmd[@]}" 2>&1) || true
	else
		wrkout=$(timeout $((secs + 30)) "${cmd[@]}" 2>&1) || true
	fi
	e1=$(date +%s.%N); t1=$(server_ticks "${pid[$s]}"); u1=$(server_uticks "${pid[$s]}"); c01=$(cpu_busy "$scpu"); c11=$(cpu_busy "$ccpu")
	[ "$s" = rbserver ] && st1=$(rb_stats) || st1='{}'
	local w
	w=$(printf '%s\n' "$wrkout" | sed -n 's/^RBJSON //p' | tail -1)
	if [ -z "$w" ]; then
		echo "run.sh: wrk gave no result for $s $mode:" >&2
		printf '%s\n' "$wrkout" | tail -5 >&2
		w='{"requests":0,"duration_us":1,"bytes":0,"errors":{"connect":0,"read":0,"write":0,"status":0,"timeout":0},"latency_us":null,"no_result":true}'
	fi
	local wu="null" ws="null"
	if [ -n "$timebin" ] && [ -s "$rundir/time.out" ]; then
		read -r _ wu ws _ < <(grep '^RBTIME' "$rundir/time.out")
	fi
	[ "$kind" = warmup ] && { printf '   %-8s %-16s warm-up %ss\n' "$s" "$mode" "$secs" >&2; return 0; }
	jq -cn --arg server "$s" --arg mode "$mode" --argjson run "$run" --argjson w "$w" \
		--argjson t "$((t1 - t0))" --argjson u "$((u1 - u0))" --argjson clk "$clk" --argjson wu "$wu" --argjson ws "$ws" \
		--argjson c0 "$((c01 - c00))" --argjson c1 "$((c11 - c10))" \
		--argjson e "$(awk -v a="$e1" -v b="$e0" 'BEGIN { printf "%.3f", a - b }')" \
		--argjson st0 "$st0" --argjson st1 "$st1" --arg command "${cmd[*]}" '
		($w.requests) as $n | ($w.duration_us / 1e6) as $d |
		{server: $server, mode: $mode, run: $run, command: $command,
		 requests: $n, wrk_duration_s: $d, requests_per_s: (if $d > 0 then ($n / $d | round) else 0 end),
		 errors: $w.errors, latency_us: $w.latency_us, bytes_read: $w.bytes,
		 server_cpu_s: ($t / $clk),
		 server_cpu_us_per_request: (if $n > 0 then ($t / $clk * 1e6 / $n * 1000 | round / 1000) else null end),
		 server_cpu_utilisation: ($t / $clk / $e * 1000 | round / 1000),
		 server_user_share: (if $t > 0 then ($u / $t * 1000 | round / 1000) else null end),
		 wrk_cpu_s: (if $wu == null then null else $wu + $ws end),
		 wrk_cpu_us_per_request: (if $wu == null or $n == 0 then null else (($wu + $ws) * 1e6 / $n * 1000 | round / 1000) end),
		 wrk_cpu_utilisation: (if $wu == null then null else (($wu + $ws) / $e * 1000 | round / 1000) end),
		 server_cpu_busy_s: ($c0 / $clk), client_cpu_busy_s: ($c1 / $clk), elapsed_s: ($e * 1000 | round / 1000)}
		+ (if $st1.workers then
			([$st1.workers[]] | map(.requests) | add) as $r1 | ([$st0.workers[]?] | map(.requests) | add // 0) as $r0 |
			([$st1.workers[]] | map(.sends) | add) as $s1 | ([$st0.workers[]?] | map(.sends) | add // 0) as $s0 |
			{rbserver_stats: {requests: ($r1 - $r0), sends: ($s1 - $s0),
			  requests_per_send: (if $s1 > $s0 then (($r1 - $r0) / ($s1 - $s0) * 100 | round / 100) else null end),
			  enobufs: ([$st1.workers[]] | map(.enobufs) | add), errors: ([$st1.workers[]] | map(.errors) | add),
			  cq_overflow: ([$st1.workers[]] | map(.cq_overflow) | add)}}
		  else {} end)' >>"$runs_file"
	tail -1 "$runs_file" | jq -r '"   \(.server | .+ "        " | .[0:8]) \(.mode | . + "                " | .[0:16]) run \(.run): \(.requests_per_s) req/s, server \(.server_cpu_us_per_request) CPU-us/req (\(.server_cpu_utilisation * 100 | round)% of a CPU), wrk \(.wrk_cpu_utilisation // "?" | if type == "number" then . * 100 | round | tostring + "%" else . end) CPU, errors \(.errors | [.[]] | add)"' >&2
}

echo "== ringbench server benchmark: commit $commit$([ "$dirty" = true ] && echo ' (dirty)'), servers: ${list[*]}" >&2
echo "   server CPU $scpu, client CPU $ccpu, $conns connections, depth $depth, $runs runs of ${duration}s after a ${warmup}s warm-up" >&2
for s in "${list[@]}"; do start_server "$s"; done

# Sanity check: each server answers 200 "Hello, World!" (and the pinning is what we asked)
for s in "${list[@]}"; do
	hdr=$rundir/$s.head
	body=$(curl -s --max-time 2 -D "$hdr" -H "$accept_hdr" "http://127.0.0.1:${port[$s]}/plaintext" || true)
	status=$(awk 'NR == 1 { print $2 }' "$hdr" 2>/dev/null)
	ok=false
	[ "$status" = 200 ] && [ "$body" = "Hello, World!" ] && ok=true
	pins=$(pinning "${pid[$s]}")
	printf '   %-8s curl: status %s, body "%s" -> %s; threads pinned to CPU %s\n' "$s" "$status" "$body" \
		"$([ $ok = true ] && echo ok || echo WRONG)" "$pins" >&2
	jq -cn --arg server "$s" --arg status "$status" --arg body "$body" --argjson ok "$ok" \
		--arg head "$(tr -d '\r' <"$hdr")" --arg pins "$pins" \
		'{check: "curl", server: $server, status: ($status | tonumber? // null), body: $body, ok: $ok,
		  response_head: ($head | split("\n") | map(select(length > 0))), cpus_allowed: $pins}' >>"$checks_file"
	[ $ok = true ] || { echo "run.sh: $s answered wrongly; stopping" >&2; exit 1; }
done
if [[ " ${list[*]} " == *" nginx "* ]]; then
	b=$(curl -s --max-time 2 "http://127.0.0.1:${port[nginx]}/static/plaintext" || true)
	[ "$b" = "Hello, World!" ] || echo "run.sh: nginx /static/plaintext answered '$b'" >&2
fi

# Throughput and CPU per request: per mode, warm-ups, then rounds of A B C
for mode in unpipelined pipelined; do
	echo "== $mode" >&2
	for s in "${list[@]}"; do measure "$s" "$mode" warmup 0; done
	for r in $(seq 1 "$runs"); do
		for s in "${list[@]}"; do measure "$s" "$mode" measured "$r"; done
	done
done

# Stall check. Rule: a run stalls if it reports errors or timeouts, does not complete, or its
# requests/s is below half the same server's unpipelined median (pipelining must never be
# slower than not pipelining).
if [[ " ${list[*]} " == *" nginx "* ]]; then
	echo "== control: nginx static file (sendfile on, tcp_nopush on), wrk batch pipelining" >&2
	measure nginx pipelined-static warmup 0
	measure nginx pipelined-static measured 1
fi
h2load_run() {
	local s=$1 path=$2 label=$3
	local rps n url=http://127.0.0.1:${port[$s]}$path
	rps=$(jq -s --arg s "$s" '[.[] | select(.server == $s and .mode == "pipelined") | .requests_per_s] | sort | .[length / 2 | floor] // 100000' "$runs_file")
	n=$((rps * duration))
	[ "$n" -ge 10000 ] || n=10000
	n=$(((n + conns - 1) / conns * conns))
	local cmd=(taskset -c "$ccpu" h2load --h1 -m "$depth" -c "$conns" -t 1 -n "$n" -H "$accept_hdr" "$url")
	local t0 t1 e0 e1 hout rc=0 limit=$((duration * 3 + 10))
	t0=$(server_ticks "${pid[$s]}"); e0=$(date +%s.%N)
	hout=$(timeout "$limit" "${cmd[@]}" 2>&1) || rc=$?
	e1=$(date +%s.%N); t1=$(server_ticks "${pid[$s]}")
	printf '%s\n' "$hout" >"$rundir/h2load-$label.out"
	local fin req
	fin=$(printf '%s\n' "$hout" | sed -n 's/^finished in \([0-9.]*\)\(m\?s\|us\), \([0-9.]*\) req\/s.*/\1 \2 \3/p' |
		awk '{ t = $1; if ($2 == "ms") t /= 1e3; else if ($2 == "us") t /= 1e6; print t, $3 }')
	req=$(printf '%s\n' "$hout" | sed -n 's/^requests: \([0-9]*\) total, \([0-9]*\) started, \([0-9]*\) done, \([0-9]*\) succeeded, \([0-9]*\) failed, \([0-9]*\) errored, \([0-9]*\) timeout.*/\1 \2 \3 \4 \5 \6 \7/p')
	jq -cn --arg server "$s" --arg tgt "$label" --arg command "${cmd[*]}" --arg fin "$fin" --arg req "$req" \
		--argjson rc "$rc" --argjson limit "$limit" --argjson t "$((t1 - t0))" --argjson clk "$clk" \
		--arg e "$(awk -v a="$e1" -v b="$e0" 'BEGIN { print a - b }')" '
		($fin | split(" ") | map(tonumber)) as $f | ($req | split(" ") | map(tonumber)) as $q |
		{check: "h2load", server: $server, target: $tgt, command: $command, exit_status: $rc,
		 timed_out: ($rc == 124), time_limit_s: $limit,
		 seconds: $f[0], requests_per_s: ($f[1] // 0 | round),
		 requests: {total: $q[0], started: $q[1], done: $q[2], succeeded: $q[3], failed: $q[4], errored: $q[5], timeout: $q[6]},
		 server_cpu_us_per_request: (if ($q[2] // 0) > 0 then ($t / $clk * 1e6 / $q[2] * 1000 | round / 1000) else null end),
		 elapsed_s: ($e | tonumber * 1000 | round / 1000)}' >>"$checks_file"
	tail -1 "$checks_file" | jq -r '"   \(.server) \(.target): \(.requests_per_s) req/s, \(.requests.succeeded // 0)/\(.requests.total // 0) succeeded, \(.requests.failed // 0) failed, \(.requests.errored // 0) errored, \(.requests.timeout // 0) timeout\(if .timed_out then ", KILLED after \(.time_limit_s)s" else "" end)"' >&2
}
if [ "$do_h2load" = 1 ]; then
	echo "== h2load sliding window (--h1 -m $depth -c $conns)" >&2
	for s in "${list[@]}"; do h2load_run "$s" /plaintext "$s"; done
	[[ " ${list[*]} " == *" nginx "* ]] && h2load_run nginx /static/plaintext nginx-static
fi
# More pipelining patterns against rbserver alone (3 s each): wrk batches of other depths
# (odd sizes; 64 and 256 make a batch span several 4 KiB receive buffers) and h2load windows
# of other sizes, and 1000 connections.
pattern_run() {
	local tool=$1 arg=$2 c=$3 url=http://127.0.0.1:${port[rbserver]}/plaintext out rps errs done_
	if [ "$tool" = wrk ]; then
		out=$(taskset -c "$ccpu" timeout 40 wrk -t1 "-c$c" -d3s --timeout 2s "${wrk_hdrs[@]}" \
			-s "$here/pipeline.lua" "$url" -- "$arg" 2>&1 | sed -n 's/^RBJSON //p')
		[ -n "$out" ] || out='{"requests":0,"duration_us":1,"errors":{"none":1}}'
		rps=$(jq '.requests / .duration_us * 1e6 | round' <<<"$out")
		errs=$(jq '[.errors[]] | add' <<<"$out")
		done_=$(jq .requests <<<"$out")
	else
		out=$(taskset -c "$ccpu" timeout 40 h2load --h1 -m "$arg" -c "$c" -t 1 -D 3 -H "$accept_hdr" "$url" 2>&1 || true)
		rps=$(printf '%s\n' "$out" | sed -n 's/^finished in [^,]*, \([0-9.]*\) req\/s.*/\1/p' | awk '{ printf "%d", $1 }')
		done_=$(printf '%s\n' "$out" | sed -n 's/^requests: .* \([0-9]*\) done, .*/\1/p')
		errs=$(printf '%s\n' "$out" | sed -n 's/^requests: .* \([0-9]*\) failed, \([0-9]*\) errored, \([0-9]*\) timeout.*/\1 \2 \3/p' | awk '{ print $1 + $2 + $3 }')
	fi
	jq -cn --arg tool "$tool" --argjson depth "$arg" --argjson c "$c" --argjson rps "${rps:-0}" \
		--argjson errs "${errs:-null}" --argjson n "${done_:-0}" \
		'{check: "pattern", server: "rbserver", tool: $tool, depth: $depth, connections: $c, seconds: 3,
		  requests_per_s: $rps, requests: $n, errors: $errs}' >>"$checks_file"
	printf '   rbserver %-6s %s %4s, %4s connections: %8s req/s, errors %s\n' "$tool" \
		"$([ "$tool" = wrk ] && echo depth || echo '-m   ')" "$arg" "$c" "${rps:-0}" "${errs:-?}" >&2
}
if [[ " ${list[*]} " == *" rbserver "* ]]; then
	echo "== more pipelining patterns, rbserver" >&2
	for d in 2 3 7 64 256; do pattern_run wrk "$d" "$conns"; done
	if [ "$do_h2load" = 1 ]; then
		for m in 1 2 64 256; do pattern_run h2load "$m" "$conns"; done
		pattern_run h2load "$depth" 1000
	fi
fi
for s in "${list[@]}"; do stop_server "$s"; done
started=()

# Memory per idle keep-alive connection, on fresh servers: RSS with 0 connections, then with
# N connections that each sent one request and read its response (so per-connection buffers
# exist), and with N connections that never sent anything.
memory_run() {
	local s=$1 variant=$2 p=$3
	start_server "$s" "$p" "mem-$s-$variant"
	port[$s]=$p
	local flag=""
	[ "$variant" = after-one-request ] && flag=--request
	# warm up first (1 s of wrk), so that memory every server touches once whatever the
	# connection count (rbserver's receive buffer ring, 1024 x 4 KiB, is touched buffer by
	# buffer as receives use it) is in the baseline, not in the per-connection figure
	local rssf rss0 rss1
	rssf=$(server_rss_kb "${pid[$s]}")
	taskset -c "$ccpu" wrk -t1 "-c$conns" -d1s "${wrk_hdrs[@]}" "http://127.0.0.1:$p/plaintext" >/dev/null 2>&1 || true
	sleep 1
	rss0=$(server_rss_kb "${pid[$s]}")
	# exec: the coprocess PID is python's own, so that killing it closes the connections
	coproc client { exec python3 "$here/idle_conns.py" --port "$p" --count "$idle_conns" $flag 2>&1; }
	client_pid=$client_PID
	local line opened=0
	while read -r -t $((60 + idle_conns / 500)) line <&"${client[0]}"; do
		case $line in
		READY*) opened=${line#READY }; break ;;
		*) echo "   client: $line" >&2 ;;
		esac
	done
	# let the server finish accepting, then take the RSS once it is stable
	local prev=-1 i
	for i in $(seq 1 20); do
		sleep 0.5
		rss1=$(server_rss_kb "${pid[$s]}")
		[ "$rss1" = "$prev" ] && break
		prev=$rss1
	done
	local open=null
	if [ "$s" = rbserver ]; then
		open=$(rb_stats | jq '[.workers[]?.connections_open] | if length > 0 then add - 1 else null end')
	fi
	kill "$client_pid" 2>/dev/null || true
	wait "$client_pid" 2>/dev/null || true
	client_pid=""
	jq -cn --arg server "$s" --arg variant "$variant" --argjson n "$opened" --argjson r0 "$rss0" --argjson rf "$rssf" \
		--argjson r1 "$rss1" --argjson open "$open" '
		{check: "idle_memory", server: $server, variant: $variant, connections: $n,
		 server_reported_open: $open, rss_kb_fresh: $rf, rss_kb_before: $r0, rss_kb_after: $r1,
		 bytes_per_connection: (if $n > 0 then (($r1 - $r0) * 1024 / $n | round) else null end)}' >>"$checks_file"
	tail -1 "$checks_file" | jq -r '"   \(.server) \(.variant): \(.connections) connections, RSS fresh \(.rss_kb_fresh) kB, after warm-up \(.rss_kb_before) kB -> \(.rss_kb_after) kB: \(.bytes_per_connection) bytes per connection"' >&2
	stop_server "$s"
	started=()
}
if [ "$do_memory" = 1 ]; then
	need=$((idle_conns + 200))
	if [ "$(ulimit -n)" -lt "$need" ]; then
		echo "== skipping the idle-connection memory: ulimit -n is $(ulimit -n), $need needed" >&2
	else
		echo "== memory per idle keep-alive connection ($idle_conns connections)" >&2
		mp=$((ports_base + 10))
		for s in "${list[@]}"; do
			[ "$s" = h2o ] && continue
			for v in after-one-request never-sent; do
				memory_run "$s" "$v" "$mp"
				mp=$((mp + 1))
			done
		done
	fi
fi

# The result file: environment, configuration, checks, every run and the medians
wrkv=$(wrk -v 2>&1 | head -1 | sed 's/ Copyright.*//' || true)
ngv=$(nginx -v 2>&1 | head -1 || true)
h2ov=$(h2o --version 2>/dev/null | head -1 || true)
h2lv=$(h2load --version 2>/dev/null | head -1 || true)
jq -s --arg commit "$commit" --argjson dirty "$dirty" --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
	--arg command "$0 $*" --arg cpu "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)" \
	--argjson cores "$(nproc --all)" --arg kernel "$(uname -sr)" --arg clk "$clk" \
	--arg wrkv "$wrkv" --arg ngv "$ngv" --arg h2ov "$h2ov" --arg h2lv "$h2lv" \
	--arg rbv "$("$rbserver" --version 2>&1 | head -1)" \
	--argjson duration "$duration" --argjson warmup "$warmup" --argjson nruns "$runs" \
	--argjson conns "$conns" --argjson depth "$depth" --argjson scpu "$scpu" --argjson ccpu "$ccpu" \
	--arg handler "$h2o_handler" --arg servers "${list[*]}" --arg accept "$accept_hdr" \
	--slurpfile checks "$checks_file" '
	def median: sort | if length == 0 then null elif length % 2 == 1 then .[length / 2 | floor]
		else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	def stat(f): [.[] | f | select(. != null)] | {median: median, min: min, max: max};
	. as $runs |
	($runs | group_by(.server + " " + .mode) | map({server: .[0].server, mode: .[0].mode, runs: length,
		requests_per_s: stat(.requests_per_s), server_cpu_us_per_request: stat(.server_cpu_us_per_request),
		wrk_cpu_utilisation: stat(.wrk_cpu_utilisation), server_cpu_utilisation: stat(.server_cpu_utilisation),
		server_user_share: stat(.server_user_share),
		errors: ([.[].errors | [.[]] | add] | add)})) as $med |
	def m(s; mode): ($med[] | select(.server == s and .mode == mode) | .server_cpu_us_per_request.median) // null;
	{git_commit: $commit, git_dirty: $dirty, date: $date, command: $command,
	 environment: {cpu: $cpu, cores: $cores, kernel: $kernel, clk_tck: ($clk | tonumber),
		tools: {wrk: $wrkv, nginx: $ngv, h2o: $h2ov, h2load: $h2lv, rbserver: $rbv}},
	 configuration: {servers: ($servers | split(" ")), server_cpu: $scpu, client_cpu: $ccpu,
		connections: $conns, pipeline_depth: $depth, duration_s: $duration, warmup_s: $warmup, runs: $nruns,
		request: "GET /plaintext, wrk default Host, Connection: keep-alive, \($accept)",
		rbserver: "rbserver --threads 1 --bind 127.0.0.1 --max-conns 32768 (Release build)",
		nginx: "bench/server/nginx.conf.in: worker_processes 1, return 200 \"Hello, World!\", text/plain, access_log off, keepalive_requests 100000000",
		h2o: "bench/server/h2o.conf.in: num-threads 1, \(if $handler == "file" then "file.file (static 13-byte file)" else "mruby.handler" end)",
		stall_rule: "a run stalls if it has errors or timeouts, does not finish, or its req/s is below half the same server unpipelined median"},
	 checks: $checks, runs: $runs, medians: $med,
	 ratios_to_nginx: {
		unpipelined: (if m("rbserver"; "unpipelined") and m("nginx"; "unpipelined") then (m("rbserver"; "unpipelined") / m("nginx"; "unpipelined") * 1000 | round / 1000) else null end),
		pipelined: (if m("rbserver"; "pipelined") and m("nginx"; "pipelined") then (m("rbserver"; "pipelined") / m("nginx"; "pipelined") * 1000 | round / 1000) else null end),
		targets: {unpipelined: 0.65, pipelined: 0.06}}}' "$runs_file" >"$result"

# Tables
echo
jq -r '"commit \(.git_commit)\(if .git_dirty then " (dirty)" else "" end) | \(.environment.cpu) | \(.environment.kernel) | \(.configuration.connections) connections, depth \(.configuration.pipeline_depth), \(.configuration.runs) x \(.configuration.duration_s)s"' "$result"
jq -r '(["server", "mode", "req/s median", "min-max", "CPU-us/req median", "min-max", "user share", "wrk CPU", "errors"] | @tsv),
	(.medians | sort_by(.mode != "unpipelined", .mode, (.server | if . == "rbserver" then 0 elif . == "nginx" then 1 else 2 end))[] |
	 [.server, .mode, .requests_per_s.median, "\(.requests_per_s.min)-\(.requests_per_s.max)",
	  .server_cpu_us_per_request.median, "\(.server_cpu_us_per_request.min)-\(.server_cpu_us_per_request.max)",
	  (if .server_user_share.median then "\(.server_user_share.median * 100 | round)%" else "?" end),
	  (if .wrk_cpu_utilisation.median then "\(.wrk_cpu_utilisation.median * 100 | round)%" else "?" end), .errors] | @tsv)' \
	"$result" | column -t -s $'\t'
jq -r '.ratios_to_nginx | select(.unpipelined != null or .pipelined != null) |
	"rbserver / nginx server CPU per request: unpipelined \(.unpipelined) (target <= \(.targets.unpipelined): \(if .unpipelined == null then "n/a" elif .unpipelined <= .targets.unpipelined then "met" else "NOT met" end)), pipelined \(.pipelined) (target <= \(.targets.pipelined): \(if .pipelined == null then "n/a" elif .pipelined <= .targets.pipelined then "met" else "NOT met" end))"' "$result"
jq -r '. as $o | [.checks[] | select(.check == "h2load")] | select(length > 0) |
	"h2load --h1 -m \($o.configuration.pipeline_depth) (sliding window):",
	(.[] | .server as $s | .target as $t |
	 ([$o.medians[] | select(.server == $s and .mode == "unpipelined") | .requests_per_s.median][0]) as $u |
	 "  \($t): \(.requests_per_s) req/s, \(.server_cpu_us_per_request) CPU-us/req, \(.requests.succeeded)/\(.requests.total) ok, failed \(.requests.failed) errored \(.requests.errored) timeout \(.requests.timeout)" +
	 (if .timed_out or .requests.failed > 0 or .requests.errored > 0 or .requests.timeout > 0 or ($u != null and .requests_per_s < $u / 2) then "  STALL" else "  no stall" end))' "$result"
jq -r '. as $o | [.runs[] | select(.mode == "pipelined-static")] | select(length > 0) | .[] |
	([$o.medians[] | select(.server == "nginx" and .mode == "unpipelined") | .requests_per_s.median][0]) as $u |
	"control, wrk batch pipelining on nginx static (sendfile): \(.requests_per_s) req/s, p50 \(.latency_us.p50) us\(if .requests_per_s < $u / 2 then "  STALL (as expected)" else "  no stall" end)"' "$result"
jq -r '. as $o | ([$o.medians[] | select(.server == "rbserver" and .mode == "unpipelined") | .requests_per_s.median][0]) as $u |
	[.checks[] | select(.check == "pattern")] | select(length > 0) |
	"rbserver, other patterns: " + (map("\(.tool) \(if .tool == "wrk" then "depth" else "-m" end) \(.depth) c\(.connections): \(.requests_per_s)\(if (.errors // 1) > 0 or ($u != null and .requests_per_s < $u / 2) then " STALL" else "" end)") | join(", "))' "$result"
jq -r '.checks[] | select(.check == "idle_memory") |
	"idle keep-alive memory, \(.server) \(.variant): \(.connections) connections, RSS +\(.rss_kb_after - .rss_kb_before) kB = \(.bytes_per_connection) bytes per connection"' "$result"
echo "-> $result" >&2

#!/usr/bin/env bash
# rbload's host-stress modes end to end (docs/loadgen.md): --conn-requests and --close counted
# exactly against rbserver and rbtestsrv, --conn-rate's cap, --slow-send against the server's
# header timeout (408s), --slow-recv's rate, both over https:// too (rbserver --tls-cert: the
# ciphertext paced), host names, status codes and socket errors by name, the pre-flight limits
# (descriptors, ports, --source addresses) and, inside a network namespace whose ephemeral port
# range is made small, --source opening more connections than one address has ports. Each bad flag value exits 2 with a message.
# One "PASS: name: condition" or "FAIL: name: ..." line per check, then a count; exit 1 if any
# check failed. Every rbload run is bounded (-n N or -d 1s..3s); about 30 s.
#
# usage: tests/loadgen/test_host_modes.sh RBLOAD RBTESTSRV RBSERVER   (ctest: rbload_host_modes)
set -euo pipefail

if [ $# -ne 3 ]; then
	echo "usage: $0 RBLOAD RBTESTSRV RBSERVER" >&2
	exit 2
fi
RBLOAD=$1
RBTESTSRV=$2
RBSERVER=$3
for b in "$RBLOAD" "$RBTESTSRV" "$RBSERVER"; do
	[ -x "$b" ] || { echo "test_host_modes.sh: $b is not an executable (build first)" >&2; exit 2; }
done
command -v jq >/dev/null || { echo "test_host_modes.sh: needs jq" >&2; exit 2; }

# shellcheck source=tests/loadgen/lib.sh
. "$(dirname "$0")/lib.sh"

netns=
cleanup_netns()
{
	cleanup
	if [ -n "$netns" ]; then
		ip netns delete "$netns" 2>/dev/null || true
	fi
}
trap cleanup_netns EXIT

started=$(date +%s)
srv_re='.*listening on [^ ]+ port ([0-9]+):.*'

# The total of a /stats counter over the workers (rbserver's connections accepted, this
# request's own among them), fetched with bash's /dev/tcp.
stat_total()
{
	local body
	exec 3<>"/dev/tcp/127.0.0.1/$1"
	printf 'GET /stats HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n' >&3
	body=$(sed '1,/^\r$/d' <&3)
	exec 3<&-
	jq "[.workers[].$2] | add" <<<"$body"
}

start_srv rbserver "$srv_re" "$RBSERVER" --bind 127.0.0.1 --port 0 --threads 1 \
	--header-timeout 1
base=http://127.0.0.1:$port
main_srv_pid=$srv_pid

# ---- --conn-requests: the Nth request says Connection: close; rbserver closes after it --------
before=$(stat_total "$port" connections)
load conn-requests -c 1 -t 1 -n 100 --conn-requests 10 "$base/plaintext"
check_rc conn-requests 0
check conn-requests "$tmp/conn-requests.json" '.requests == 100 and .unanswered == 0'
check conn-requests "$tmp/conn-requests.json" \
	'.connections.established == 10 and .connections.closed_by_server == 10 and .connections.closed_by_rbload == 0'
check conn-requests "$tmp/conn-requests.json" '.status_codes == {"200": 100} and .config.conn_requests == 10'
accepted=$(($(stat_total "$port" connections) - before - 1)) # less the /stats request's own
if [ "$accepted" = 10 ]; then
	pass "conn-requests: rbserver accepted 10 connections"
else
	fail "conn-requests: rbserver accepted $accepted connections, want 10"
fi

# Pipelined: batches never cross the Nth request, which goes alone with Connection: close.
load conn-requests-p4 -c 1 -t 1 -p 4 -n 400 --conn-requests 25 "$base/plaintext"
check conn-requests-p4 "$tmp/conn-requests-p4.json" \
	'.requests == 400 and .unanswered == 0 and ([.errors[]] | add) == 0'
check conn-requests-p4 "$tmp/conn-requests-p4.json" '.connections.established == 16'

# --close is --conn-requests 1. (The other connection may be opening when the 50th request
# goes: one connection more than requests, never used.)
load close-n -c 2 -t 1 -n 50 --close "$base/plaintext"
check close-n "$tmp/close-n.json" \
	'.requests == 50 and .connections.closed_by_server == 50 and (.connections.established | . == 50 or . == 51)'
check close-n "$tmp/close-n.json" '.latency_us.ttfb.count == 50 and .latency_us.connect.count >= 50'

# ---- --conn-rate: a cap, paced ------------------------------------------------------------------
# 100 new connections a second for 2 s: at most 100 * 2 + 2 (one slot of slack at each end).
load conn-rate -c 4 -t 1 -d 2s --close --conn-rate 100 "$base/plaintext"
check_rc conn-rate 0
check conn-rate "$tmp/conn-rate.json" '.connections.established <= 202 and .connections.established >= 150'
check conn-rate "$tmp/conn-rate.json" '[.series[].connections] | length == 2 and all(. <= 102)'
check conn-rate "$tmp/conn-rate.json" '.config.conn_rate == 100'

# ---- --slow-send: slowloris against a 1 s header timeout ----------------------------------------
# 5 bytes/s never finishes a ~60-byte head in 1 s: each connection gets a 408 and is closed.
load slow-send -c 3 -t 1 -d 2500ms --timeout 30s --slow-send 5 "$base/plaintext"
check slow-send "$tmp/slow-send.json" '.status_codes["408"] >= 3 and .connections.closed_by_server >= 3'
check slow-send "$tmp/slow-send.json" '.bytes.written <= 3 * 5 * 3 + 3 * 3'
check slow-send "$tmp/slow-send.json" '.config.slow_send_bps == 5'
# A pause of rbload's own (half a second at 2 bytes/s) is not a timeout, however short --timeout.
load slow-send-pause -c 2 -t 1 -d 2s --timeout 300ms --slow-send 2 "$base/plaintext"
check slow-send-pause "$tmp/slow-send-pause.json" '.errors.timeout == 0 and .status_codes["408"] >= 2'
# Fast enough to finish in time: answered.
load slow-send-ok -c 2 -t 1 -n 4 --slow-send 2000 "$base/plaintext"
check slow-send-ok "$tmp/slow-send-ok.json" '.requests == 4 and .status_codes == {"200": 4}'

# ---- --slow-recv: responses read at the rate asked ----------------------------------------------
# 2,000 bytes/s on each of 2 connections for 2 s, of 100 kB responses: about 8,000 bytes in all,
# never more than the rate allows (plus the piece in hand at the end: 100 bytes a connection).
load slow-recv -c 2 -t 1 -d 2s --slow-recv 2000 "$base/bytes/100000"
check slow-recv "$tmp/slow-recv.json" '.bytes.read <= 2 * 2000 * 2 + 2 * 100 and .bytes.read >= 4000'
check slow-recv "$tmp/slow-recv.json" '.config.slow_recv_bps == 2000'
# A reader too slow for the server's write timeout (1 s): the server resets it, and the reader
# sees the reset once it has read what its 4 KiB receive buffer still held (at 4,000 bytes/s).
start_srv rbserver-wt "$srv_re" "$RBSERVER" --bind 127.0.0.1 --port 0 --threads 1 --write-timeout 1
# Eight 1 MiB responses pipelined: more than the kernel's socket buffers hold, so the server's
# sends stop making progress.
load slow-recv-reset -c 2 -t 1 -p 8 -d 5s --timeout 30s --slow-recv 4000 \
	"http://127.0.0.1:$port/bytes/1048576"
check slow-recv-reset "$tmp/slow-recv-reset.json" \
	'.connections.closed_by_server >= 2 and .errors.reset >= 2 and .socket_errors.ECONNRESET >= 2'
# A reader slow but steady (200,000 bytes/s) is no stuck one: its server's sends complete as it
# reads (TCP_NOTSENT_LOWAT), and the write timeout never fires.
load slow-recv-steady -c 1 -t 1 -n 2 --timeout 30s --slow-recv 200000 \
	"http://127.0.0.1:$port/bytes/524288"
check slow-recv-steady "$tmp/slow-recv-steady.json" \
	'.requests == 2 and .errors.reset == 0 and .bytes.read > 2 * 524288'
stop "$srv_pid"
port=${base##*:}
srv_pid=$main_srv_pid
# Small responses: answered, each in slow pieces.
load slow-recv-ok -c 1 -t 1 -n 3 --slow-recv 10000 "$base/plaintext"
check slow-recv-ok "$tmp/slow-recv-ok.json" '.requests == 3 and .status_codes == {"200": 3}'

# ---- the slow modes over https://: the ciphertext paced ------------------------------------------
# rbserver with a throwaway certificate (openssl req; skipped with a line without openssl).
# --slow-send paces every byte the session sends, the handshake's flights included, and
# --slow-recv reads the ciphertext at the rate before it is fed to the session (these runs
# exited 2, refused, before).
if command -v openssl >/dev/null; then
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
		-subj /CN=localhost -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>"$tmp/openssl.err" ||
		{ echo "test_host_modes.sh: openssl req failed: $(cat "$tmp/openssl.err")" >&2; exit 1; }
	start_srv rbserver-tls "$srv_re" "$RBSERVER" --bind 127.0.0.1 --port 0 --threads 1 \
		--header-timeout 1 --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem"
	tls=https://127.0.0.1:$port
	# One request at 500 bytes/s: about 460 bytes of ciphertext (ClientHello, Finished, the
	# request's record) take about 0.9 s, in 25-byte pieces; answered.
	load tls-slow-send -c 1 -t 1 -n 1 -k --slow-send 500 "$tls/plaintext"
	check_rc tls-slow-send 0
	check tls-slow-send "$tmp/tls-slow-send.json" \
		'.requests == 1 and .status_codes == {"200": 1} and .tls.handshakes == 1'
	written=$(jq '.bytes.written' "$tmp/tls-slow-send.json")
	if [ "$load_ms" -ge $(((written - 25) * 1000 / 500)) ]; then
		pass "tls-slow-send: $written bytes took $load_ms ms at 500 bytes/s"
	else
		fail "tls-slow-send: $written bytes took $load_ms ms, want >= $(((written - 25) * 1000 / 500)) at 500 bytes/s"
	fi
	# A slowloris over TLS: 20 bytes/s never finishes a ClientHello in rbserver's 1 s header
	# deadline (from accept, the handshake included): each connection is closed mid-handshake.
	load tls-slowloris -c 2 -t 1 -d 2500ms --timeout 30s -k --slow-send 20 "$tls/plaintext"
	check tls-slowloris "$tmp/tls-slowloris.json" \
		'.requests == 0 and .errors["tls-handshake"] >= 2 and .tls.handshakes == 0'
	check tls-slowloris "$tmp/tls-slowloris.json" '.bytes.written <= 2 * 20 * 3 + 2 * 2'
	# 2,000 bytes/s on each of 2 connections for 2 s of 100 kB responses: at most what the rate
	# allows (plus the piece in hand at the end), ciphertext counted.
	load tls-slow-recv -c 2 -t 1 -d 2s -k --slow-recv 2000 "$tls/bytes/100000"
	check tls-slow-recv "$tmp/tls-slow-recv.json" \
		'.bytes.read <= 2 * 2000 * 2 + 2 * 100 and .bytes.read >= 4000 and ([.errors[]] | add) == 0'
	load tls-slow-recv-ok -c 1 -t 1 -n 3 -k --slow-recv 10000 "$tls/plaintext"
	check tls-slow-recv-ok "$tmp/tls-slow-recv-ok.json" \
		'.requests == 3 and .status_codes == {"200": 3} and .config.slow_recv_bps == 10000'
	stop "$srv_pid"
	port=${base##*:}
	srv_pid=$main_srv_pid
else
	echo "SKIP: the slow modes over https:// need openssl (apt-get install openssl)"
fi

# ---- host names ---------------------------------------------------------------------------------
name=$(hostname)
if getent ahostsv4 "$name" | grep -q '^127\.'; then
	load hostname -c 1 -t 1 -n 10 "http://$name:$port/plaintext"
	check hostname "$tmp/hostname.json" \
		".requests == 10 and .config.resolved == true and .config.host == \"$name\" and (.config.address | startswith(\"127.\"))"
else
	echo "SKIP: hostname: $name does not resolve to a loopback address here"
fi
load unresolvable -c 1 -n 1 "http://no-such-host.invalid:$port/"
check_rc unresolvable 1
check_err unresolvable "cannot resolve 'no-such-host.invalid'"

# ---- status codes and socket errors by name -----------------------------------------------------
stop "$srv_pid"
testsrv srv-status --status 503
load status-503 -c 2 -t 1 -n 40 --recv-buffers 4 --recv-buffer-size 64 "$url"
check status-503 "$tmp/status-503.json" '.status_codes == {"503": 40} and .status["5xx"] == 40'
check status-503 "$tmp/status-503.json" '.ring.recv_buffers == 4 and .ring.recv_buffer_size == 64'
stop "$srv_pid"
testsrv srv-reset --reset-after 5
load reset -c 2 -t 1 -n 60 "$url"
check reset "$tmp/reset.json" '.socket_errors.ECONNRESET >= 1 and .errors.reset == .socket_errors.ECONNRESET'
check reset "$tmp/reset.json" '.connections.closed_by_server >= 1'
stop "$srv_pid"
# rbtestsrv ignores Connection: close: rbload closes after the Nth response itself.
testsrv srv-keep
load conn-requests-ignored -c 1 -t 1 -n 30 --conn-requests 10 "$url"
check conn-requests-ignored "$tmp/conn-requests-ignored.json" \
	'.requests == 30 and .connections.established == 3 and .connections.closed_by_rbload == 3'

# ---- bad flag values: exit 2 and a message naming what is allowed -------------------------------
bad_flag()
{
	local name=$1 re=$2
	shift 2
	load "$name" "$@"
	check_rc "$name" 2
	check_err "$name" "$re"
}
bad_flag source-junk "--source: 'bogus' is not an address" --source bogus "$url"
bad_flag source-prefix "--source: '127.0.0.0/33' has a bad prefix length; allowed: 0 to 32" \
	--source 127.0.0.0/33 "$url"
bad_flag source-backwards "the last address must not come before the first" \
	--source 127.0.0.9-127.0.0.2 "$url"
bad_flag source-mixed "of another family than the first item" --source 127.0.0.2,::1 "$url"
bad_flag source-family "--source gives IPv6 addresses but 127.0.0.1 is IPv4" --source ::1 "$url"
bad_flag conn-rate-0 "--conn-rate: '0' is not a rate; allowed: new connections per second" \
	--conn-rate 0 "$url"
bad_flag conn-requests-0 "--conn-requests '0': expected an integer from 1" --conn-requests 0 "$url"
bad_flag slow-send-0 "--slow-send '0': expected an integer from 1 to 10000000" --slow-send 0 "$url"
bad_flag slow-recv-big "--slow-recv '99999999': expected an integer from 1 to 10000000" \
	--slow-recv 99999999 "$url"
bad_flag close-conn-requests "--close is --conn-requests 1" --close --conn-requests 2 "$url"
bad_flag recv-buffers-3 "--recv-buffers: 3 is not a power of two; allowed: 1, 2, 4, ... 32768" \
	--recv-buffers 3 "$url"
bad_flag recv-buffer-size "--recv-buffer-size '10': expected an integer from 64 to 1048576" \
	--recv-buffer-size 10 "$url"

# ---- pre-flight limits: descriptors, source addresses -------------------------------------------
load_limited()
{
	local name=$1
	shift
	rm -f "$tmp/$name.json"
	load_rc=0
	(ulimit -n 100 && exec "$RBLOAD" -q --no-progress "$@") >"$tmp/$name.out" \
		2>"$tmp/$name.err" || load_rc=$?
}
load_limited fd-limit -c 200 -d 1s "$url"
check_rc fd-limit 1
check_err fd-limit "^rbload: -c 200 needs 2[0-9][0-9] file descriptors; the limit is 100 \(hard 100\): raise it with ulimit -n, or spread the run over processes$"
load not-local -c 1 -n 1 --source 192.0.2.1 "$url"
check_rc not-local 1
check_err not-local "--source: 192.0.2.1 is not an address of this host"
stop "$srv_pid"

# ---- --source in a namespace with 100 ephemeral ports -------------------------------------------
netns=rbtest-ports-$$
if ip netns add "$netns" 2>/dev/null && ip -n "$netns" link set lo up 2>/dev/null &&
	ip netns exec "$netns" sysctl -qw net.ipv4.ip_local_port_range="40000 40099" 2>/dev/null; then
	inns=(ip netns exec "$netns")
	start_srv ns-rbserver "$srv_re" "${inns[@]}" "$RBSERVER" --bind 127.0.0.1 --port 0 \
		--threads 1
	nsurl=http://127.0.0.1:$port/plaintext
	# 150 connections from one address: refused before starting, naming --source.
	rm -f "$tmp/ns-one.json"
	load_rc=0
	"${inns[@]}" "$RBLOAD" -q --no-progress -c 150 -t 1 -d 1s "$nsurl" \
		>"$tmp/ns-one.out" 2>"$tmp/ns-one.err" || load_rc=$?
	check_rc ns-one 1
	check_err ns-one "-c 150 needs 150 local ports to 127.0.0.1:$port from one source address; the ephemeral port range gives 100 \(net.ipv4.ip_local_port_range = 40000 40099\): spread the connections over 2 or more local addresses with --source"
	# The same from three addresses: every connection opens.
	load_rc=0
	"${inns[@]}" "$RBLOAD" -q --no-progress --json "$tmp/ns-source.json" -c 150 -t 1 -d 1s \
		--source 127.0.0.2-127.0.0.4 "$nsurl" >"$tmp/ns-source.out" 2>"$tmp/ns-source.err" ||
		load_rc=$?
	check_rc ns-source 0
	check ns-source "$tmp/ns-source.json" \
		'.connections.established == 150 and .connections.opened == 150 and ([.errors[]] | add) == 0'
	check ns-source "$tmp/ns-source.json" '.config.source_addresses == 3 and .requests > 0'
	# Ports taken by another run: this one's connects find none left mid-run (EADDRNOTAVAIL),
	# said with the fix.
	run_bg "${inns[@]}" "$RBLOAD" -q --no-progress -c 90 -t 1 -d 6s "$nsurl"
	holder=$bg_pid
	sleep 1
	load_rc=0
	"${inns[@]}" "$RBLOAD" -q --no-progress --json "$tmp/ns-taken.json" -c 40 -t 1 -d 1s \
		"$nsurl" >"$tmp/ns-taken.out" 2>"$tmp/ns-taken.err" || load_rc=$?
	check_err ns-taken "EADDRNOTAVAIL: the local ports of this host's address ran out \(100 in the ephemeral range 40000-40099, net.ipv4.ip_local_port_range\); spread the connections over more addresses with --source"
	# Some connections did open: the run goes on with those, the failures counted by name.
	check_rc ns-taken 0
	check ns-taken "$tmp/ns-taken.json" \
		'.socket_errors.EADDRNOTAVAIL >= 1 and .connections.established >= 1 and .requests > 0'
	stop "$holder"
	# Churn leaves no TIME_WAIT on rbload's side: it closes on the server's FIN, with multishot
	# receives, single-shot ones and a slow reader's alike. (One connection, so that none is
	# left open for rbload to close at the end of the run.)
	# The servers listen outside the ephemeral range, on a port of their own each: a port from
	# the range could be one some earlier connection used, and its TIME_WAIT would count.
	twport=50000
	for mode in multishot no-multishot slow-recv; do
		twport=$((twport + 1))
		extra=()
		[ "$mode" = slow-recv ] && extra=(--slow-recv 100000)
		stop "$srv_pid"
		start_srv "tw-$mode-srv" "$srv_re" "${inns[@]}" "$RBSERVER" --bind 127.0.0.1 \
			--port "$twport" --threads 1
		nsurl=http://127.0.0.1:$port/plaintext
		load_rc=0
		if [ "$mode" = no-multishot ]; then
			RB_FAULTS=no-multishot "${inns[@]}" "$RBLOAD" -q --no-progress -c 1 -t 1 -n 100 \
				--close "$nsurl" >"$tmp/tw-$mode.out" 2>"$tmp/tw-$mode.err" || load_rc=$?
		else
			"${inns[@]}" "$RBLOAD" -q --no-progress -c 1 -t 1 -n 100 --close "${extra[@]}" \
				"$nsurl" >"$tmp/tw-$mode.out" 2>"$tmp/tw-$mode.err" || load_rc=$?
		fi
		check_rc "tw-$mode" 0
		tw=$("${inns[@]}" ss -Htan state time-wait "( dport = :$port )" | wc -l)
		if [ "$tw" = 0 ]; then
			pass "tw-$mode: no TIME_WAIT toward the server's port"
		else
			fail "tw-$mode: $tw TIME_WAIT sockets toward the server's port, want 0"
		fi
	done
	stop "$srv_pid"
else
	echo "SKIP: --source in a network namespace: this sandbox refuses 'ip netns add' or its sysctl"
fi

echo "test_host_modes.sh: $passed passed, $failed failed in $(($(date +%s) - started)) s"
[ "$failed" -eq 0 ]

#!/usr/bin/env bash
# End-to-end tests of the rbparse tool: every corpus message with every variant
# (same JSON from all), malformed messages, responses, chunked bodies, JSON
# escaping, exit statuses and a tiny bench run.  Ends with "N passed, N failed".
#
# usage: parser/cli/test_cli.sh [BUILD_DIR]     (default: <repo>/build; needs jq)
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${1:-$root/build}
rbparse=$build/bin/rbparse
corpus=$root/bench/corpus
pass=0
fail=0

if [ ! -x "$rbparse" ]; then
	echo "test_cli.sh: no $rbparse (build first)" >&2
	exit 1
fi
command -v jq >/dev/null || { echo "test_cli.sh: needs jq" >&2; exit 1; }

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }

# expect NAME WANT_STATUS JQ_FILTER [rbparse args...] < input
# The output must be JSON for which JQ_FILTER is true, and the status WANT_STATUS.
expect() {
	local name=$1 want=$2 filter=$3 out status
	shift 3
	out=$("$rbparse" "$@")
	status=$?
	if [ "$status" != "$want" ]; then
		bad "$name: exit status $status, want $want: $out"
	elif ! jq -e "$filter" <<<"$out" >/dev/null 2>&1; then
		bad "$name: '$filter' is not true of: $out"
	else
		ok
	fi
}

# status NAME WANT_STATUS rbparse args... (output ignored)
status() {
	local name=$1 want=$2 got
	shift 2
	"$rbparse" "$@" >/dev/null 2>&1
	got=$?
	if [ "$got" = "$want" ]; then ok; else bad "$name: exit status $got, want $want"; fi
}

mapfile -t variants < <("$rbparse" variants)
if [ "${#variants[@]}" -ge 1 ] && [ "$("$rbparse" variants --all | wc -l)" -ge "${#variants[@]}" ]; then
	ok
else
	bad "variants: '${variants[*]}'"
fi

# Every corpus message: complete, its head consumed, the same answer from every variant.
for f in "$corpus"/*.http; do
	name=$(basename "$f" .http)
	first=""
	for v in "${variants[@]}"; do
		expect "$name/$v" 0 '.result == "complete" and .version == "1.1" and .consumed > 0' \
			check --variant "$v" <"$f"
		this=$("$rbparse" check --variant "$v" <"$f" | jq -c 'del(.variant)')
		if [ -z "$first" ]; then first=$this; elif [ "$this" = "$first" ]; then ok; else
			bad "$name: $v differs from ${variants[0]}"
		fi
	done
done
expect "post body" 0 '.body_framing == "length" and .content_length == 128 and .body == "complete"
	and .trailing_bytes == 0' check <"$corpus/post.http"
expect "pipelined trailing" 0 '.consumed == 161 and .trailing_bytes == 2415' \
	check <"$corpus/pipelined16.http"

for v in "${variants[@]}"; do
	expect "bare LF/$v" 2 '.result == "error" and .error == "bare_lf" and .http_status == 400' \
		check --variant "$v" < <(printf 'GET / HTTP/1.1\nHost: a\r\n\r\n')
	expect "CL+TE/$v" 2 '.error == "cl_and_te"' check --variant "$v" < <(printf \
		'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n')
	expect "incomplete/$v" 1 '.result == "incomplete" and .consumed == 0' \
		check --variant "$v" < <(printf 'GET / HTTP/1.1\r\nHost: a\r\n')
	# IP-literal authorities (RFC 3986 3.2.2), CONNECT without content (RFC 9110 9.3.6).
	expect "CONNECT IPv6/$v" 0 '.method_id == "CONNECT" and .target == "[2001:db8::1]:443"
		and .host == "[2001:db8::1]:443" and .body_framing == "none"' \
		check --variant "$v" < <(printf \
		'CONNECT [2001:db8::1]:443 HTTP/1.1\r\nHost: [2001:db8::1]:443\r\n\r\n')
	expect "absolute IPv6/$v" 0 '.target == "http://[::1]:8080/x"' check --variant "$v" \
		< <(printf 'GET http://[::1]:8080/x HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n')
	expect "bad IP-literal/$v" 2 '.error == "target"' check --variant "$v" \
		< <(printf 'CONNECT [::1 HTTP/1.1\r\nHost: a\r\n\r\n')
	expect "CONNECT body/$v" 2 '.error == "connect_body" and .http_status == 400' \
		check --variant "$v" < <(printf \
		'CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\nContent-Length: 2\r\n\r\nhi')
	# obs-fold: read in a response (RFC 9112 5.2), refused in a request.
	expect "response obs-fold/$v" 0 '.headers[0] == ["X", "a\r\n b"] and .body_bytes == 2
		and (.flags | index("obs_fold") != null)' check --variant "$v" --response \
		< <(printf 'HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 2\r\n\r\nok')
	expect "response folded CL/$v" 2 '.error == "obs_fold"' check --variant "$v" --response \
		< <(printf 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n 2\r\n\r\nok')
	expect "request obs-fold/$v" 2 '.error == "obs_fold"' check --variant "$v" \
		< <(printf 'GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n')
done
expect "empty input" 1 '.result == "incomplete" and .input_bytes == 0' check </dev/null
expect "response" 0 '.status == 200 and .reason == "OK" and .body_bytes == 5 and (has("method") | not)' \
	check --response < <(printf 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello')
expect "response to HEAD" 0 '.body_framing == "none"' \
	check --response --head < <(printf 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n')
expect "close-delimited" 0 '.body_framing == "close" and .body_bytes == 4' \
	check --response < <(printf 'HTTP/1.1 200 OK\r\n\r\nbody')
expect "chunked" 0 '.chunked == "complete" and .body_bytes == 11 and .trailing_bytes == 3' \
	check < <(printf 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\nGET')
expect "chunked error" 0 '.chunked == "error" and .chunked_error == "chunk_size"' \
	check < <(printf 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n')
expect "flags" 0 '.flags == ["connection_close", "expect_continue", "has_host"]' \
	check < <(printf 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\nExpect: 100-continue\r\n\r\n')
# obs-text and JSON escaping: each byte >= 0x80 is one \u00XX; quote and backslash escaped.
expect "escaping" 0 '.headers[1] == ["X-A", "caf\u00e9 \"q\" \\ \t!"]' \
	check < <(printf 'GET / HTTP/1.1\r\nHost: a\r\nX-A: caf\xe9 "q" \\ \t!\r\n\r\n')
out=$(printf 'GET / HTTP/1.1\r\nHost: a\r\nX-A: \xff\r\n\r\n' | "$rbparse" check)
if LC_ALL=C grep -q '[^ -~]' <<<"$out" || ! grep -qF '\u00ff' <<<"$out"; then
	bad "escaping: output not ASCII or \\u00ff missing: $out"
else
	ok
fi

# The kit's convention: 0 success, 1 failed at run time, 2 bad command line; check's own
# 0 complete, 1 incomplete, 2 error (a parse error or any failure: no JSON then).
status "no command" 2
status "unknown command" 2 frob
status "unknown option" 2 check --frob
status "unknown variant" 2 check --variant nope
status "--head alone" 2 check --head
status "variants unknown option" 2 variants --frob
status "bench --runs 0" 2 bench --runs 0
status "bench unknown corpus" 2 bench --corpus nosuch
status "bench missing dir" 1 bench --corpus-dir /nonexistent
status "--help" 0 --help
status "check --help" 0 check --help
status "bench --help" 0 bench --help
status "too large" 2 check < <(head -c $((16 * 1024 * 1024 + 1)) /dev/zero)

bad_file=$(mktemp --suffix=.http)
printf 'GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\nHost: a\r\n\r\n' >"$bad_file"
status "bench on a failing message" 1 bench --corpus "$bad_file" --runs 1 --min-time-ms 0.05
rm -f "$bad_file"

expect "bench json" 0 '(.results | length) == ('"${#variants[@]}"' * 2)
	and all(.results[]; .ns_per_msg.median > 0 and .gb_per_s > 0)
	and all(.results[] | select(.message == "pipelined16"); .messages == 16)' \
	bench --corpus tfb,pipelined16 --runs 3 --min-time-ms 0.05 --json

echo "rbparse: $pass passed, $fail failed"
[ "$fail" = 0 ]

# What the rbload end-to-end scripts share (sourced by test_rbload.sh and test_host_modes.sh):
# a temporary directory, every process started killed by PID on exit, PASS/FAIL counting, and
# helpers that run rbload and servers and check rbload's JSON report with jq. The sourcing
# script sets RBLOAD, RBTESTSRV and RBSERVER first.

tmp=$(mktemp -d "${TMPDIR:-/tmp}/${0##*/}.XXXXXX")
pids=() # every process started, killed by PID on exit
passed=0
failed=0

cleanup()
{
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pass()
{
	passed=$((passed + 1))
	echo "PASS: $1"
}

fail()
{
	failed=$((failed + 1))
	echo "FAIL: $1"
}

# The report's figures that the checks use, on one line (for FAIL messages).
summary()
{
	jq -c '{requests, sent, unanswered, in_flight_at_end, duration_s, errors, status,
		connections, rate,
		corrected: (.latency_us.corrected | {min, p50, p99, max}),
		uncorrected: (.latency_us.uncorrected | {min, p50, p99, max})}' "$1" 2>&1 ||
		echo "(no JSON report: $(head -c 300 "$1" 2>/dev/null))"
}

# check NAME FILE JQ_CONDITION: the condition must be true of the JSON report in FILE.
check()
{
	local name=$1 file=$2 cond=$3
	if [ -s "$file" ] && jq -e "$cond" "$file" >/dev/null 2>&1; then
		pass "$name: $cond"
	else
		fail "$name: $cond is false; report: $(summary "$file")"
	fi
}

# check_rc NAME WANT: the last rbload run exited with status WANT.
check_rc()
{
	if [ "$load_rc" = "$2" ]; then
		pass "$1: exit status $2"
	else
		fail "$1: exit status $load_rc, want $2; stderr: $(head -c 400 "$tmp/$1.err")"
	fi
}

# check_err NAME REGEX: the last rbload run's stderr matches REGEX (grep -E).
check_err()
{
	if grep -Eq -- "$2" "$tmp/$1.err"; then
		pass "$1: stderr matches '$2'"
	else
		fail "$1: stderr does not match '$2': $(head -c 400 "$tmp/$1.err")"
	fi
}

# run_bg CMD...: start CMD in the background, remember its PID in bg_pid and pids.
run_bg()
{
	"$@" &
	bg_pid=$!
	pids+=("$bg_pid")
}

# stop PID: end a process we started and forget it.
stop()
{
	local p=$1 keep=() q
	kill "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
	for q in "${pids[@]}"; do
		[ "$q" = "$p" ] || keep+=("$q")
	done
	pids=("${keep[@]}")
}

# load NAME ARGS...: rbload -q --no-progress --json $tmp/NAME.json ARGS (stdout in NAME.out,
# stderr in NAME.err); sets load_rc and load_ms. A run that hangs is killed after 40 s.
load()
{
	local name=$1 t0
	shift
	rm -f "$tmp/$name.json"
	t0=$(date +%s%N)
	run_bg timeout -k 5 40 "$RBLOAD" -q --no-progress --json "$tmp/$name.json" "$@" \
		>"$tmp/$name.out" 2>"$tmp/$name.err"
	load_rc=0
	wait "$bg_pid" || load_rc=$?
	stop "$bg_pid"
	load_ms=$((($(date +%s%N) - t0) / 1000000))
}

# try_srv NAME REGEX CMD...: start a server (stdout NAME.out, stderr NAME.err) and wait for
# its port, the first capture of sed -E REGEX in either; sets srv_pid and port. Returns 1 (the
# server stopped) if it did not start.
try_srv()
{
	local name=$1 re=$2 i
	shift 2
	run_bg "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
	srv_pid=$bg_pid
	port=
	for ((i = 0; i < 200; i++)); do
		port=$(sed -nE "s/$re/\\1/p" "$tmp/$name.out" "$tmp/$name.err" | head -n 1)
		[ -n "$port" ] && return 0
		if ! kill -0 "$srv_pid" 2>/dev/null; then
			break
		fi
		sleep 0.05
	done
	stop "$srv_pid"
	return 1
}

# start_srv NAME REGEX CMD...: try_srv, or the script ends.
start_srv()
{
	try_srv "$@" && return 0
	echo "${0##*/}: $1 did not start: $(cat "$tmp/$1.err")" >&2
	exit 1
}

# testsrv NAME [rbtestsrv mode flags]: start rbtestsrv on 127.0.0.1, port 0.
testsrv()
{
	local name=$1
	shift
	start_srv "$name" '^port ([0-9]+)$' "$RBTESTSRV" --bind 127.0.0.1 --port 0 \
		--max-seconds 30 "$@"
	url=http://127.0.0.1:$port/
}

# The conditions most checks share.
no_errors='([.errors[]] | add) == 0'
balanced='.sent == .requests + .unanswered'

# exact_counts NAME N: a -n N run that must have gone perfectly.
exact_counts()
{
	local name=$1 n=$2
	check_rc "$name" 0
	check "$name" "$tmp/$name.json" ".requests == $n and .sent == $n and .unanswered == 0"
	check "$name" "$tmp/$name.json" "$balanced"
	check "$name" "$tmp/$name.json" "$no_errors"
	check "$name" "$tmp/$name.json" ".status[\"2xx\"] == $n"
}

# merge NAME ARGS...: rbload merge ARGS (stdout NAME.out, stderr NAME.err); sets load_rc.
merge()
{
	local name=$1
	shift
	load_rc=0
	timeout -k 5 60 "$RBLOAD" merge "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" || load_rc=$?
}

# same NAME A.json B.json KEYS: KEYS (a jq filter) give the same in both reports.
same()
{
	local name=$1 a=$2 b=$3 keys=$4 x y
	x=$(jq -c "$keys" "$a" 2>&1)
	y=$(jq -c "$keys" "$b" 2>&1)
	if [ "$x" = "$y" ] && [ -n "$x" ]; then
		pass "$name: $keys equal ($x)"
	else
		fail "$name: $keys differ: $x vs $y"
	fi
}

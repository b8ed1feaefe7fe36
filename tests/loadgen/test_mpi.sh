#!/usr/bin/env bash
# rbload-mpi end to end on one host, against rbserver on loopback, three ranks under
# `mpirun -np 3 --oversubscribe --bind-to none`:
#   1. -n, closed loop: the requests are exactly -n and the sum of the ranks' (1001, 1000, 1000),
#      the connections shared out (2 each), the `ranks` array; each rank's --hlog-per-rank log,
#      bucket by bucket, sums to rbload-mpi's --hlog (decoded here); `rbload merge` of the
#      per-rank logs gives rbload-mpi's own count and percentiles, and the same log;
#   2. -R, -d: the rate shared out, Tag=uncorrected lines, the same checks for both latencies;
#   3. a rank that cannot connect (an MPMD launch: rank 2 gets a closed port) stops every rank:
#      rank 0 names it and why, the status is not 0, nothing hangs (each mpirun is bounded); so
#      does a rank whose own command line fails (its --body-file missing);
#   4. command-line errors said once (by rank 0), --help, the bound-CPU warning;
#   5. rbbench's `ranks` parameter: a tiny suite of 1 and 2 ranks, recorded in the result;
#   6. https:// (rbserver --tls-cert, -k) over two ranks (also under RB_FAULTS=ktls-try: the
#      refused kTLS hand-overs summed): the handshakes are all ranks' (more
#      than one rank's, at most the connections established), their histogram's count the same.
# Skipped (exit 77, one line) without rbload-mpi (no MPI at configure) or mpirun.
# One PASS/FAIL line per check; exit 1 if any failed. About 30 s.
#
# usage: tests/loadgen/test_mpi.sh RBLOAD_MPI RBLOAD RBSERVER   (ctest: rbload_mpi)
set -euo pipefail

if [ $# -ne 3 ]; then
	echo "usage: $0 RBLOAD_MPI RBLOAD RBSERVER" >&2
	exit 2
fi
RBLOAD_MPI=$1
RBLOAD=$2
RBSERVER=$3
if [ "$RBLOAD_MPI" = none ] || [ ! -x "$RBLOAD_MPI" ]; then
	echo "test_mpi.sh: SKIP: rbload-mpi is not built (CMake found no MPI: apt-get install libopenmpi-dev openmpi-bin)"
	exit 77
fi
if ! command -v mpirun >/dev/null; then
	echo "test_mpi.sh: SKIP: no mpirun (apt-get install openmpi-bin)"
	exit 77
fi
for b in "$RBLOAD" "$RBSERVER"; do
	[ -x "$b" ] || { echo "test_mpi.sh: $b is not an executable (build first)" >&2; exit 2; }
done
for c in jq python3; do
	command -v "$c" >/dev/null || { echo "test_mpi.sh: needs $c" >&2; exit 2; }
done

# shellcheck source=tests/loadgen/lib.sh
. "$(dirname "$0")/lib.sh"
started=$(date +%s)

# Open MPI on one host: the ranks talk through shared memory only (no network transport probed,
# no single-copy mechanism that a container may forbid); as root it needs its two variables.
export OMPI_MCA_btl=self,vader OMPI_MCA_pml=ob1 OMPI_MCA_btl_vader_single_copy_mechanism=none
export OMPI_MCA_rmaps_base_oversubscribe=1
if [ "$(id -u)" = 0 ]; then
	export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
# LeakSanitizer (the sanitizer build): what Open MPI and its libraries keep until exit is not
# rbload's. Their stacks only resolve with the plug-ins kept loaded and the slow unwinder
# (Debian builds them without frame pointers).
export OMPI_MCA_mca_base_component_disable_dlclose=1
cat >"$tmp/lsan.supp" <<'EOF'
leak:libmpi.so
leak:libopen-pal.so
leak:libopen-rte.so
leak:libpmix.so
leak:libhwloc.so
leak:libevent
leak:mca_
EOF
export LSAN_OPTIONS="suppressions=$tmp/lsan.supp:print_suppressions=0:fast_unwind_on_malloc=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

# mpi NAME NP ARGS...: mpirun -np NP --oversubscribe --bind-to none rbload-mpi -q --no-progress
# ARGS, bounded to 60 s (stdout NAME.out, stderr NAME.err); sets load_rc.
mpi()
{
	local name=$1 np=$2
	shift 2
	load_rc=0
	timeout -k 5 60 mpirun -np "$np" --oversubscribe --bind-to none \
		"$RBLOAD_MPI" -q --no-progress "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" || load_rc=$?
}

# The interval logs decoded, bucket by bucket: sumcheck.py MERGED RANK_LOG... prints "ok N"
# when, for every tag and interval start, MERGED's counts equal the sum of the ranks' (N
# values in all), else what differs.
cat >"$tmp/sumcheck.py" <<'EOF'
import base64, struct, sys, zlib

def counts(b64):
    raw = base64.b64decode(b64)
    cookie, zlen = struct.unpack(">ii", raw[:8])
    assert cookie == 0x1c849314, hex(cookie)
    v2 = zlib.decompress(raw[8:8 + zlen])
    cookie, plen = struct.unpack(">ii", v2[:8])
    assert cookie == 0x1c849313, hex(cookie)
    p, out, idx, i = v2[40:40 + plen], {}, 0, 0
    while i < len(p):
        v, shift = 0, 0
        for k in range(9):  # ZigZag LEB128, the 9th byte whole
            b = p[i]
            i += 1
            if k == 8:
                v |= b << 56
                break
            v |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        v = (v >> 1) ^ -(v & 1)
        if v < 0:
            idx += -v
        else:
            if v:
                out[idx] = out.get(idx, 0) + v
            idx += 1
    return out

def log(path):
    base, sums = None, {}
    for line in open(path):
        line = line.strip()
        if line.startswith("#[BaseTime: "):
            base = float(line.split()[1])
        if not line or line[0] == "#" or line.startswith('"'):
            continue
        f = line.split(",")
        tag = f[0][4:] if f[0].startswith("Tag=") else ""
        f = f[1:] if tag else f
        key = (tag, round((base or 0) + float(f[0]), 3))
        d = sums.setdefault(key, {})
        for k, v in counts(f[3]).items():
            d[k] = d.get(k, 0) + v
    return sums

merged, want = log(sys.argv[1]), {}
for path in sys.argv[2:]:
    for key, d in log(path).items():
        w = want.setdefault(key, {})
        for k, v in d.items():
            w[k] = w.get(k, 0) + v
if merged != want:
    for key in sorted(set(merged) | set(want)):
        if merged.get(key) != want.get(key):
            print("differ at", key, "merged", sum((merged.get(key) or {}).values()),
                  "ranks", sum((want.get(key) or {}).values()))
            break
    sys.exit(1)
print("ok", sum(sum(d.values()) for d in merged.values()))
EOF

# sumcheck NAME MERGED RANK_LOG...
sumcheck()
{
	local name=$1 out
	shift
	if out=$(python3 "$tmp/sumcheck.py" "$@" 2>&1); then
		pass "$name: the merged log is the ranks' logs summed bucket by bucket ($out values)"
	else
		fail "$name: the merged log is not the ranks' logs summed: $out"
	fi
}

start_srv rbserver '.*listening on [^ ]+ port ([0-9]+):.*' \
	"$RBSERVER" --bind 127.0.0.1 --port 0 --threads 1
url=http://127.0.0.1:$port/plaintext

# ---- 1. -n over three ranks: exact, per rank, the logs ---------------------------------------
mpi exact 3 -c 6 -n 3001 --json "$tmp/exact.json" --hlog "$tmp/exact.hlog" \
	--hgrm "$tmp/exact.hgrm" --hlog-per-rank "$tmp/exact-rank" "$url"
check_rc exact 0
exact_counts exact 3001
j=$tmp/exact.json
check exact "$j" '.config.ranks == 3 and .config.connections == 6 and .config.requests_limit == 3001'
check exact "$j" '(.ranks | length) == 3 and [.ranks[].rank] == [0, 1, 2]'
check exact "$j" '[.ranks[].requests] == [1001, 1000, 1000] and ([.ranks[].requests] | add) == .requests'
check exact "$j" '[.ranks[].connections] == [2, 2, 2] and ([.ranks[].sent] | add) == .sent'
check exact "$j" '[.ranks[] | .errors == 0 and .stopped_early == null and (.host | length) > 0
	and .start_skew_us >= 0 and .start_skew_us < 200000 and .clock_rtt_us >= 0] | all'
check exact "$j" '.latency_us.corrected.count == 3001 and .latency_us.uncorrected.count == 3001'
check exact "$j" '([.series[].requests] | add) <= 3001'
for r in 0 1 2; do
	if [ -s "$tmp/exact-rank.$r.hlog" ]; then
		pass "exact: rank $r wrote exact-rank.$r.hlog"
	else
		fail "exact: no exact-rank.$r.hlog: $(echo "$tmp"/exact-rank*)"
	fi
done
sumcheck exact "$tmp/exact.hlog" "$tmp"/exact-rank.{0,1,2}.hlog
merge exact-merge "$tmp"/exact-rank.{0,1,2}.hlog --json "$tmp/exact-merge.json" \
	--hlog "$tmp/exact-merge.hlog"
check_rc exact-merge 0
check exact-merge "$tmp/exact-merge.json" '.requests == 3001 and (.inputs | length) == 3'
check exact-merge "$tmp/exact-merge.json" '[.inputs[].requests] == [1001, 1000, 1000]'
same exact-merge "$j" "$tmp/exact-merge.json" \
	'.latency_us.corrected | {count, p50, p75, p90, p99, p999, p9999, p100, max}'
if diff <(grep -v '^#rbload' "$tmp/exact.hlog") <(grep -v '^#rbload' "$tmp/exact-merge.hlog") \
	>"$tmp/exact-diff.txt"; then
	pass "exact: rbload merge of the ranks' logs writes rbload-mpi's --hlog"
else
	fail "exact: rbload merge's log differs from rbload-mpi's: $(head -c 300 "$tmp/exact-diff.txt")"
fi
if grep -Eq "^#\\[Max += +[0-9.]+, Total count += +3001\\]$" "$tmp/exact.hgrm"; then
	pass "exact: --hgrm totals the count"
else
	fail "exact: --hgrm: $(tail -n 2 "$tmp/exact.hgrm" 2>&1)"
fi

# ---- 2. open loop over three ranks for 2 s ---------------------------------------------------
mpi open 3 -c 6 -R 600 -d 2s --json "$tmp/open.json" --hlog "$tmp/open.hlog" \
	--hlog-per-rank "$tmp/open-rank" "$url"
check_rc open 0
j=$tmp/open.json
check open "$j" "$no_errors and $balanced"
check open "$j" '.config.rate == 600 and .rate.requested == 600 and .config.mode == "open"'
check open "$j" '[.ranks[].rate_requested] == [200, 200, 200] and ([.ranks[].requests] | add) == .requests'
check open "$j" '.requests > 1000 and .requests <= 1210 and (.series | length) == 2'
check open "$j" '([.series[].requests] | add) == .requests'
n_tag=$(grep -c '^Tag=uncorrected,' "$tmp/open.hlog" || true)
[ "$n_tag" = 2 ] && pass "open: 2 Tag=uncorrected lines" || fail "open: $n_tag Tag=uncorrected lines, want 2"
sumcheck open "$tmp/open.hlog" "$tmp"/open-rank.{0,1,2}.hlog
merge open-merge "$tmp"/open-rank.{0,1,2}.hlog --json "$tmp/open-merge.json"
check_rc open-merge 0
for kind in corrected uncorrected; do
	same "open-merge-$kind" "$j" "$tmp/open-merge.json" \
		".latency_us.$kind | {count, p50, p75, p90, p99, p999, p9999, p100, max}"
done
same open-merge-series "$j" "$tmp/open-merge.json" '[.series[] | {requests, p50_us, p99_us, max_us}]'

# ---- 3. a rank that cannot connect stops them all, promptly -------------------------------------
closed_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
t0=$(date +%s)
load_rc=0
timeout -k 5 60 mpirun --oversubscribe --bind-to none \
	-np 2 "$RBLOAD_MPI" -q --no-progress -c 3 -d 2s "$url" : \
	-np 1 "$RBLOAD_MPI" -q --no-progress -c 3 -d 2s "http://127.0.0.1:$closed_port/plaintext" \
	>"$tmp/refused.out" 2>"$tmp/refused.err" || load_rc=$?
secs=$(($(date +%s) - t0))
if [ "$load_rc" != 0 ] && [ "$load_rc" != 124 ] && [ "$load_rc" != 137 ]; then
	pass "refused: exit status $load_rc (not 0, not a timeout) after $secs s"
else
	fail "refused: exit status $load_rc after $secs s; stderr: $(head -c 400 "$tmp/refused.err")"
fi
check_err refused "^rbload-mpi: rank 2: cannot connect to 127\\.0\\.0\\.1:$closed_port: Connection refused$"
check_err refused "^rbload-mpi: 1 of 3 ranks could not start: no rank ran$"
[ "$secs" -lt 30 ] && pass "refused: over in $secs s" || fail "refused: took $secs s"

# A rank whose own command line fails (its --body-file is missing on its host) stops all too.
t0=$(date +%s)
load_rc=0
timeout -k 5 60 mpirun --oversubscribe --bind-to none \
	-np 2 "$RBLOAD_MPI" -q --no-progress -c 3 -d 2s "$url" : \
	-np 1 "$RBLOAD_MPI" -q --no-progress -c 3 -d 2s --body-file "$tmp/nope" "$url" \
	>"$tmp/nobody.out" 2>"$tmp/nobody.err" || load_rc=$?
secs=$(($(date +%s) - t0))
if [ "$load_rc" != 0 ] && [ "$load_rc" != 124 ] && [ "$load_rc" != 137 ] && [ "$secs" -lt 30 ]; then
	pass "nobody: exit status $load_rc after $secs s"
else
	fail "nobody: exit status $load_rc after $secs s; stderr: $(head -c 400 "$tmp/nobody.err")"
fi
check_err nobody "^rbload: --body-file: '.*/nope': No such file or directory \\(see rbload --help\\)$"

# ---- 4. command lines, --help, the CPU warning ----------------------------------------------------
mpi few 3 -c 2 -d 1s "$url"
[ "$load_rc" != 0 ] && pass "few: exit status $load_rc" || fail "few: exit status 0"
n=$(grep -c 'fewer than the 3 ranks' "$tmp/few.err" || true)
[ "$n" = 1 ] && pass "few: -c 2 over 3 ranks refused, said once" ||
	fail "few: said $n times: $(head -c 300 "$tmp/few.err")"
mpi bad 3 -c 3 --bogus "$url"
n=$(grep -c "^rbload: unknown flag '--bogus'" "$tmp/bad.err" || true)
[ "$n" = 1 ] && pass "bad: an unknown flag said once" || fail "bad: said $n times: $(head -c 300 "$tmp/bad.err")"
mpi help 2 --help
check_rc help 0
for s in 'hlog-per-rank PREFIX' 'bind-to none' '--start-at EPOCH' 'Usage: rbload'; do
	grep -q -- "$s" "$tmp/help.out" && pass "help: $s" || fail "help lacks '$s'"
done
n=$(grep -c '^Usage: mpirun' "$tmp/help.out" || true)
[ "$n" = 1 ] && pass "help: printed once" || fail "help: printed $n times"
load_rc=0
timeout -k 5 60 taskset -c 0 mpirun -np 1 --bind-to none "$RBLOAD_MPI" -q --no-progress -t 2 -c 2 \
	-n 100 "$url" >"$tmp/bound.out" 2>"$tmp/bound.err" || load_rc=$?
check_rc bound 0
check_err bound "rank 0 \\(.*\\): warning: 2 threads but 1 CPU allowed \\(the affinity mask\\): they share them; start the ranks unbound \\(mpirun --bind-to none"
stop "$srv_pid"

# ---- 5. rbbench's `ranks`: a tiny suite of 1 and 2 ranks, rbload-mpi under mpirun ----------------
build=$(cd "$(dirname "$RBLOAD")/.." && pwd)
rbbench=$(dirname "$0")/../../bench/rbbench
printf '%s\n' 'description = "test_mpi.sh: rbbench'"'"'s ranks parameter"' '[defaults]' \
	'duration = "1s"' 'warmup = "0"' 'reps = 1' 'threads = 1' 'connections = 4' '[[case]]' \
	'name = "plaintext"' 'path = "/plaintext"' 'ranks = [1, 2]' >"$tmp/ranks.toml"
load_rc=0
timeout -k 5 120 python3 "$rbbench" run "$tmp/ranks.toml" --build "$build" --out "$tmp/bench" \
	>"$tmp/bench.out" 2>&1 || load_rc=$?
check_rc bench 0
res=$(echo "$tmp"/bench/ranks/*.json)
check bench "$res" '.status == "ok" and [.configurations[].params.ranks] == [1, 2]'
check bench "$res" '[.configurations[] | .status == "ok" and .repetitions[0].requests > 0
	and .repetitions[0].errors_total == 0] | all'
check bench "$res" '(.configurations[1].loadgen_command | index("mpirun")) != null and
	(.configurations[1].loadgen_command | map(endswith("/rbload-mpi")) | any)'

# ---- 6. https:// over two ranks: the TLS facts summed, the handshake histogram too ---------------
# rbserver with a throwaway certificate (openssl req); -k.  Each connection asks --conn-requests
# 5 and reconnects: each rank's 100 requests take 20 connections, so 20 handshakes at most per
# rank (the first opens, held before the window, are not in it).  The report's handshakes must
# be more than one rank's, at most the connections established in the window, and the
# handshake histogram's count must be the same number (it was rank 0's alone).
if command -v openssl >/dev/null; then
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
		-subj /CN=localhost -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>"$tmp/openssl.err" ||
		{ echo "test_mpi.sh: openssl req failed: $(cat "$tmp/openssl.err")" >&2; exit 1; }
	start_srv rbserver-tls '.*listening on [^ ]+ port ([0-9]+):.*' \
		"$RBSERVER" --bind 127.0.0.1 --port 0 --threads 1 \
		--tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem"
	mpi tls 2 -t 1 -c 4 -n 200 --conn-requests 5 -k --json "$tmp/tls.json" \
		"https://127.0.0.1:$port/plaintext"
	check_rc tls 0
	check tls "$tmp/tls.json" '.requests == 200 and ([.errors[]] | add) == 0 and (.ranks | length) == 2'
	check tls "$tmp/tls.json" \
		'.tls.handshakes > 20 and .tls.handshakes <= .connections.established'
	check tls "$tmp/tls.json" '.tls.handshake_us.count == .tls.handshakes'
	check tls "$tmp/tls.json" '.tls.full + .tls.resumed == .tls.handshakes'
	# RB_FAULTS=ktls-try (inherited by the local ranks): every socket tries the kTLS TX
	# hand-over and this kernel refuses it; the refusals are summed over the ranks (more than
	# one rank's 20 sockets could give) and the report says user space with a reason.
	RB_FAULTS=ktls-try mpi tls-ktls 2 -t 1 -c 4 -n 200 --conn-requests 5 -k \
		--json "$tmp/tls-ktls.json" "https://127.0.0.1:$port/plaintext"
	check_rc tls-ktls 0
	check tls-ktls "$tmp/tls-ktls.json" '.requests == 200 and ([.errors[]] | add) == 0'
	check tls-ktls "$tmp/tls-ktls.json" \
		'.tls.ktls == false and .tls.ktls_tx == 0 and .tls.ktls_refused > 20'
	check tls-ktls "$tmp/tls-ktls.json" '.tls.ktls_why | test("tls")'
	stop "$srv_pid"
else
	echo "test_mpi.sh: SKIP (section 6): no openssl (apt-get install openssl)"
fi

echo "test_mpi.sh: $passed passed, $failed failed in $(($(date +%s) - started)) s"
[ "$failed" -eq 0 ]

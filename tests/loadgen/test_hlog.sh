#!/usr/bin/env bash
# rbload --hlog, --start-at and rbload merge end to end, against rbtestsrv: the interval log's
# header and one line per second (Tag=uncorrected ones in open loop); rbload merge of one log
# reproducing its run's count and percentiles exactly (and the log itself); two rbload processes
# started with --start-at the same instant merged (count = the sum, p100 = the larger max, the
# same seconds); logs of finer buckets merged, coarser ones refused; corrupt logs refused with
# FILE:LINE; bad flags. The reference decoder's checks (Java's HistogramLogProcessor) are
# test_hlog_java.sh. One PASS/FAIL line per check; exit 1 if any failed. About 15 s.
#
# usage: tests/loadgen/test_hlog.sh RBLOAD RBTESTSRV   (ctest: rbload_hlog)
set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: $0 RBLOAD RBTESTSRV" >&2
	exit 2
fi
RBLOAD=$1
RBTESTSRV=$2
for b in "$RBLOAD" "$RBTESTSRV"; do
	[ -x "$b" ] || { echo "test_hlog.sh: $b is not an executable (build first)" >&2; exit 2; }
done
for c in jq python3; do
	command -v "$c" >/dev/null || { echo "test_hlog.sh: needs $c" >&2; exit 2; }
done

# shellcheck source=tests/loadgen/lib.sh
. "$(dirname "$0")/lib.sh"
started=$(date +%s)

testsrv srv

# ---- 1. the log of a closed-loop run: header, one line per second ---------------------------
load closed -c 4 -d 2s --hlog "$tmp/closed.hlog" "$url"
check_rc closed 0
h=$tmp/closed.hlog
if [ -s "$h" ] &&
	grep -qx '#\[Histogram log format version 1.3\]' "$h" &&
	grep -Eqx '#\[StartTime: [0-9]{10}\.[0-9]{3} \(seconds since epoch\), [A-Z][a-z]{2} [A-Z][a-z]{2} [0-9]{2} [0-9:]{8} UTC [0-9]{4}\]' "$h" &&
	grep -Eqx '#\[BaseTime: [0-9]{10}\.[0-9]{3} \(seconds since epoch\)\]' "$h" &&
	grep -qx '"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"' "$h"; then
	pass "closed: the log's header (version 1.3, StartTime, BaseTime, legend)"
else
	fail "closed: the log's header: $(head -c 400 "$h" 2>&1)"
fi
lines=$(grep -Ec '^[0-9]+\.[0-9]{3},1\.000,[0-9]+\.[0-9]{6},HISTFAAA[A-Za-z0-9+/]+=*$' "$h" || true)
if [ "$lines" = 2 ] && ! grep -q '^Tag=' "$h"; then
	pass "closed: two 1-second interval lines for -d 2s, none tagged"
else
	fail "closed: $lines 1-second interval lines for -d 2s: $(grep -v '^#' "$h" | cut -c1-60)"
fi
start=$(sed -nE 's/^#\[StartTime: ([0-9.]+) .*/\1/p' "$h")
check closed "$tmp/closed.json" "((.window_start - $start) | fabs) < 0.001"

# ---- 2. open loop: Tag=uncorrected lines beside the untagged ones ----------------------------
load open -c 4 -R 1000 -d 2s --hlog "$tmp/open.hlog" "$url"
check_rc open 0
n_unt=$(grep -Ec '^[0-9.]+,1\.000,' "$tmp/open.hlog" || true)
n_tag=$(grep -Ec '^Tag=uncorrected,[0-9.]+,1\.000,' "$tmp/open.hlog" || true)
if [ "$n_unt" = 2 ] && [ "$n_tag" = 2 ]; then
	pass "open: 2 untagged and 2 Tag=uncorrected lines"
else
	fail "open: $n_unt untagged and $n_tag Tag=uncorrected lines, want 2 and 2"
fi

# ---- 3. merging one log alone reproduces its run ------------------------------------------------
for run in closed open; do
	merge "merge-$run" "$tmp/$run.hlog" --json "$tmp/merge-$run.json" --hlog "$tmp/merge-$run.hlog" \
		--hgrm "$tmp/merge-$run.hgrm"
	check_rc "merge-$run" 0
	check "merge-$run" "$tmp/merge-$run.json" \
		".requests == $(jq .requests "$tmp/$run.json") and (.inputs | length) == 1 and
		 .inputs[0].requests == .requests and (.series | length) == 2"
	for kind in corrected uncorrected; do
		same "merge-$run-$kind" "$tmp/$run.json" "$tmp/merge-$run.json" \
			".latency_us.$kind | {count, p50, p75, p90, p99, p999, p9999, p100, max}"
	done
	same "merge-$run-series" "$tmp/$run.json" "$tmp/merge-$run.json" \
		'[.series[] | {requests, p50_us, p99_us, max_us}]'
	# the merged log holds the same histograms (the first comment line names the tool)
	if diff <(grep -v '^#rbload' "$tmp/$run.hlog") <(grep -v '^#rbload' "$tmp/merge-$run.hlog") \
		>/dev/null; then
		pass "merge-$run: the merged log of one log is that log"
	else
		fail "merge-$run: the merged log differs from its input"
	fi
	if grep -Eq "^#\\[Max += +[0-9.]+, Total count += +$(jq .requests "$tmp/$run.json")\\]$" \
		"$tmp/merge-$run.hgrm"; then
		pass "merge-$run: --hgrm totals the count"
	else
		fail "merge-$run: --hgrm: $(tail -n 3 "$tmp/merge-$run.hgrm" 2>&1)"
	fi
done
grep -q 'Latency (uncorrected)' "$tmp/merge-open.out" && grep -q 'Inputs:' "$tmp/merge-open.out" &&
	pass "merge-open: the summary shows both latencies and the inputs" ||
	fail "merge-open: summary: $(head -c 300 "$tmp/merge-open.out")"

# ---- 4. two processes started at the same instant --------------------------------------------
at=$(python3 -c 'import time; print(f"{time.time() + 1.5:.3f}")')
run_bg timeout -k 5 40 "$RBLOAD" -q --no-progress -c 2 -d 2s --start-at "$at" \
	--json "$tmp/p1.json" --hlog "$tmp/p1.hlog" "$url" >"$tmp/p1.out" 2>"$tmp/p1.err"
p1=$bg_pid
load p2 -c 2 -R 500 -d 2s --start-at "$at" --hlog "$tmp/p2.hlog" "$url"
p1_rc=0
wait "$p1" || p1_rc=$?
stop "$p1"
check_rc p2 0
[ "$p1_rc" = 0 ] && pass "p1: exit status 0" || fail "p1: exit status $p1_rc: $(cat "$tmp/p1.err")"
for p in p1 p2; do
	check "$p" "$tmp/$p.json" "((.window_start - $at) | fabs) < 0.002 and .config.start_at == $at"
	if grep -q "^#\\[StartTime: $at " "$tmp/$p.hlog"; then
		pass "$p: StartTime is the --start-at instant"
	else
		fail "$p: StartTime: $(grep StartTime "$tmp/$p.hlog")"
	fi
done
merge both "$tmp/p1.hlog" "$tmp/p2.hlog" --json "$tmp/both.json" --hlog "$tmp/both.hlog"
check_rc both 0
sum=$(($(jq .requests "$tmp/p1.json") + $(jq .requests "$tmp/p2.json")))
max=$(jq -s '[.[].latency_us.corrected.p100] | max' "$tmp/p1.json" "$tmp/p2.json")
check both "$tmp/both.json" ".requests == $sum and .latency_us.corrected.count == $sum"
check both "$tmp/both.json" ".latency_us.corrected.p100 == $max and .latency_us.corrected.max == $max"
check both "$tmp/both.json" "(.series | length) == 2 and ([.series[].requests] | add) == $sum"
check both "$tmp/both.json" ".start_time == $at and ((.duration_s - 2) | fabs) < 0.01"
check both "$tmp/both.json" \
	"[.inputs[] | .requests] == [$(jq .requests "$tmp/p1.json"), $(jq .requests "$tmp/p2.json")]"
# p1 is closed loop (no uncorrected lines): its values count as uncorrected too
check both "$tmp/both.json" ".latency_us.uncorrected.count == $sum"
check both "$tmp/both.json" '[.inputs[].uncorrected] == [false, true]'
# merging the merged log gives the same figures
merge both-again "$tmp/both.hlog" --json "$tmp/both-again.json"
check_rc both-again 0
same both-again "$tmp/both.json" "$tmp/both-again.json" \
	'.latency_us | {c: (.corrected | del(.min, .mean, .stddev)), u: (.uncorrected | del(.min, .mean, .stddev))}'

# ---- 5. other histogram settings: finer merged exactly, coarser refused -------------------------
# foreign.py DIGITS LOWEST INDEX COUNT > FILE: a log of one interval holding COUNT at counts
# index INDEX of a histogram with those settings (HdrHistogram's V2 layout, written here).
cat >"$tmp/foreign.py" <<'EOF'
import base64, struct, sys, zlib
digits, lowest, index, count = (int(a) for a in sys.argv[1:5])
def zz(v):
    z = ((v << 1) ^ (v >> 63)) & (2**64 - 1)
    out = bytearray()
    for _ in range(8):
        if z < 0x80:
            out.append(z)
            return bytes(out)
        out.append((z & 0x7f) | 0x80)
        z >>= 7
    out.append(z)
    return bytes(out)
payload = zz(-index) + zz(count)
v2 = struct.pack(">iiiiqqd", 0x1c849313, len(payload), 0, digits, lowest, 3600 * 10**9, 1.0)
z = zlib.compress(v2 + payload)
line = base64.b64encode(struct.pack(">ii", 0x1c849314, len(z)) + z).decode()
print("#[StartTime: 1767225600.000 (seconds since epoch), Thu Jan 01 00:00:00 UTC 2026]")
print('"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"')
print("1767225600.000,1.000,0.001,%s" % line)
EOF
python3 "$tmp/foreign.py" 4 1 100 5 >"$tmp/finer.hlog"   # 4 digits: value 100, exact
python3 "$tmp/foreign.py" 2 1 300 1 >"$tmp/coarse.hlog"  # 2 digits: [344, 346), 2 values
python3 "$tmp/foreign.py" 3 1024 5 1 >"$tmp/coarse2.hlog" # lowest 1024: [5120, 6144)
merge finer "$tmp/finer.hlog" --json "$tmp/finer.json"
check_rc finer 0
check finer "$tmp/finer.json" '.requests == 5 and .latency_us.corrected.p50 == 0.1'
check finer "$tmp/finer.json" '.start_time == 1767225600 and .inputs[0].start_time == 1767225600'
# HdrHistogram's rule for stamps without a BaseTime: more than a year before StartTime, they
# are relative to it (here 5.000 after it); otherwise absolute (the finer log above, and one
# with no StartTime either).
sed 's/^1767225600\.000,/5.000,/' "$tmp/finer.hlog" >"$tmp/relative.hlog"
grep -v StartTime "$tmp/finer.hlog" >"$tmp/nostart.hlog"
merge relative "$tmp/relative.hlog" "$tmp/nostart.hlog" --json "$tmp/relative.json"
check_rc relative 0
check relative "$tmp/relative.json" \
	'.start_time == 1767225600 and [.inputs[].start_time] == [1767225600, 1767225600] and
	 [.series[].requests] == [5, 0, 0, 0, 0, 5]'
merge coarse "$tmp/finer.hlog" "$tmp/coarse.hlog"
check_rc coarse 1
check_err coarse "^rbload merge: .*/coarse\\.hlog:3: its buckets \\(lowest discernible value 1, 2 significant digits\\) are coarser than ours \\(1, 3\\) at 344 \\(2 values in one slot, ours 1\\): they cannot be merged exactly$"
merge coarse2 "$tmp/coarse2.hlog"
check_rc coarse2 1
check_err coarse2 "coarse2\\.hlog:3: its buckets \\(lowest discernible value 1024, 3 significant digits\\) are coarser than ours"

# ---- 6. corrupt logs: refused, naming the file and line ------------------------------------------
cp "$tmp/closed.hlog" "$tmp/bad.hlog"
# the first interval line's histogram damaged inside its zlib stream
python3 - "$tmp/bad.hlog" <<'EOF'
import sys
p = sys.argv[1]
lines = open(p).read().split("\n")
i = next(k for k, l in enumerate(lines) if l[:1].isdigit())
f = lines[i].split(",")
b = f[3]
f[3] = b[:40] + ("A" if b[40] != "A" else "B") * 8 + b[48:]
lines[i] = ",".join(f)
open(p, "w").write("\n".join(lines))
EOF
merge corrupt "$tmp/bad.hlog"
check_rc corrupt 1
check_err corrupt "^rbload merge: .*/bad\\.hlog:6: (the compressed data|cookie|the payload)"
printf '%s\n' '#[StartTime: 1767225600.000 (seconds since epoch), x]' '0.000,1.000,HISTFAAA' \
	>"$tmp/fields.hlog"
merge fields "$tmp/fields.hlog"
check_rc fields 1
check_err fields "fields\\.hlog:2: an interval line needs 4 fields \\(StartTimestamp, Interval_Length, Interval_Max, Interval_Compressed_Histogram\\); this one has 3"
printf '%s\n' '0.000,1.000,x1,HISTFAAA' >"$tmp/num.hlog"
merge num "$tmp/num.hlog"
check_rc num 1
check_err num "num\\.hlog:1: Interval_Max 'x1' is not a number"
printf '%s\n' '0.000,1.000,1.0,HIST*AAA' >"$tmp/b64.hlog"
merge b64 "$tmp/b64.hlog"
check_rc b64 1
check_err b64 "b64\\.hlog:1: Interval_Compressed_Histogram is not base64"
merge missing "$tmp/nope.hlog"
check_rc missing 1
check_err missing "nope\\.hlog: No such file or directory"
printf '#[StartTime: 1767225600.000 (seconds since epoch), x]\n' >"$tmp/empty.hlog"
merge empty "$tmp/empty.hlog"
check_rc empty 1
check_err empty "empty\\.hlog: no interval lines"

# ---- 7. bad command lines -------------------------------------------------------------------------
merge merge-none
check_rc merge-none 2
check_err merge-none "^rbload merge: no log given; usage: rbload merge FILE.hlog\\.\\.\\. \\(see rbload merge --help\\)$"
merge merge-flag "$tmp/closed.hlog" --bogus
check_rc merge-flag 2
check_err merge-flag "^rbload merge: unknown flag --bogus"
merge merge-novalue "$tmp/closed.hlog" --json
check_rc merge-novalue 2
check_err merge-novalue "^rbload merge: --json needs a value"
merge merge-help --help
check_rc merge-help 0
grep -q -- '--hlog FILE' "$tmp/merge-help.out" && pass "merge --help lists --hlog" ||
	fail "merge --help: $(head -c 200 "$tmp/merge-help.out")"
load start-past -c 1 -d 1s --start-at 1000000000 "$url"
check_rc start-past 2
check_err start-past "^rbload: --start-at 1000000000 \\(2001-09-09T01:46:40\\.000Z\\) is [0-9]+\\.[0-9]{3} s in the past; allowed: a time to come"
load start-bad -c 1 -d 1s --start-at tomorrow "$url"
check_rc start-bad 2
check_err start-bad "^rbload: --start-at: 'tomorrow' is not a time; allowed: seconds since the epoch"
load start-far -c 1 -d 1s --start-at 99999999999.5 "$url"
check_rc start-far 2
check_err start-far "is [0-9]+ s ahead; allowed: at most a day ahead"
load hlog-dir -c 1 -n 10 --hlog "$tmp/no/such/dir.hlog" "$url"
check_rc hlog-dir 1
check_err hlog-dir "^rbload: --hlog .*/no/such/dir\\.hlog: No such file or directory$"
"$RBLOAD" --help >"$tmp/help.out"
for flag in '--hlog FILE' '--start-at EPOCH' 'rbload merge FILE.hlog'; do
	grep -q -- "$flag" "$tmp/help.out" && pass "--help: $flag" || fail "--help lacks $flag"
done
stop "$srv_pid"

echo "test_hlog.sh: $passed passed, $failed failed in $(($(date +%s) - started)) s"
[ "$failed" -eq 0 ]

#!/usr/bin/env bash
# rbload --hlog read by the reference decoder: HdrHistogram's own HistogramLogProcessor (Java)
# decodes rbload's interval logs, and its total count and percentiles (50, 90, 99, 99.9, 99.99,
# max) must equal rbload's JSON report's within the histogram's precision (0.1%): a closed-loop
# run, an open-loop run (untagged lines against latency_us.corrected, Tag=uncorrected against
# latency_us.uncorrected), and rbload merge's log of two processes started with --start-at the
# same instant against the merge's report. Skipped (exit 77, one line) without java or
# HdrHistogram's jar (apt-get install default-jre-headless libhdrhistogram-java). About 15 s.
#
# usage: tests/loadgen/test_hlog_java.sh RBLOAD RBTESTSRV   (ctest: rbload_hlog_java)
set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: $0 RBLOAD RBTESTSRV" >&2
	exit 2
fi
RBLOAD=$1
RBTESTSRV=$2
JAR=${HDRHISTOGRAM_JAR:-/usr/share/java/hdrhistogram.jar}
if ! command -v java >/dev/null || [ ! -r "$JAR" ]; then
	echo "SKIP: no java or no $JAR (apt-get install default-jre-headless libhdrhistogram-java)"
	exit 77
fi
for b in "$RBLOAD" "$RBTESTSRV"; do
	[ -x "$b" ] || { echo "test_hlog_java.sh: $b is not an executable (build first)" >&2; exit 2; }
done
for c in jq python3; do
	command -v "$c" >/dev/null || { echo "test_hlog_java.sh: needs $c" >&2; exit 2; }
done

# shellcheck source=tests/loadgen/lib.sh
. "$(dirname "$0")/lib.sh"
started=$(date +%s)

# java_check NAME LOG REPORT.json KIND [TAG]: HistogramLogProcessor on LOG (the lines tagged TAG,
# else the untagged ones), values in ns (-outputValueUnitRatio 1), CSV; its last line's totals
# against REPORT's latency_us.KIND: the count exactly, the percentiles within 0.1%.
java_check()
{
	local name=$1 log=$2 json=$3 kind=$4 tag=${5:-} out
	out=$tmp/$name.java
	local args=(-i "$log" -o "$out" -csv -outputValueUnitRatio 1)
	[ -n "$tag" ] && args+=(-tag "$tag")
	if ! timeout -k 5 60 java -cp "$JAR" org.HdrHistogram.HistogramLogProcessor "${args[@]}" \
		>"$tmp/$name.java.log" 2>&1 || [ ! -s "$out" ]; then
		fail "$name: HistogramLogProcessor failed: $(head -c 400 "$tmp/$name.java.log")"
		return
	fi
	# "Timestamp","Int_Count","Int_50%","Int_90%","Int_Max","Total_Count","Total_50%",
	# "Total_90%","Total_99%","Total_99.9%","Total_99.99%","Total_Max"
	local last
	last=$(grep -E '^[0-9]' "$out" | tail -n 1)
	if python3 - "$last" "$json" "$kind" "$name" <<'EOF'; then
import json, sys
last, path, kind, name = sys.argv[1:5]
f = [float(x) for x in last.split(",")]
lat = json.load(open(path))["latency_us"][kind]
ok = True
def cmp(what, java_ns, ours_us, exact=False):
    global ok
    ours = ours_us * 1000.0
    good = java_ns == ours if exact else abs(java_ns - ours) <= max(ours * 0.001, 1.0)
    print("%s: %s: java %.0f, rbload %.0f%s" % (name, what, java_ns, ours, "" if good else "  <- differs"))
    ok = ok and good
good = int(f[5]) == lat["count"]
print("%s: count: java %d, rbload %d%s" % (name, int(f[5]), lat["count"], "" if good else "  <- differs"))
ok = ok and good
for i, key in ((6, "p50"), (7, "p90"), (8, "p99"), (9, "p999"), (10, "p9999"), (11, "p100")):
    cmp(key, f[i], lat[key])
sys.exit(0 if ok else 1)
EOF
		pass "$name: HistogramLogProcessor's count and percentiles equal rbload's latency_us.$kind"
	else
		fail "$name: HistogramLogProcessor disagrees with latency_us.$kind (line: $last)"
	fi
}

testsrv srv

# ---- a closed-loop run ----------------------------------------------------------------------------
load closed -c 4 -d 2s --hlog "$tmp/closed.hlog" "$url"
check_rc closed 0
java_check closed "$tmp/closed.hlog" "$tmp/closed.json" corrected
# The processor's default output (ms, the .hgrm beside OUT) says the same count.
if timeout -k 5 60 java -cp "$JAR" org.HdrHistogram.HistogramLogProcessor -i "$tmp/closed.hlog" \
	-o "$tmp/closed-ms" >/dev/null 2>&1 &&
	grep -Eq "^#\\[Max += +[0-9]+\\.[0-9]{3}, Total count += +$(jq .requests "$tmp/closed.json")\\]$" \
		"$tmp/closed-ms.hgrm"; then
	pass "closed: the processor's .hgrm in ms totals the requests"
else
	fail "closed: the processor's .hgrm: $(tail -n 3 "$tmp/closed-ms.hgrm" 2>&1)"
fi

# ---- an open-loop run: corrected (untagged) and uncorrected (tagged) ----------------------------
load open -c 4 -R 2000 -d 2s --hlog "$tmp/open.hlog" "$url"
check_rc open 0
java_check open "$tmp/open.hlog" "$tmp/open.json" corrected
java_check open-uncorrected "$tmp/open.hlog" "$tmp/open.json" uncorrected uncorrected

# ---- two processes from the same instant, merged ---------------------------------------------
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
java_check p1 "$tmp/p1.hlog" "$tmp/p1.json" corrected
"$RBLOAD" merge -q "$tmp/p1.hlog" "$tmp/p2.hlog" --json "$tmp/both.json" \
	--hlog "$tmp/both.hlog" 2>"$tmp/both.err" || fail "merge: $(cat "$tmp/both.err")"
check both "$tmp/both.json" \
	".requests == $(($(jq .requests "$tmp/p1.json") + $(jq .requests "$tmp/p2.json")))"
java_check both "$tmp/both.hlog" "$tmp/both.json" corrected
java_check both-uncorrected "$tmp/both.hlog" "$tmp/both.json" uncorrected uncorrected
stop "$srv_pid"

echo "test_hlog_java.sh: $passed passed, $failed failed in $(($(date +%s) - started)) s"
[ "$failed" -eq 0 ]

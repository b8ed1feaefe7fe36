#!/usr/bin/env bash
# Parser micro-benchmark: every ringparse variant this CPU runs, on every message
# of bench/corpus, pinned with taskset to one CPU; then, where they were built, the
# baselines, each alternating sample by sample with the variants in its own run:
# nodejs http-parser (libhttp-parser-dev) and picohttpparser, the parser issue 2's
# targets are stated against (bench/parser/get-picohttpparser.sh fetches its source).
#
# usage: bench/parser/run.sh [-b BUILD_DIR] [-c CPU] [-o OUT_DIR] [-r RUNS] [-v VARIANT] [-k CORPUS]
#   -b  build directory holding bin/rbparse (default: <repo>/build)
#   -c  CPU to pin to (default: the highest-numbered CPU this shell may use)
#   -o  where the result files go (default: <repo>/results/parser)
#   -r  samples per variant and message (default: 31)
#   -v  variant to time, or all (default: all; 'rbparse variants' lists them)
#   -k  corpus message name or file (default: every message in bench/corpus)
#
# Writes OUT_DIR/<UTC time>-<commit>-ringparse.json (and -http-parser.json and
# -picohttpparser.json for the baselines): the `rbparse bench --json` object plus git_commit, git_dirty, date and
# the command line; prints the tables to the terminal. Build first with
#   cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$root/build
out=$root/results/parser
runs=31
variant=all
corpus=""
cpu=$(taskset -pc $$ | sed 's/.*: //' | tr ',' '\n' | sed 's/.*-//' | sort -n | tail -1)

while getopts "b:c:o:r:v:k:h" opt; do
	case $opt in
	b) build=$OPTARG ;;
	c) cpu=$OPTARG ;;
	o) out=$OPTARG ;;
	r) runs=$OPTARG ;;
	v) variant=$OPTARG ;;
	k) corpus=$OPTARG ;;
	h) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
	*) echo "usage: $0 [-b BUILD_DIR] [-c CPU] [-o OUT_DIR] [-r RUNS] [-v VARIANT] [-k CORPUS]" >&2; exit 64 ;;
	esac
done
shift $((OPTIND - 1))
if [ $# -gt 0 ]; then
	echo "run.sh: unexpected argument '$1'" >&2
	exit 64
fi

rbparse=$build/bin/rbparse
baseline=$build/bin/rbparse-baseline-http-parser
pico=$build/bin/rbparse-baseline-picohttpparser
if [ ! -x "$rbparse" ]; then
	echo "run.sh: $rbparse not found; build first:" >&2
	echo "  cmake -S $root -B $build -DCMAKE_BUILD_TYPE=Release && cmake --build $build" >&2
	exit 1
fi
command -v jq >/dev/null || { echo "run.sh: needs jq (apt-get install jq)" >&2; exit 1; }

commit=$(git -C "$root" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
dirty=false
if [ -n "$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
	dirty=true
fi
stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out"
export RINGBENCH_CORPUS=$root/bench/corpus

# One benchmark program, pinned; its JSON is kept with where it came from.
run() {
	local name=$1
	shift
	local file=$out/$stamp-$commit-$name.json
	local cmd=(taskset -c "$cpu" "$@" --runs "$runs" --json)
	echo "== $name: ${cmd[*]}" >&2
	"${cmd[@]}" | jq --arg commit "$commit" --argjson dirty "$dirty" \
		--arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg command "${cmd[*]}" \
		'. + {git_commit: $commit, git_dirty: $dirty, date: $date, command: $command}' \
		>"$file"
	jq -r '"cpu: \(.cpu) | affinity \(.cpu_affinity) | \(.runs) samples | commit \(.git_commit)"' \
		"$file"
	jq -r '(["variant", "message", "B/msg", "median_ns", "min_ns", "max_ns", "GB/s"] | @tsv),
		(.results[] | [.variant, .message, .bytes_per_msg, .ns_per_msg.median,
			.ns_per_msg.min, .ns_per_msg.max, .gb_per_s] | @tsv)' "$file" |
		column -t -s $'\t'
	jq -r 'select(.speedups) | "speedup vs \(.reference) (ratio of medians):",
		(.speedups as $s
			| ([.results[].message] | reduce .[] as $m ([];
				if any(.[]; . == $m) then . else . + [$m] end))[] as $m
			| "  \($m): " + ([$s[] | select(.message == $m)
				| "\(.variant) \(.ratio)x"] | join("  ")))' "$file"
	echo "-> $file" >&2
}

select=(--variant "$variant")
if [ -n "$corpus" ]; then
	select+=(--corpus "$corpus")
fi
run ringparse "$rbparse" bench "${select[@]}"
if [ -x "$baseline" ]; then
	run http-parser "$baseline" "${select[@]}"
else
	echo "(no $baseline: install libhttp-parser-dev and rebuild for the baseline)" >&2
fi
if [ -x "$pico" ]; then
	run picohttpparser "$pico" "${select[@]}"
else
	echo "(no $pico: run bench/parser/get-picohttpparser.sh and rebuild for the baseline)" >&2
fi

#!/usr/bin/env bash
# run.sh: the main job. Checks and installs what ringbench needs, builds it (Release, build/),
# runs the benchmarks pinned to one CPU and writes their results under results/.
# Stages run in the order of STAGES below; today that is the parser benchmark. The server and
# load-generator stages join the list when rbserver and rbload exist.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR
# shellcheck source=scripts/deps.sh
source "$ROOT/scripts/deps.sh"

BUILD=$ROOT/build
RESULTS=$ROOT/results
CPU=""
VARIANT=all
CORPUS=""
DO_BUILD=1
STAGES=(parser)

usage()
{
	cat <<EOF
Usage: ./run.sh [options]

The ringbench main job:
  1. checks the Debian packages the build needs, installing missing ones with apt-get when run
     as root (or with password-less sudo); otherwise prints the apt-get command and exits 2;
  2. builds Release into build/ (cmake, all CPUs);
  3. parser: runs bench/parser/run.sh: 'rbparse bench' on every variant and corpus message,
     pinned with taskset to one CPU, then (when libhttp-parser-dev is installed) the nodejs
     http-parser baseline on the same messages; prints the tables and writes
        results/parser/<UTC time>-<commit>-ringparse.json
        results/parser/<UTC time>-<commit>-http-parser.json
     each the 'rbparse bench --json' object plus the commit, date and command line

Options:
  --cpu N            CPU to pin the benchmark to (default: the last CPU this shell may use)
  --variant V        parser variant to time, or 'all' (default: all; 'rbparse variants' lists them)
  --corpus NAME|FILE corpus for rbparse bench (default: rbparse's own)
  --results DIR      where result files go (default: results/ in the repository)
  --no-build         use the existing build/ as it is
  --no-install       never run apt-get (same as RB_NO_INSTALL=1)
  -h, --help         print this text

Exit status: 0 done; 1 the build or a benchmark failed; 2 a required package is missing and
could not be installed, or a usage error.
Do not run it beside other measurements: the machine's CPUs are shared.
EOF
}

die()
{
	echo "run.sh: $*" >&2
	exit 1
}

usage_error()
{
	echo "run.sh: $* (see --help)" >&2
	exit 2
}

need_value()
{
	[[ $# -ge 2 && -n $2 ]] || usage_error "$1 needs a value"
}

while (($#)); do
	case $1 in
	--cpu) need_value "$@"; CPU=$2; shift 2 ;;
	--variant) need_value "$@"; VARIANT=$2; shift 2 ;;
	--corpus) need_value "$@"; CORPUS=$2; shift 2 ;;
	--results) need_value "$@"; RESULTS=$2; shift 2 ;;
	--no-build) DO_BUILD=0; shift ;;
	--no-install) export RB_NO_INSTALL=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage_error "unknown argument '$1'" ;;
	esac
done

# The last CPU in this process's affinity list ("0-3,6,8-9" -> 9).
last_allowed_cpu()
{
	local list last
	list=$(awk '/^Cpus_allowed_list:/ { print $2 }' "/proc/$$/status")
	last=${list##*,}
	echo "${last##*-}"
}

if [[ -z $CPU ]]; then
	CPU=$(last_allowed_cpu)
fi
[[ $CPU =~ ^[0-9]+$ ]] || usage_error "--cpu needs a CPU number, not '$CPU'"
mkdir -p "$RESULTS"
RESULTS=$(realpath "$RESULTS")

# ---- stages ------------------------------------------------------------------------------------

stage_deps()
{
	rb_section "dependencies"
	local rc=0
	rb_deps_ensure "${RB_PKGS_BUILD[@]}" -- "${RB_PKGS_BASELINES[@]}" || rc=$?
	if ((rc)); then
		echo "run.sh: dependencies not satisfied (see above)" >&2
		exit "$rc"
	fi
	command -v taskset >/dev/null 2>&1 || die "taskset not found: apt-get install -y util-linux"
	taskset -c "$CPU" true 2>/dev/null ||
		usage_error "cannot pin to CPU $CPU: this shell may use CPUs $(awk \
			'/^Cpus_allowed_list:/ { print $2 }' "/proc/$$/status")"
}

stage_build()
{
	rb_section "build: Release into build/"
	if ((!DO_BUILD)); then
		echo "skipped: --no-build (using build/ as it is)"
		return
	fi
	cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DRB_TESTS=OFF -DRB_FUZZ=OFF \
		-DRB_SANITIZE=OFF -DRB_WERROR=OFF || die "cmake configure failed"
	cmake --build "$BUILD" -j "$(nproc)" || die "build failed"
}

stage_parser()
{
	rb_section "parser: bench/parser/run.sh on CPU $CPU"
	local args=(-b "$BUILD" -c "$CPU" -o "$RESULTS/parser" -v "$VARIANT")
	if [[ -n $CORPUS ]]; then
		args+=(-k "$CORPUS")
	fi
	local before after
	before=$(ls "$RESULTS/parser" 2>/dev/null || true)
	"$ROOT/bench/parser/run.sh" "${args[@]}" || die "the parser benchmark failed"
	after=$(ls "$RESULTS/parser")
	local f
	while read -r f; do
		[[ -n $f ]] && WROTE+=("$RESULTS/parser/$f")
	done < <(comm -13 <(sort <<<"$before") <(sort <<<"$after"))
}

# ---- main --------------------------------------------------------------------------------------

WROTE=()
rb_section "ringbench run: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "stages: deps build ${STAGES[*]}; results in $RESULTS; benchmarks pinned to CPU $CPU"
stage_deps
stage_build
for stage in "${STAGES[@]}"; do
	"stage_$stage"
done

rb_section "done"
echo "wrote:"
printf '  %s\n' "${WROTE[@]#"$ROOT"/}"

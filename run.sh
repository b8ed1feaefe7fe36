#!/usr/bin/env bash
# run.sh: the main job. Checks and installs what ringbench needs, builds it (Release, build/),
# runs the main benchmark suite (bench/suites/main.toml) with bench/rbbench: rbserver and rbload
# pinned to disjoint CPUs; prints the table and writes the result, its report and its plots
# under results/main/.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR
# shellcheck source=scripts/deps.sh
source "$ROOT/scripts/deps.sh"

BUILD=$ROOT/build
RESULTS=$ROOT/results
SUITE=main
DO_BUILD=1
WITH_PARSER=0
BENCH_ARGS=()

usage()
{
	cat <<EOF
Usage: ./run.sh [options]

The ringbench main job:
  1. checks the Debian packages it needs, installing missing ones with apt-get when run
     as root (or with password-less sudo); otherwise prints the apt-get command and exits 2;
  2. builds Release into build/ (cmake, all CPUs);
  3. runs 'bench/rbbench run main': rbserver and rbload pinned to disjoint CPUs (the first half
     of the CPUs this shell may use for the server, the rest for the load generator),
     /plaintext unpipelined at 16, 64 and 256 connections and pipelined 16, a 1 KiB and a
     64 KiB static file; a warm-up and 3 repetitions per configuration (about a minute on
     2 CPUs); prints the table and writes
        results/main/<UTC time>-<commit>.json   the result (schema: results/README.md)
        results/main/<UTC time>-<commit>.md     the report, linking its plots
        results/main/<UTC time>-<commit>/       the plots (PNG) and latency histograms (.hgrm)

Options:
  --suite NAME        run another suite instead of main ('bench/rbbench list' lists them)
  --with-parser       also run the parser suite: rbparse bench on every variant, the
                      nodejs http-parser baseline when libhttp-parser-dev is installed, and
                      picohttpparser (the issue's reference parser), whose source it fetches
                      from Debian's h2o source package first (bench/parser/get-picohttpparser.sh;
                      not with --no-install)
  --quick             the suite's short settings (1 s runs, 1 repetition)
  --reps N            repetitions per configuration (default 3)
  --duration T        measured time per repetition, e.g. 10s (default 2s)
  --server-cpus LIST  CPUs for the server, e.g. 0-7
  --load-cpus LIST    CPUs for the load generator, e.g. 8-15
  --results DIR       where result files go (default: results/ in the repository)
  --no-build          use the existing build/ as it is
  --no-install        never run apt-get (same as RB_NO_INSTALL=1)
  -h, --help          print this text

Exit status: 0 done; 1 the build or a benchmark failed, or a configuration ended in error
(non-2xx answers, socket errors: the table and the report say which; the result is still
written); 2 a required package is missing and could not be installed, or a usage error.
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
	--suite) need_value "$@"; SUITE=$2; shift 2 ;;
	--with-parser) WITH_PARSER=1; shift ;;
	--quick) BENCH_ARGS+=(--quick); shift ;;
	--reps | --duration | --server-cpus | --load-cpus)
		need_value "$@"
		BENCH_ARGS+=("$1" "$2")
		shift 2
		;;
	--results) need_value "$@"; RESULTS=$2; shift 2 ;;
	--no-build) DO_BUILD=0; shift ;;
	--no-install) export RB_NO_INSTALL=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage_error "unknown argument '$1'" ;;
	esac
done

if [[ ! -f $ROOT/bench/suites/$SUITE.toml ]]; then
	suites=("$ROOT"/bench/suites/*.toml)
	suites=("${suites[@]##*/}")
	usage_error "no suite '$SUITE' (bench/suites/ has: ${suites[*]%.toml})"
fi
mkdir -p "$RESULTS"
RESULTS=$(realpath "$RESULTS")

# ---- stages ------------------------------------------------------------------------------------

stage_deps()
{
	rb_section "dependencies"
	local rc=0
	# optional: an outside parser baseline; Open MPI for rbload-mpi (the build leaves it out
	# without, saying so in one line); the peer servers and load generators the suites start
	rb_deps_ensure "${RB_PKGS_BUILD[@]}" "${RB_PKGS_BENCH[@]}" -- "${RB_PKGS_BASELINES[@]}" \
		"${RB_PKGS_MPI[@]}" "${RB_PKGS_PEERS[@]}" || rc=$?
	if ((rc)); then
		echo "run.sh: dependencies not satisfied (see above)" >&2
		exit "$rc"
	fi
	command -v taskset >/dev/null 2>&1 || die "taskset not found: apt-get install -y util-linux"
}

stage_build()
{
	rb_section "build: Release into build/"
	if ((!DO_BUILD)); then
		echo "skipped: --no-build (using build/ as it is)"
		return
	fi
	if ((WITH_PARSER)) && [[ ! -f $ROOT/.deps/picohttpparser/picohttpparser.c ]]; then
		if [[ ${RB_NO_INSTALL:-0} == 1 ]]; then
			echo "picohttpparser baseline skipped: --no-install (fetch it with" \
				"bench/parser/get-picohttpparser.sh)"
		elif ! "$ROOT/bench/parser/get-picohttpparser.sh"; then
			echo "run.sh: could not fetch picohttpparser; the parser suite runs without" \
				"that baseline" >&2
		fi
	fi
	cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DRB_TESTS=OFF -DRB_FUZZ=OFF \
		-DRB_SANITIZE=OFF -DRB_WERROR=OFF || die "cmake configure failed"
	cmake --build "$BUILD" -j "$(nproc)" || die "build failed"
}

# stage_bench SUITE [rbbench run options...]: one suite; the progress line goes to stderr, the
# table to the terminal, the result, report and plots to $RESULTS/SUITE/.
stage_bench()
{
	local suite=$1
	shift
	rb_section "benchmark: bench/rbbench run $suite $*"
	local log rc=0 f
	log=$(mktemp)
	"$ROOT/bench/rbbench" run "$suite" --build "$BUILD" --out "$RESULTS" "$@" | tee "$log" ||
		rc=${PIPESTATUS[0]}
	while read -r f; do
		[[ -n $f ]] && WROTE+=("$f")
	done < <(sed -n 's/^\(result\|report\): \([^ ]*\).*/\2/p' "$log")
	rm -f "$log"
	case $rc in
	0) ;;
	1) FAILED+=("$suite") ;;
	*)
		echo "run.sh: bench/rbbench run $suite stopped with status $rc" >&2
		exit "$rc"
		;;
	esac
}

# ---- main --------------------------------------------------------------------------------------

WROTE=()
FAILED=()
rb_section "ringbench run: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
stages="deps build $SUITE"
((WITH_PARSER)) && stages+=" parser"
echo "stages: $stages; results in $RESULTS"
stage_deps
stage_build
stage_bench "$SUITE" "${BENCH_ARGS[@]}"
if ((WITH_PARSER)); then
	stage_bench parser
fi

rb_section "done"
if ((${#WROTE[@]})); then
	echo "wrote (each .md report links its plots):"
	printf '  %s\n' "${WROTE[@]#"$ROOT"/}"
fi
if ((${#FAILED[@]})); then
	echo "run.sh: ${FAILED[*]}: a run failed or some configurations ended in error" \
		"(see the table and the report)" >&2
	exit 1
fi

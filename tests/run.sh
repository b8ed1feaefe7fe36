#!/usr/bin/env bash
# tests/run.sh: the test command. Builds ringbench with AddressSanitizer, UndefinedBehaviorSanitizer
# and -Werror, runs every test with ctest, then runs each libFuzzer target for a bounded time.
# CI runs it through .ci/run (CI=true, no standard input). See usage() or --help.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR/..
# shellcheck source=scripts/deps.sh
source "$ROOT/scripts/deps.sh"

BUILD_TEST=${RB_BUILD_TEST_DIR:-$ROOT/build-test}
BUILD_FUZZ=${RB_BUILD_FUZZ_DIR:-$ROOT/build-fuzz}
FUZZ_SECONDS=${RB_FUZZ_SECONDS:-20}
DO_FUZZ=1
JOBS=$(nproc)

usage()
{
	cat <<EOF
Usage: tests/run.sh [--fuzz-seconds N] [--no-fuzz] [--no-install] [-h|--help]

Builds and tests ringbench:
  1. checks the Debian packages it needs, installing missing ones with apt-get when run as root
     (or with password-less sudo); otherwise prints the apt-get command and exits 2;
  2. builds build-test/ with AddressSanitizer + UndefinedBehaviorSanitizer, -Werror, -O1 -g;
  3. runs every test with ctest (all Criterion suites and the fuzz seed corpora);
  4. if clang and libFuzzer are installed, builds build-fuzz/ with RB_FUZZ=ON and runs every
     build-fuzz/bin/fuzz_* for N seconds from its seeds in tests/fuzz/corpus/<target>/
     (crashes go to build-fuzz/artifacts/<target>/);
  5. reports C files that clang-format would change (advisory: not a failure).

Options:
  --fuzz-seconds N  time for each fuzz target (default: \$RB_FUZZ_SECONDS or 20)
  --no-fuzz         skip step 4 (the summary says it was skipped)
  --no-install      never run apt-get (same as RB_NO_INSTALL=1)
  -h, --help        print this text

Environment: RB_BUILD_TEST_DIR and RB_BUILD_FUZZ_DIR replace build-test/ and build-fuzz/
(to build somewhere else, e.g. outside the source tree).

Exit status: 0 everything passed; 1 a build, a test or a fuzz target failed;
2 a required package is missing and could not be installed, or a usage error.
EOF
}

while (($#)); do
	case $1 in
	--fuzz-seconds)
		[[ $# -ge 2 && $2 =~ ^[1-9][0-9]*$ ]] || {
			echo "tests/run.sh: --fuzz-seconds needs a positive whole number" >&2
			exit 2
		}
		FUZZ_SECONDS=$2
		shift 2
		;;
	--fuzz-seconds=*)
		FUZZ_SECONDS=${1#*=}
		[[ $FUZZ_SECONDS =~ ^[1-9][0-9]*$ ]] || {
			echo "tests/run.sh: --fuzz-seconds needs a positive whole number" >&2
			exit 2
		}
		shift
		;;
	--no-fuzz) DO_FUZZ=0; shift ;;
	--no-install) export RB_NO_INSTALL=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*)
		echo "tests/run.sh: unknown argument '$1' (see --help)" >&2
		exit 2
		;;
	esac
done

PASSED=0
FAILED=0
STEPS=() # one line per step for the summary

# step NAME STATUS [DETAIL]
step()
{
	STEPS+=("$(printf '%-12s %-8s %s' "$1" "$2" "${3:-}")")
}

rb_section "ringbench tests: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "source:  $ROOT ($(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo 'no commit'))"
echo "machine: $(uname -srm), $JOBS CPUs"

# ---- 1. dependencies ---------------------------------------------------------------------------
rb_section "dependencies"
want_optional=(-- "${RB_PKGS_TEST_OPTIONAL[@]}" "${RB_PKGS_PEERS[@]}")
if ((DO_FUZZ)); then
	want_optional+=("${RB_PKGS_FUZZ[@]}")
fi
rc=0
rb_deps_ensure "${RB_PKGS_BUILD[@]}" "${RB_PKGS_TEST[@]}" "${RB_PKGS_BENCH[@]}" "${want_optional[@]}" || rc=$?
if ((rc)); then
	echo "tests/run.sh: dependencies not satisfied (see above)" >&2
	exit "$rc"
fi

# ---- 2. sanitizer build ------------------------------------------------------------------------
rb_section "build: build-test (ASan + UBSan, -Werror, -O1 -g)"
build_ok=0
if cmake -S "$ROOT" -B "$BUILD_TEST" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS_DEBUG="-O1 -g" \
	-DRB_SANITIZE=ON -DRB_WERROR=ON -DRB_TESTS=ON -DRB_FUZZ=OFF &&
	cmake --build "$BUILD_TEST" -j "$JOBS"; then
	build_ok=1
	step build-test ok
else
	FAILED=$((FAILED + 1))
	step build-test FAILED "configure or compile error above"
fi

# ---- 3. ctest ----------------------------------------------------------------------------------
rb_section "ctest: every test in build-test"
if ((build_ok)); then
	log=$BUILD_TEST/ctest.log
	ctest_rc=0
	# --timeout bounds any test registered without its own TIMEOUT; no tests at all is an error.
	(cd "$BUILD_TEST" && ctest --output-on-failure -j "$JOBS" --timeout 600 --no-tests=error) \
		2>&1 | tee "$log" || ctest_rc=$?
	line=$(grep -E '[0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1 || true)
	if [[ $line =~ ([0-9]+)\ tests?\ failed\ out\ of\ ([0-9]+) ]]; then
		t_failed=${BASH_REMATCH[1]}
		t_total=${BASH_REMATCH[2]}
		PASSED=$((PASSED + t_total - t_failed))
		FAILED=$((FAILED + t_failed))
	else
		t_failed=0
		t_total=0
	fi
	if ((ctest_rc == 0)); then
		step ctest ok "$t_total tests"
	else
		# ctest failed without a failing test counted (no tests, or ctest itself broke).
		((t_failed > 0)) || FAILED=$((FAILED + 1))
		step ctest FAILED "$t_failed of $t_total tests failed (ctest exit $ctest_rc)"
	fi
else
	echo "not run: the build failed"
	step ctest "not run" "the build failed"
fi

# ---- 4. fuzzing --------------------------------------------------------------------------------
fuzz_sources=()
if [[ -d $ROOT/tests/fuzz ]]; then
	mapfile -t fuzz_sources < <(find "$ROOT/tests/fuzz" -maxdepth 1 -name 'fuzz_*.c' | sort)
fi

run_fuzz_target()
{
	local bin=$1 name
	name=$(basename "$bin")
	local seeds=$ROOT/tests/fuzz/corpus/$name
	local work=$BUILD_FUZZ/corpus/$name
	local art=$BUILD_FUZZ/artifacts/$name
	local log=$BUILD_FUZZ/logs/$name.log
	mkdir -p "$work" "$art" "$BUILD_FUZZ/logs"

	local args=(-max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048
		-print_final_stats=1 -artifact_prefix="$art/")
	if [[ -f $ROOT/tests/fuzz/$name.dict ]]; then
		args+=(-dict="$ROOT/tests/fuzz/$name.dict")
	fi
	# New inputs go to the first directory (in the build tree); the seeds are only read.
	args+=("$work")
	if [[ -d $seeds ]]; then
		args+=("$seeds")
		echo "$name: ${FUZZ_SECONDS}s from $(find "$seeds" -type f | wc -l) seeds in" \
			"tests/fuzz/corpus/$name/"
	else
		echo "$name: ${FUZZ_SECONDS}s, no seed corpus at tests/fuzz/corpus/$name/:" \
			"starting from an empty corpus"
	fi

	local rc=0
	timeout -k 10 $((FUZZ_SECONDS + 120)) "$bin" "${args[@]}" >"$log" 2>&1 || rc=$?
	if ((rc == 0)); then
		grep -E '^(#[0-9]+[[:space:]]+DONE|Done [0-9]+ runs)' "$log" | sed "s/^/  /" || true
		PASSED=$((PASSED + 1))
		step "$name" ok "$(grep -Eo 'Done [0-9]+ runs' "$log" | tail -n 1 || true)"
	else
		echo "--- $name FAILED (exit $rc); last lines of $log:"
		tail -n 60 "$log"
		local found=()
		mapfile -t found < <(find "$art" -type f | sort)
		if ((${#found[@]})); then
			echo "--- artifacts (reproduce with: $bin FILE):"
			printf '  %s\n' "${found[@]}"
		fi
		FAILED=$((FAILED + 1))
		step "$name" FAILED "exit $rc, log $log"
	fi
}

rb_section "fuzz: build-fuzz (clang, libFuzzer, ASan + UBSan)"
fuzz_missing=0 # an optional package still missing may be another test's (RB_PKGS_TEST_OPTIONAL)
for pkg in "${RB_DEPS_MISSING_OPTIONAL[@]}"; do
	[[ " ${RB_PKGS_FUZZ[*]} " == *" $pkg "* ]] && fuzz_missing=1
done
if ((!DO_FUZZ)); then
	echo "fuzzing skipped: --no-fuzz"
	step fuzz skipped "--no-fuzz"
elif ((fuzz_missing)) || ! command -v clang >/dev/null 2>&1; then
	echo "fuzzing skipped: clang and libFuzzer are not installed" \
		"(apt-get install -y ${RB_PKGS_FUZZ[*]})"
	step fuzz skipped "clang/libFuzzer not installed"
elif ((${#fuzz_sources[@]} == 0)); then
	echo "fuzzing skipped: no fuzz targets (tests/fuzz/fuzz_*.c) in this tree"
	step fuzz skipped "no tests/fuzz/fuzz_*.c"
elif ! cmake -S "$ROOT" -B "$BUILD_FUZZ" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
	-DCMAKE_C_FLAGS_DEBUG="-O1 -g" -DRB_FUZZ=ON -DRB_TESTS=OFF -DRB_WERROR=ON ||
	! cmake --build "$BUILD_FUZZ" -j "$JOBS"; then
	FAILED=$((FAILED + 1))
	step build-fuzz FAILED "configure or compile error above"
else
	step build-fuzz ok
	mapfile -t fuzzers < <(find "$BUILD_FUZZ/bin" -maxdepth 1 -type f -name 'fuzz_*' -perm -u+x |
		sort)
	echo "${#fuzz_sources[@]} fuzz sources, ${#fuzzers[@]} fuzz targets built," \
		"${FUZZ_SECONDS}s each"
	if ((${#fuzzers[@]} == 0)); then
		echo "error: tests/fuzz has fuzz_*.c sources but build-fuzz/bin has no fuzz_* target" >&2
		FAILED=$((FAILED + 1))
		step fuzz FAILED "no fuzz_* executable built"
	fi
	for bin in "${fuzzers[@]}"; do
		run_fuzz_target "$bin"
	done
fi

# ---- 5. formatting (advisory) ------------------------------------------------------------------
rb_section "format: clang-format --dry-run (advisory)"
if command -v clang-format >/dev/null 2>&1; then
	if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
		mapfile -t cfiles < <(git -C "$ROOT" ls-files --cached --others --exclude-standard \
			-- '*.c' '*.h' | sort -u)
	else
		mapfile -t cfiles < <(cd "$ROOT" && find . -path ./build\* -prune -o \
			-name '*.[ch]' -print | sed 's|^\./||' | sort)
	fi
	unformatted=()
	for f in "${cfiles[@]}"; do
		[[ -f $ROOT/$f ]] || continue
		(cd "$ROOT" && clang-format --dry-run -Werror "$f" >/dev/null 2>&1) ||
			unformatted+=("$f")
	done
	if ((${#unformatted[@]})); then
		echo "${#unformatted[@]} of ${#cfiles[@]} C files differ from .clang-format" \
			"(fix: clang-format -i FILE):"
		printf '  %s\n' "${unformatted[@]}"
		step format advisory "${#unformatted[@]} files to reformat"
	else
		echo "all ${#cfiles[@]} C files match .clang-format"
		step format ok
	fi
else
	echo "format check skipped: clang-format not installed (apt-get install -y clang-format)"
	step format skipped "clang-format not installed"
fi

# ---- summary -----------------------------------------------------------------------------------
rb_section "summary"
printf '%s\n' "${STEPS[@]}"
echo
if ((FAILED == 0 && PASSED > 0)); then
	echo "tests/run.sh: all passed"
	rc=0
else
	echo "tests/run.sh: FAILED"
	rc=1
fi
# The closing line counts ctest tests and fuzz targets.
echo "summary: $PASSED passed, $FAILED failed"
exit "$rc"

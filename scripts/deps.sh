# shellcheck shell=bash
# Debian package checks shared by run.sh and tests/run.sh. Source it; it defines:
#
#   RB_PKGS_BUILD  what `cmake --build` needs for the programs
#   RB_PKGS_TEST   what the Criterion suites need
#   RB_PKGS_TEST_OPTIONAL  what some tests use when present (they skip, and say so, without)
#   RB_PKGS_MPI    what rbload-mpi needs to be built and run (optional: without it the build
#                  says one line and leaves rbload-mpi out; its test skips); in the tests' list
#   RB_PKGS_FUZZ   what the libFuzzer build needs (clang 14 on Debian 12)
#   RB_PKGS_BASELINES  outside parsers the benchmarks time beside ours (optional)
#   RB_PKGS_PEERS  the servers and load generators the tests and suites start beside ours
#                  (optional: a test that needs one skips with a line without it); used by
#                  run.sh and tests/run.sh
#   RB_PKGS_BENCH  what the benchmark runner needs: bench/rbbench (Python 3.11 standard library)
#                  and its plots (gnuplot-nox); used by run.sh and tests/run.sh (tests/bench)
#   rb_deps_ensure REQUIRED... [-- OPTIONAL...]
#       Checks the packages with dpkg-query. Missing ones are installed with apt-get (after one
#       apt-get update) when running as root or with password-less sudo, unless RB_NO_INSTALL=1.
#       Returns 0 when every required package is present afterwards, 2 (after printing the exact
#       apt-get command) when a required one is missing and cannot be installed, 1 when apt-get
#       failed. Optional packages still missing are left in RB_DEPS_MISSING_OPTIONAL (an array).
#   rb_section TITLE   prints a section header.

# shellcheck disable=SC2034 # used by the scripts that source this file
RB_PKGS_BUILD=(cmake make gcc libc6-dev pkg-config git jq liburing-dev libjemalloc-dev zlib1g-dev
	libssl-dev) # OpenSSL 3: rb_tls (docs/tls.md)
# shellcheck disable=SC2034
RB_PKGS_TEST=(libcriterion-dev iproute2 procps # ip netns and sysctl: rbload --source tests
	openssl curl)                                 # certificates, s_server/s_client, curl -k: TLS tests
# shellcheck disable=SC2034
RB_PKGS_MPI=(libopenmpi-dev openmpi-bin) # rbload-mpi (docs/distributed.md): the library and mpirun
# shellcheck disable=SC2034
RB_PKGS_TEST_OPTIONAL=(default-jre-headless libhdrhistogram-java # HdrHistogram's log reader: rbload --hlog's test
	"${RB_PKGS_MPI[@]}")                                       # rbload-mpi and its test
# shellcheck disable=SC2034
RB_PKGS_FUZZ=(clang libclang-rt-14-dev libfuzzer-14-dev)
# shellcheck disable=SC2034
RB_PKGS_BASELINES=(libhttp-parser-dev) # outside parsers timed beside ours
# shellcheck disable=SC2034
RB_PKGS_PEERS=(nginx # Debian 12's: the ssl module and `return`: rbload_tls, the suites' nginx
	wrk h2o          # the suites' other load generator and server
	nghttp2-client)  # h2load (--h1): the suites' third load generator
# shellcheck disable=SC2034
RB_PKGS_BENCH=(python3 gnuplot-nox) # bench/rbbench and its plots
RB_DEPS_MISSING_OPTIONAL=()

rb_section()
{
	printf '\n==== %s ====\n' "$*"
}

# Prints the packages among "$@" that are not installed, one per line.
rb_pkgs_missing()
{
	local pkg status
	for pkg in "$@"; do
		status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
		[[ $status == "install ok installed" ]] || printf '%s\n' "$pkg"
	done
}

# Sets the array RB_APT (the apt-get command line prefix) and returns 0 if this process may
# install packages, else returns 1.
rb_can_install()
{
	RB_APT=()
	[[ ${RB_NO_INSTALL:-0} == 1 ]] && return 1
	command -v apt-get >/dev/null 2>&1 || return 1
	if [[ $(id -u) == 0 ]]; then
		RB_APT=(env DEBIAN_FRONTEND=noninteractive apt-get)
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		RB_APT=(sudo -n env DEBIAN_FRONTEND=noninteractive apt-get)
	else
		return 1
	fi
	return 0
}

rb_apt_install()
{
	# Wait for a dpkg lock held by another apt-get instead of failing at once.
	"${RB_APT[@]}" -y -o DPkg::Lock::Timeout=600 install "$@" </dev/null
}

rb_deps_ensure()
{
	local required=() optional=() seen_sep=0 arg
	for arg in "$@"; do
		if [[ $arg == -- ]]; then
			seen_sep=1
		elif ((seen_sep)); then
			optional+=("$arg")
		else
			required+=("$arg")
		fi
	done
	RB_DEPS_MISSING_OPTIONAL=()

	if ! command -v dpkg-query >/dev/null 2>&1; then
		echo "dpkg-query not found: not a Debian system, packages not checked;" \
			"CMake will name what is missing (README.md lists the packages)"
		return 0
	fi

	local miss_req=() miss_opt=()
	mapfile -t miss_req < <(rb_pkgs_missing "${required[@]}")
	mapfile -t miss_opt < <(rb_pkgs_missing "${optional[@]}")
	local missing=("${miss_req[@]}" "${miss_opt[@]}")
	if ((${#missing[@]} == 0)); then
		local all=("${required[@]}" "${optional[@]}")
		echo "all present: ${all[*]}"
		return 0
	fi
	echo "missing: ${missing[*]}"

	if ! rb_can_install; then
		local sudo="sudo "
		[[ $(id -u) == 0 ]] && sudo=""
		if ((${#miss_req[@]})); then
			echo "error: required Debian packages are missing (${miss_req[*]}) and this script" \
				"cannot install them (not root, or RB_NO_INSTALL=1). Run:" >&2
			echo "  ${sudo}apt-get update && ${sudo}apt-get install -y ${missing[*]}" >&2
			return 2
		fi
		RB_DEPS_MISSING_OPTIONAL=("${miss_opt[@]}")
		echo "optional packages missing and not installed (not root, or RB_NO_INSTALL=1):" \
			"${miss_opt[*]}"
		echo "  to add them: ${sudo}apt-get update && ${sudo}apt-get install -y ${miss_opt[*]}"
		return 0
	fi

	echo "installing: ${missing[*]}"
	if ! "${RB_APT[@]}" -o DPkg::Lock::Timeout=600 update </dev/null; then
		echo "error: apt-get update failed" >&2
		return 1
	fi
	if ! rb_apt_install "${missing[@]}"; then
		if ((${#miss_req[@]} && ${#miss_opt[@]})); then
			echo "apt-get install failed; retrying without the optional packages"
			if ! rb_apt_install "${miss_req[@]}"; then
				echo "error: apt-get install ${miss_req[*]} failed" >&2
				return 1
			fi
		elif ((${#miss_req[@]})); then
			echo "error: apt-get install ${miss_req[*]} failed" >&2
			return 1
		fi
	fi

	mapfile -t miss_req < <(rb_pkgs_missing "${required[@]}")
	if ((${#miss_req[@]})); then
		echo "error: still missing after apt-get install: ${miss_req[*]}" >&2
		return 1
	fi
	mapfile -t RB_DEPS_MISSING_OPTIONAL < <(rb_pkgs_missing "${optional[@]}")
	if ((${#RB_DEPS_MISSING_OPTIONAL[@]})); then
		echo "optional packages failed to install: ${RB_DEPS_MISSING_OPTIONAL[*]}"
	fi
	return 0
}

#!/usr/bin/env bash
# Fetch picohttpparser, the parser the issue's speed targets are stated against, for the
# rbparse-baseline-picohttpparser benchmark. It is not a Debian package of its own; Debian ships
# it inside h2o's source package (deps/picohttpparser), so this takes it from there with
# `apt-get source` and a temporary deb-src list, without touching the system's apt sources.
# Nothing of it is committed: it lands in <repo>/.deps/picohttpparser (git-ignored), and CMake
# builds the baseline when that directory holds picohttpparser.c.
#
# usage: bench/parser/get-picohttpparser.sh [-f]
#   -f  fetch again even if .deps/picohttpparser exists
#
# Needs apt-get and a reachable Debian mirror (deb.debian.org); dpkg-source (dpkg-dev) is not
# needed, only tar (and xz-utils for Debian's .tar.xz). Prints the directory and the source package version.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
dest=$root/.deps/picohttpparser
force=0
while getopts "fh" opt; do
	case $opt in
	f) force=1 ;;
	h) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
	*) echo "usage: $0 [-f]" >&2; exit 64 ;;
	esac
done
if [[ -f $dest/picohttpparser.c && $force == 0 ]]; then
	echo "picohttpparser: $dest ($(cat "$dest/SOURCE" 2>/dev/null || echo 'source unknown'))"
	exit 0
fi
command -v apt-get >/dev/null || { echo "get-picohttpparser.sh: needs apt-get (Debian)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The suite of the running system (bookworm on Debian 12), so the source matches its h2o.
suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
mkdir -p "$work/lists/partial"
cat >"$work/src.sources" <<EOF
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $suite
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
apt_opts=(-o "Dir::Etc::sourcelist=$work/src.sources" -o "Dir::Etc::sourceparts=$work/none"
	-o "Dir::State::Lists=$work/lists" -o "Dir::Cache::archives=$work" -o Debug::NoLocking=1
	-o APT::Sandbox::User=root)
echo "get-picohttpparser.sh: fetching h2o's source package ($suite) from deb.debian.org" >&2
if ! apt-get "${apt_opts[@]}" -qq update >"$work/log" 2>&1 ||
	! (cd "$work" && apt-get "${apt_opts[@]}" -qq source --download-only h2o >>"$work/log" 2>&1); then
	echo "get-picohttpparser.sh: apt-get could not fetch h2o's source package:" >&2
	sed 's/^/  /' "$work/log" >&2
	exit 1
fi
orig=$(compgen -G "$work/h2o_*.orig.tar.*" | head -1 || true)
[[ -n $orig ]] || { echo "get-picohttpparser.sh: no h2o_*.orig.tar.* was downloaded" >&2; exit 1; }
version=$(basename "$orig" | sed -E 's/^h2o_(.*)\.orig\.tar\..*$/\1/')
tar -xf "$orig" -C "$work" --wildcards '*/deps/picohttpparser/*'
src=$(compgen -G "$work/h2o-*/deps/picohttpparser" | head -1 || true)
[[ -n $src ]] || { echo "get-picohttpparser.sh: $orig holds no deps/picohttpparser" >&2; exit 1; }
for f in picohttpparser.c picohttpparser.h; do
	[[ -f $src/$f ]] || { echo "get-picohttpparser.sh: $f is missing from $orig" >&2; exit 1; }
done
rm -rf "$dest"
mkdir -p "$dest"
cp "$src"/picohttpparser.c "$src"/picohttpparser.h "$dest"/
[[ -f $src/README.md ]] && cp "$src/README.md" "$dest/"
echo "picohttpparser from Debian's h2o $version source package (deps/picohttpparser)" >"$dest/SOURCE"
echo "picohttpparser: $dest ($(cat "$dest/SOURCE"))"

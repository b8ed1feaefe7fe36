#!/usr/bin/env bash
# rbload-mpi over the hosts of an Open MPI hostfile, one rank per host, each free to use all of
# its host's CPUs (docs/distributed.md, "mpirun").
#
# usage: deploy/mpi/run.sh HOSTFILE RBLOAD-MPI-ARGS...
#   deploy/mpi/run.sh deploy/mpi/hosts.example -c 1024 -d 30s --json run.json \
#       http://10.0.0.1:8080/plaintext
# RBLOAD_MPI: the program's path on every host (default: rbload-mpi on the PATH).
set -euo pipefail
if [ $# -lt 2 ]; then
	sed -n '2,8p' "$0" >&2
	exit 2
fi
hostfile=$1
shift
root=()
# Open MPI refuses to run as root unless told so.
[ "$(id -u)" = 0 ] && root=(--allow-run-as-root)
# --bind-to none: without it each rank is bound to one core and rbload's threads share it.
exec mpirun "${root[@]}" --hostfile "$hostfile" --map-by ppr:1:node --bind-to none \
	"${RBLOAD_MPI:-rbload-mpi}" "$@"

#!/usr/bin/env bash
# One rbload per host through pdsh, started at the same wall-clock instant (--start-at), each
# writing an interval log; the logs copied back and summed by rbload merge
# (docs/distributed.md, "pdsh"). No MPI: the hosts need rbload, ssh and synchronised clocks
# (chrony or NTP); this host needs pdsh and rbload.
#
# usage: deploy/pdsh/run.sh HOSTS RBLOAD-ARGS...
#   deploy/pdsh/run.sh 'lg[1-4]' -c 256 -d 30s http://10.0.0.1:8080/plaintext
# Each host runs the RBLOAD-ARGS as given (-c is per host). RB_LEAD: seconds from now to the
# start (default 10: every host must have connected by then). RB_OUT: where the logs and the
# merged report go (default rb-logs). RB_COPY=rpdcp copies with rpdcp (pdsh on the hosts too)
# instead of scp.
set -euo pipefail
if [ $# -lt 2 ]; then
	sed -n '2,12p' "$0" >&2
	exit 2
fi
hosts=$1
shift
out=${RB_OUT:-rb-logs}
at=$(($(date +%s) + ${RB_LEAD:-10}))
mkdir -p "$out"
# The arguments are passed through ssh's remote shell: quote each one for it.
args=$(printf '%q ' "$@")
if [ "${RB_COPY:-scp}" = rpdcp ]; then
	# rpdcp fetches one path from every host and appends .HOST to each copy's name
	pdsh -R exec -w "$hosts" ssh -x %h rbload -q --no-progress "$args" --start-at "$at" \
		--hlog /tmp/rb.hlog
	rpdcp -R ssh -w "$hosts" /tmp/rb.hlog "$out"
else
	pdsh -R exec -w "$hosts" ssh -x %h rbload -q --no-progress "$args" --start-at "$at" \
		--hlog /tmp/rb-%h.hlog
	pdsh -R exec -w "$hosts" scp -q %h:/tmp/rb-%h.hlog "$out/"
fi
rbload merge "$out"/rb* --json "$out/merged.json" --hlog "$out/merged.hlog" \
	--hgrm "$out/merged.hgrm"

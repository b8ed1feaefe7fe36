#!/usr/bin/env bash
# PROGRAM with RB_FAULTS naming an unknown fault: it must exit 2 at once, before listening,
# with a message naming the bad entry and the allowed faults.
set -u
prog=$1
out=$(RB_FAULTS=no-multishot,bogus timeout 10 "$prog" --port 0 2>&1)
rc=$?
printf '%s\n' "$out"
if [[ $rc -ne 2 ]]; then
	echo "FAIL: exit status $rc, want 2"
	exit 1
fi
if ! grep -qF "RB_FAULTS: unknown fault 'bogus' (allowed: no-multishot, no-defer-taskrun, no-bufring, tiny-cq, enobufs, short-send, accept-fail, sq-full, no-zerocopy, no-ktls, ktls-try)" <<<"$out"; then
	echo "FAIL: the message does not name the bad fault and the allowed ones"
	exit 1
fi
if grep -q "listening" <<<"$out"; then
	echo "FAIL: it started listening"
	exit 1
fi
echo "ok"

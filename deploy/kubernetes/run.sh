#!/usr/bin/env bash
# A distributed rbload run on Kubernetes: the Indexed Job of load pods (rbload-job.yaml) with the
# start RB_LEAD seconds after its creation, then, once it completes, the merge Job
# (merge-job.yaml), whose log is the summary. Needs kubectl (a context with the right to create
# Jobs), envsubst (gettext-base), the PVC of pvc.yaml and the image of the Dockerfile in a
# registry the nodes pull from. See docs/distributed.md, "Kubernetes".
#
# usage: deploy/kubernetes/run.sh PODS URL RBLOAD-ARGS...
#   RB_IMAGE=registry.example/ringbench:0.1 deploy/kubernetes/run.sh 4 \
#       http://rbserver.bench.svc:8080/plaintext -c 256 -d 30s
# -c and -R in RBLOAD-ARGS are per pod. RB_LEAD (default 60): seconds from the Job's creation to
# the start: scheduling, the image pull and every connection must fit in it. RB_CPUS (default 2):
# CPUs per pod (requests = limits; rbload pins a thread to each).
set -euo pipefail
if [ $# -lt 3 ]; then
	sed -n '2,14p' "$0" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
export RB_PODS=$1 RB_URL=$2
shift 2
export RB_ARGS="$*"
export RB_IMAGE=${RB_IMAGE:?set RB_IMAGE to the ringbench image (deploy/kubernetes/Dockerfile)}
export RB_CPUS=${RB_CPUS:-2}
export RB_RUN=${RB_RUN:-$(date -u +%Y%m%d-%H%M%S | tr -d -)}
created=$(date +%s)
export RB_START=$((created + ${RB_LEAD:-60}))
# shellcheck disable=SC2016 # envsubst's list of variables, not expanded here
vars='${RB_RUN} ${RB_PODS} ${RB_IMAGE} ${RB_ARGS} ${RB_START} ${RB_URL} ${RB_CPUS}'
envsubst "$vars" <"$here/rbload-job.yaml" | kubectl apply -f -
echo "run $RB_RUN: $RB_PODS pods, the window opens at $RB_START ($(date -u -d "@$RB_START"))"
# The load pods: the lead, the run, and a margin (-d is in RB_ARGS; allow an hour at most).
kubectl wait --for=condition=complete --timeout=3600s "job/rbload-$RB_RUN" || {
	echo "run $RB_RUN: the load Job did not complete; its pods say why:" >&2
	kubectl logs -l "app=rbload,run=$RB_RUN" --tail=20 --prefix >&2 || true
	exit 1
}
envsubst "$vars" <"$here/merge-job.yaml" | kubectl apply -f -
kubectl wait --for=condition=complete --timeout=600s "job/rbload-merge-$RB_RUN"
kubectl logs "job/rbload-merge-$RB_RUN"

"""`rbbench compare A.json B.json`: the ratio table between two runs.

A difference is flagged CHANGED when the distance between the two medians is larger than the
wider of the two runs' own min–max spreads (the noise each run showed by itself); otherwise it
is noise. With one repetition a run has no spread: the verdict is 'no spread' (re-run with
--reps 3 or more)."""

from .common import UsageError, fmt_spread
from .report import load_result, text_table
from .schema import validate_result

# metric, label, True when higher is better
HTTP_METRICS = (("requests_per_s", "req/s", True), ("p99_us", "p99 µs", False),
                ("server_cpu_us_per_request", "server CPU-µs/req", False),
                ("load_cpu_us_per_request", "load CPU-µs/req", False))
PARSER_METRICS = (("ns_per_msg", "ns/msg", False), )


def verdict(a, b, higher_better):
    """(ratio B/A, verdict) for two spread objects."""
    if not a or not b:
        return None, "n/a"
    ratio = b["median"] / a["median"] if a["median"] else None
    if a.get("n", 1) < 2 or b.get("n", 1) < 2:
        return ratio, "no spread"
    noise = max(a["max"] - a["min"], b["max"] - b["min"])
    delta = b["median"] - a["median"]
    if abs(delta) > noise:
        better = (delta > 0) == higher_better
        return ratio, "CHANGED " + ("(better)" if better else "(worse)")
    return ratio, "noise"


def compare(path_a, path_b):
    """Returns (text, counts) where counts = {verdict: n}."""
    ra, rb = _load(path_a), _load(path_b)
    if ra["kind"] != rb["kind"]:
        raise UsageError(f"cannot compare a {ra['kind']} result with a {rb['kind']} result")
    metrics = PARSER_METRICS if ra["kind"] == "parser" else HTTP_METRICS
    ca = {c["id"]: c for c in ra["configurations"]}
    cb = {c["id"]: c for c in rb["configurations"]}
    ids = [i for i in ca if i in cb]
    lines = [f"A: {path_a}", f"   {_describe(ra)}", f"B: {path_b}", f"   {_describe(rb)}"]
    for k, label in (("cpu_model", "CPU"), ("kernel", "kernel"), ("cores", "cores")):
        if ra["environment"].get(k) != rb["environment"].get(k):
            lines.append(f"note: the {label} differs: {ra['environment'].get(k)} vs "
                         f"{rb['environment'].get(k)}")
    if ra["suite"] != rb["suite"]:
        lines.append(f"note: different suites ({ra['suite']} vs {rb['suite']}); "
                     "configurations are matched by id")
    lines.append("")
    head = ["configuration", "metric", "A median (min–max)", "B median (min–max)", "B/A", "verdict"]
    body = []
    counts = {}
    for i in ids:
        a, b = ca[i], cb[i]
        for key, label, hb in metrics:
            sa, sb = a["summary"].get(key), b["summary"].get(key)
            if not sa and not sb:
                continue
            ratio, v = verdict(sa, sb, hb)
            if a["status"] == "error" or b["status"] == "error":
                v = "ERROR in " + ("A and B" if a["status"] == b["status"] else
                                   ("A" if a["status"] == "error" else "B"))
            counts[v.split(" (")[0]] = counts.get(v.split(" (")[0], 0) + 1
            body.append([i, label, fmt_spread(sa), fmt_spread(sb),
                         f"{ratio:.3f}" if ratio is not None else "–", v])
    if body:
        lines.append(text_table(head, body))
    else:
        lines.append("no configuration is in both runs")
    only_a = [i for i in ca if i not in cb]
    only_b = [i for i in cb if i not in ca]
    if only_a:
        lines.append("only in A: " + ", ".join(only_a))
    if only_b:
        lines.append("only in B: " + ", ".join(only_b))
    lines.append("")
    lines.append("CHANGED: the medians differ by more than the wider min–max spread of the two "
                 "runs; noise: they do not; no spread: a run has one repetition.")
    lines.append("summary: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
    return "\n".join(lines), counts


def _describe(r):
    g = r["git"]
    return (f"{r['suite']} · {r['started_at']} · commit {g['short']}"
            f"{' (dirty)' if g['dirty'] else ''} · {r['options']['reps']} reps · "
            f"{r['environment']['cpu_model']}")


def _load(path):
    try:
        r = load_result(path)
    except OSError as e:
        raise UsageError(f"cannot read {path}: {e.strerror}") from None
    except ValueError as e:
        raise UsageError(f"{path} is not JSON: {e}") from None
    errs = validate_result(r)
    if errs:
        raise UsageError(f"{path} is not an rbbench result: {errs[0]}"
                         + (f" (and {len(errs) - 1} more)" if len(errs) > 1 else ""))
    return r


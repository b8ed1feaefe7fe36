"""The Markdown report beside a result (<name>.md, plots in <name>/) and the terminal table."""

import json
import os

from . import hostreport, plots
from .common import cpu_list_str, fmt_num, fmt_spread, md_table, spread


def load_result(path):
    with open(path) as f:
        return json.load(f)


def artefacts_dir(json_path, result):
    return os.path.join(os.path.dirname(os.path.abspath(json_path)), result["artefacts"])


# ---- tables ------------------------------------------------------------------------------------

def _status(c):
    return "ok" if c["status"] == "ok" else "ERROR"


def _mb(sp):
    """Peak RSS in MB (10^6 bytes), the median over the repetitions."""
    return "–" if not sp else f"{sp['median'] / 1e6:.1f}"


def _bad_status(s):
    """Responses with a status other than wanted: non-2xx, or not the case's `expect`."""
    return str(s.get("unexpected", s["non_2xx"]))


def http_rows(r):
    head = ["configuration", "status", "req/s median (min–max)", "p50 µs", "p99 µs", "p99.9 µs",
            "server CPU-µs/req", "load CPU-µs/req", "load RSS MB", "errors", "bad status"]
    rows = []
    for c in r["configurations"]:
        s = c["summary"]
        rows.append([c["id"], _status(c), fmt_spread(s["requests_per_s"]),
                     fmt_spread(s["p50_us"]), fmt_spread(s["p99_us"]), fmt_spread(s["p999_us"]),
                     fmt_spread(s["server_cpu_us_per_request"]),
                     fmt_spread(s["load_cpu_us_per_request"]),
                     _mb(s.get("load_max_rss_bytes")),
                     str(s["errors"]), _bad_status(s)])
    return head, rows


BASELINE = "nginx"  # the server the side-by-side table divides by, when the run has it


def side_by_side(r, baseline=BASELINE):
    """Servers side by side: one row per configuration without its server (case, load
    generator, connections, pipeline...), each server's req/s and CPU-µs per request
    (medians), and each other server's ratio to the baseline's (CPU: lower is better; req/s:
    higher is better). (head, rows), or None when the run has fewer than two servers."""
    cs = [c for c in r["configurations"] if "server" in c.get("params", {})]
    names = list(dict.fromkeys(c["params"]["server"] for c in cs))
    if len(names) < 2:
        return None
    groups = {}
    for c in cs:
        parts = c["id"].split(" ")
        rest = parts[1:]
        if c["params"]["server"] in rest:
            rest.remove(c["params"]["server"])
        groups.setdefault(" ".join(parts[:1] + rest), {})[c["params"]["server"]] = c
    base = baseline if baseline in names else None
    others = [n for n in names if n != base] if base else []
    head = ["configuration"]
    for n in names:
        head += [f"{n} req/s", f"{n} CPU-µs/req"]
    for n in others:
        head += [f"{n}÷{base} CPU", f"{n}÷{base} req/s"]

    def med(c, k):
        if c is None or c["status"] != "ok" or not c["summary"].get(k):
            return None
        return c["summary"][k]["median"]

    def cell(c, k):
        if c is None:
            return "–"
        if c["status"] != "ok":
            return "ERROR"
        return fmt_num(med(c, k))

    def ratio(a, b):
        return fmt_ratio(a / b) if a is not None and b else "–"

    body = []
    for key, by in groups.items():
        row = [key]
        for n in names:
            row += [cell(by.get(n), "requests_per_s"), cell(by.get(n), "server_cpu_us_per_request")]
        b = by.get(base)
        for n in others:
            row += [ratio(med(by.get(n), "server_cpu_us_per_request"),
                          med(b, "server_cpu_us_per_request")),
                    ratio(med(by.get(n), "requests_per_s"), med(b, "requests_per_s"))]
        body.append(row)
    return head, body


def loadgens_side_by_side(r, a="rbload", b="wrk"):
    """Load generators side by side: for each configuration a ran with b's twin (the same id
    without the load generator; a case named CASE-b pairs with CASE, as the tls suite's
    close-resumed-wrk with close-resumed), a's and b's load CPU-µs per request and req/s (medians)
    and a÷b of each. (head, rows), or None when no pair ran."""
    def key(c):
        parts = c["id"].split(" ")
        lg = c["params"].get("loadgen")
        case = parts[0]
        if case.endswith("-" + lg):
            case = case[:-len(lg) - 1]
        return " ".join([case] + [x for x in parts[1:] if x != lg])
    groups = {}
    for c in r["configurations"]:
        if c.get("params", {}).get("loadgen") in (a, b):
            groups.setdefault(key(c), {})[c["params"]["loadgen"]] = c

    def med(c, k):
        if c is None or c["status"] != "ok" or not c["summary"].get(k):
            return None
        return c["summary"][k]["median"]
    body = []
    for k, by in groups.items():
        if a not in by or b not in by:
            continue
        ca, cb = med(by[a], "load_cpu_us_per_request"), med(by[b], "load_cpu_us_per_request")
        ra, rb = med(by[a], "requests_per_s"), med(by[b], "requests_per_s")
        body.append([k, fmt_num(ra), fmt_num(ca), fmt_num(rb), fmt_num(cb),
                     fmt_ratio(ca / cb) if ca is not None and cb else "–",
                     fmt_ratio(ra / rb) if ra is not None and rb else "–"])
    if not body:
        return None
    return ([f"configuration", f"{a} req/s", f"{a} load CPU-µs/req", f"{b} req/s",
             f"{b} load CPU-µs/req", f"{a}÷{b} CPU", f"{a}÷{b} req/s"], body)


def open_loop_rows(r):
    """Requested against achieved rate, per open-loop configuration (rbload -R)."""
    head = ["configuration", "requested req/s", "achieved req/s median (min–max)",
            "achieved / requested", "p99 µs corrected", "p99 µs uncorrected"]
    rows = []
    for c in r["configurations"]:
        rate = c["params"].get("rate")
        reps = [x for x in c.get("repetitions", []) if x.get("rate_achieved") is not None]
        if rate is None or not reps:
            continue
        ach = spread([x["rate_achieved"] for x in reps])
        unc = spread([(x.get("latency_uncorrected_us") or {}).get("p99") for x in reps])
        rows.append([c["id"], fmt_num(rate), fmt_spread(ach), f"{ach['median'] / rate:.4f}",
                     fmt_spread(c["summary"]["p99_us"]), fmt_spread(unc)])
    return head, rows


def fmt_ratio(v):
    """A speedup to two decimals: the targets are ratios such as 1.2, and 1.18 must not read
    as 1.2."""
    return "–" if v is None else f"{v:.2f}"


def parser_rows(r):
    head = ["variant", "message", "B/msg", "ns/msg median (min–max)", "GB/s", "× scalar",
            "× http-parser", "× pico-sse42", "× pico-scalar"]
    rows = []
    for c in r["configurations"]:
        s = c["summary"]
        rows.append([c["params"]["variant"], c["params"]["message"],
                     fmt_num(c["params"]["bytes_per_msg"]), fmt_spread(s["ns_per_msg"], 4),
                     fmt_num(s["gb_per_s"]["median"]),
                     fmt_ratio(s.get("speedup_vs_scalar")),
                     fmt_ratio(s.get("speedup_vs_http_parser")),
                     fmt_ratio(s.get("speedup_vs_pico_sse42")),
                     fmt_ratio(s.get("speedup_vs_pico_scalar"))])
    return head, rows


def rows(r):
    return parser_rows(r) if r["kind"] == "parser" else http_rows(r)


def text_table(head, body):
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body)]
    fmt = lambda row: "  ".join(str(x).ljust(w) for x, w in zip(row, widths)).rstrip()
    return "\n".join([fmt(head), fmt(["-" * w for w in widths])] + [fmt(r) for r in body])


def terminal_summary(r):
    head, body = rows(r)
    lines = [f"{r['suite']}: {r['description']}",
             f"commit {r['git']['short']}{' (dirty)' if r['git']['dirty'] else ''} · "
             f"{r['environment']['cpu_model']} · {r['environment']['kernel']} · "
             f"{_options_line(r)}", "", text_table(head, body)]
    sbs = side_by_side(r) if r["kind"] == "http" else None
    if sbs:
        lines += ["", "servers side by side (medians; ÷: ratio of the medians):",
                  text_table(*sbs)]
    lbs = loadgens_side_by_side(r) if r["kind"] == "http" else None
    if lbs:
        lines += ["", "load generators side by side (medians; ÷: ratio of the medians):",
                  text_table(*lbs)]
    for s in r["skipped"]:
        lines.append(f"skipped {s['kind']} {s['what']}: {s['reason']}")
    bad = [c for c in r["configurations"] if c["status"] == "error"]
    for c in bad:
        lines.append(f"ERROR {c['id']}: {'; '.join(c['problems'])}")
    if r["kind"] == "http":
        lines += hostreport.terminal_lines(r)
    if r["kind"] == "http" and any(not c["summary"]["latency_valid"] for c in r["configurations"]
                                   if c["repetitions"]):
        lines.append("(latency –: the load generator gives no per-request percentiles there: "
                     "wrk with pipelining, h2load)")
    return "\n".join(lines)


def _options_line(r):
    o = r["options"]
    if r["kind"] == "parser":
        return f"{o['reps']} repetition(s), pinned to CPU {cpu_list_str(o['server_cpus'])}"
    return (f"{o['reps']} × {o['duration_s']:g} s after a {o['warmup_s']:g} s warm-up; server on "
            f"CPU {cpu_list_str(o['server_cpus'])}, load generator on CPU "
            f"{cpu_list_str(o['load_cpus'])}")


# ---- the Markdown report -------------------------------------------------------------------------

def write(json_path, result=None):
    """Writes <name>.md beside the JSON and the plots into its artefacts directory.
    Returns (md path, plot problems)."""
    r = result or load_result(json_path)
    art = artefacts_dir(json_path, r)
    os.makedirs(art, exist_ok=True)
    p = plots.Plotter(r, art)
    made = p.make()
    md = os.path.splitext(json_path)[0] + ".md"
    with open(md, "w") as f:
        f.write(render(r, made, p.problems))
    return md, p.problems


def render(r, made, plot_problems):
    e = r["environment"]
    o = r["options"]
    g = r["git"]
    L = [f"# {r['suite']}: {r['name']}", "", r["description"], ""]
    bad = [c for c in r["configurations"] if c["status"] == "error"]
    if bad:
        L += [f"**{len(bad)} of {len(r['configurations'])} configurations FAILED** — their "
              "figures are not results:", ""]
        L += [f"- `{c['id']}`: {'; '.join(c['problems'])}" for c in bad]
        L.append("")
    if r["kind"] == "http":
        L += hostreport.alert_banner(r)
    for s in r["skipped"]:
        L.append(f"- skipped {s['kind']} {s['what']}: {s['reason']}"
                 + (f" ({len(s['configurations'])} configurations: "
                    + ", ".join(f"`{x}`" for x in s["configurations"]) + ")"
                    if s["configurations"] else ""))
    if r["skipped"]:
        L.append("")
    L += ["## Results", "", md_table(*rows(r)), ""]
    if r["kind"] == "http":
        L += ["Medians over the repetitions, (min–max) when they differ. CPU-µs/req: CPU time "
              "(user + system) divided by the requests completed; the server's over the load "
              "generator's run, from /proc/PID/stat; the load generator's over its whole "
              "process, start-up included, from wait4 (the same for every tool). Load RSS: the load "
              "generator's peak resident memory. A latency shown as – is one the load "
              "generator cannot measure per request (wrk with pipelining, h2load). Bad status: "
              "responses that were not 2xx, or not the status the case expects (`expect`).", ""]
        sbs = side_by_side(r)
        if sbs:
            L += ["## Servers side by side", "", md_table(*sbs), "",
                  f"Each server's median req/s and server CPU-µs per request for the same "
                  f"case and load generator; X÷{BASELINE}: the ratio of X's median to "
                  f"{BASELINE}'s (CPU below 1: X spends less per request; req/s above 1: X "
                  "served more). ERROR: that configuration failed (above); –: not run.", ""]
        lbs = loadgens_side_by_side(r)
        if lbs:
            L += ["## Load generators side by side", "", md_table(*lbs), "",
                  "rbload beside wrk on the same server and case: each one's median load "
                  "CPU-µs per request (its whole process, wait4) and req/s; rbload÷wrk: the "
                  "ratio of the medians (CPU below 1: rbload spends less per request).", ""]
        open_loop = open_loop_rows(r)
        if open_loop[1]:
            L += ["## Open loop: requested and achieved rate", "", md_table(*open_loop), "",
                  "Achieved: requests sent per second of the measured window (rbload's "
                  "`rate.achieved`). Corrected latency counts from when each request was due, "
                  "uncorrected from when it was sent (coordinated omission).", ""]
        L += hostreport.host_table(r)
        L += hostreport.connection_table(r)
        L += hostreport.background_table(r)
        L += hostreport.limits_table(r)
    if made:
        L += ["## Plots", ""]
        for title, png in made:
            L += [f"### {title}", "", f"![{title}]({r['artefacts']}/{png})", ""]
    if plot_problems:
        L += ["Plots not made: " + "; ".join(plot_problems), ""]
    L += ["## Environment", "", md_table(["", ""], [
        ["commit", f"`{g['commit']}`" + (" (uncommitted changes)" if g["dirty"] else "")],
        ["date", f"{r['started_at']} – {r['finished_at']} ({r['wall_s']:.0f} s)"],
        ["command", "`" + " ".join(r["command"]) + "`"],
        ["CPU", f"{e['cpu_model']} · {e['cores']} CPUs (allowed: "
                f"{cpu_list_str(e['cpus_allowed'])}){' · virtualised' if e['virtualised'] else ''}"],
        ["CPU flags", " ".join(e["cpu_flags"])],
        ["memory", f"{e['memory_bytes'] / 2**30:.1f} GiB" if e["memory_bytes"] else "?"],
        ["kernel", e["kernel"]], ["OS", e["os"] or "?"],
        ["governor", json.dumps(e["governor"]) if e["governor"] else "not readable"],
        ["run", _options_line(r)],
    ] + [[k, v or "not installed"] for k, v in e["tools"].items()]), ""]
    if r["kind"] == "http":
        L += ["## Every repetition", ""]
        head = ["configuration", "rep", "requests", "req/s", "p50 µs", "p99 µs", "server CPU s",
                "load CPU s", "busy s (server / load CPUs)", "errors", "bad status", "hgrm"]
        body = []
        for c in r["configurations"]:
            for rep in c["repetitions"]:
                lat = rep["latency_us"] or {}
                body.append([c["id"], rep["rep"], rep["requests"], fmt_num(rep["requests_per_s"]),
                             fmt_num(lat.get("p50")) if rep["latency_valid"] else "–",
                             fmt_num(lat.get("p99")) if rep["latency_valid"] else "–",
                             f"{rep['server_cpu_s']:.2f}", f"{rep['load_cpu_s']:.2f}",
                             f"{rep['server_cpus_busy_s']:.2f} / {rep['load_cpus_busy_s']:.2f}",
                             rep["errors_total"], rep.get("unexpected", rep["non_2xx"]),
                             f"[{rep['hgrm']}]({r['artefacts']}/{rep['hgrm']})" if rep["hgrm"] else "–"])
        L += [md_table(head, body), ""]
        L += ["## Commands", ""]
        for c in r["configurations"]:
            env = c["server"].get("env") or {}
            L.append(f"- `{c['id']}`: server `{' '.join(c['server']['command'])}` (threads on "
                     f"CPUs {c['server']['cpus_allowed']})"
                     + (" with " + " ".join(f"`{k}={v}`" for k, v in env.items()) if env else "")
                     + (" headers " + ", ".join(f"`{h}`" for h in c["params"]["headers"])
                        if c["params"].get("headers") else "")
                     + (f"; load `{' '.join(c['loadgen_command'])}`" if c.get("loadgen_command") else ""))
        L.append("")
    else:
        L += ["## Commands", ""]
        for cmd in sorted({" ".join(c["command"]) for c in r["configurations"]}):
            L.append(f"- `{cmd}`")
        L.append("")
    L += ["## Suite file", "", f"`{r['suite_file']}`:", "", "```toml", r["suite_text"].rstrip(),
          "```", ""]
    return "\n".join(L)

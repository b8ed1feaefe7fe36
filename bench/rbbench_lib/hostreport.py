"""The report's host sections: the kernel's view of each configuration (CPU split per request,
connections per second, TCP trouble), the host limits a configuration was fitted to, and
normal clients' latency with and without background load. Each function returns Markdown
lines; report.render places them."""

from .common import fmt_num, fmt_spread, md_table, spread

ALERT_TEXT = """\
**What a ⚠ means.** These kernel counters should stay at zero on loopback; when they do not,
the figures of that configuration are not what they seem:

- `RetransSegs`: segments sent again. Loopback loses nothing on a wire, so a retransmission
  means a queue overflowed (a listen backlog, a receive buffer, the socket backlog) or a timer
  fired: some requests waited for a retransmission timeout (200 ms and more), and the
  latency tail and the throughput are the kernel's back-off, not the server's speed.
- `ListenOverflows`, `ListenDrops`: connection attempts dropped because the server's accept
  queue was full: the client retries its SYN after a second, so connect latencies and
  connections per second measure that wait.
- `TCPAbortOn*`: connections the kernel reset: `OnData` (data arrived on a closing socket),
  `OnClose` (closed with unread data), `OnMemory` (the host ran out of TCP memory,
  `tcp_mem`), `OnTimeout` (retries exhausted), `OnLinger`: requests were lost or cut off.
- `TCPBacklogDrop`: segments dropped because a socket's backlog was full while its owner
  held it: a stall like a retransmission's."""

HOST_NOTE = """\
Host counters are deltas over each repetition's window: from just before the load generator
starts to just after it exits (its start-up and connection set-up included), medians over the
repetitions. They are the kernel's and **host-wide**: the CPU split is the whole of the pinned
CPU sets from `/proc/stat` (everything those CPUs ran, including other programs and interrupt
work done there for the other side: on loopback the sender's CPU often runs the receiver's
softirq), and the TCP counters (`/proc/net/snmp`, `/proc/net/netstat`) count both ends of
every loopback connection and every other connection on the host, background load
generators' included. CPU-µs/req: seconds of user, system and softirq time of that CPU set
divided by the requests completed (netperf's service demand). conn/s: connections the load
generator opened per second of its window (rbload's count, opens and reopens), or the
kernel's ActiveOpens per second of the host window when the tool gives none (marked *).
Teardown aborts: the load generator ends its window by closing its connections, some with a
response on the way, and the kernel aborts each such close (TCPAbortOnClose, or
TCPAbortOnData when the response comes after it); up to one per connection open at the end is
teardown, counted here; more than that is TCP trouble."""


def _count(v):
    return "?" if v is None else f"{v:,}"


def _has_host(c):
    return any(r.get("host") for r in c.get("repetitions", []))


def alert_cell(alerts):
    """A table cell: the nonzero alert counters, red, bold and with a ⚠ (the colour shows
    where the Markdown renderer keeps inline styles; the ⚠ and bold everywhere)."""
    if not alerts:
        return "0"
    text = ", ".join(f"{k} {v:,}" for k, v in sorted(alerts.items()))
    return f'<span style="color:red">⚠ **{text}**</span>'


def _triple(h, side):
    return " / ".join(fmt_num((h.get(f"{side}_{f}_us_per_request") or {}).get("median"))
                      for f in ("user", "system", "softirq"))


def host_table(r):
    cs = [c for c in r["configurations"] if _has_host(c)]
    if not cs:
        return []
    head = ["configuration", "server CPU-µs/req user / sys / softirq",
            "load CPU-µs/req user / sys / softirq", "conn/s", "TCP trouble", "teardown aborts"]
    body = []
    for c in cs:
        h = c["summary"].get("host") or {}
        by = {x.get("connections_counted_by") for x in c["repetitions"]}
        star = "*" if "ActiveOpens" in by else ""
        body.append([c["id"], _triple(h, "server"), _triple(h, "load"),
                     fmt_spread(h.get("connections_per_s")) + star, alert_cell(h.get("alerts")),
                     f"{h.get('teardown_aborts', 0):,}"])
    L = ["## Host counters", "", md_table(head, body), "", HOST_NOTE, ""]
    clamped = sorted({x for c in cs for x in (c["summary"].get("host") or {}).get("clamped", [])})
    if clamped:
        L += ["Counters that went backwards during a window (a wrap or a reset) were clamped "
              "to 0: " + ", ".join(f"`{x}`" for x in clamped) + ".", ""]
    if any((c["summary"].get("host") or {}).get("alerts") for c in cs):
        L += [ALERT_TEXT, ""]
    return L


def alert_banner(r):
    """Lines for the top of the report: the configurations with TCP trouble."""
    bad = [(c["id"], c["summary"]["host"]["alerts"]) for c in r["configurations"]
           if (c.get("summary") or {}).get("host", {}).get("alerts")]
    if not bad:
        return []
    L = [f"⚠ **TCP trouble in {len(bad)} configuration{'s' if len(bad) > 1 else ''}: their "
         "figures are not what they seem** (see *Host counters*):", ""]
    L += [f"- `{i}`: {alert_cell(a)}" for i, a in bad]
    return L + [""]


def connection_table(r):
    """Configurations that opened connections during the window beyond their first ones
    (churn: --close, a connection rate): connections per second and CPU per connection."""
    rows = []
    for c in r["configurations"]:
        reps = [x for x in c.get("repetitions", []) if x.get("host")]
        if not reps:
            continue
        opened = [x.get("connections_opened") for x in reps]
        churn = "--close" in (c["params"].get("args") or []) or \
            any(o is not None and o > 2 * c["params"]["connections"] for o in opened)
        if not churn:
            continue
        h = c["summary"]["host"]
        ao = spread([x["host"]["tcp"].get("ActiveOpens", 0) / x["host"]["window_s"]
                     for x in reps if x["host"]["window_s"]])
        fails = sum(x["host"]["tcp"].get("AttemptFails", 0) for x in reps)
        resets = sum(x["host"]["tcp"].get("EstabResets", 0) for x in reps)
        rows.append([c["id"], fmt_spread(h.get("connections_per_s")), fmt_spread(ao),
                     fmt_spread(h.get("server_cpu_us_per_connection")),
                     fmt_spread(h.get("load_cpu_us_per_connection")), f"{fails:,}",
                     f"{resets:,}"])
    if not rows:
        return []
    head = ["configuration", "conn/s (load generator)", "ActiveOpens/s (kernel)",
            "server CPU-µs/conn", "load CPU-µs/conn", "AttemptFails", "EstabResets"]
    return ["## Connections", "", md_table(head, rows), "",
            "CPU-µs/conn: the server's and the load generator's process CPU time (as in the "
            "results table) divided by the connections the load generator opened in its "
            "window; with one request per connection (`--close`) it equals the CPU per request. "
            "ActiveOpens/s is the kernel's host-wide count over the host window (start-up "
            "included). AttemptFails, EstabResets: the kernel's, summed over the repetitions.", ""]


def limits_table(r):
    cs = [c for c in r["configurations"] if c.get("limits")]
    lim_skips = [s for s in r.get("skipped", []) if s["kind"] == "host limit"]
    if not cs and not lim_skips:
        return []
    L = ["## Host limits", ""]
    head = ["configuration", "connections asked", "connections used", "background", "why"]
    body = []
    for c in cs:
        d = c["limits"]
        bg = " + ".join(f"{b['name']} {b['connections']:,}" for b in c["params"].get("background", []))
        body.append([c["id"], str(d["requested"]), f"{c['params']['connections']:,}", bg or "–",
                     d["reason"] or "within every limit"])
    for s in lim_skips:
        body.append([s["what"], "", "**not run**", "", s["reason"]])
    L += [md_table(head, body), ""]
    host = next((c["limits"].get("host") for c in cs if c["limits"].get("host")), None)
    if host:
        pr = host.get("port_range")
        pr = f"{pr[0]}–{pr[1]}" if pr else "unreadable, taken as"
        L += [f"This host: the load generator's RLIMIT_NOFILE {host['load_nofile']:,} (the hard "
              f"limit, which rbload raises itself to), the server's {host['server_nofile']:,}, "
              f"ephemeral ports {pr} ({host['ports_per_address']:,} "
              "per source address and destination). Each limit, less the margin held back "
              "(`bench/rbbench_lib/hostlimits.py`), in connections: "
              + "; ".join(f"{k} {v:,}" for k, v in cs[0]["limits"]["limits"].items()) + ". "
              "Raise them (`ulimit -n`, `/etc/security/limits.conf`, "
              "`net.ipv4.ip_local_port_range`, more `source` addresses) to go further.", ""]
    return L


def background_table(r):
    """Normal clients' figures with background load and without (the configuration with the
    same parameters and no background)."""
    def key(c):
        p = dict(c["params"])
        p.pop("background", None)
        return repr(sorted(p.items(), key=lambda kv: kv[0]))
    plain = {key(c): c for c in r["configurations"] if not c["params"].get("background")}
    rows = []
    recs = []
    for c in r["configurations"]:
        bgs = c["params"].get("background")
        if not bgs:
            continue
        base = plain.get(key(c))
        s = c["summary"]
        b = base["summary"] if base else {}
        p99w, p99b = (s.get("p99_us") or {}).get("median"), (b.get("p99_us") or {}).get("median")
        ratio = f"{p99w / p99b:.2f}×" if p99w and p99b else "–"
        rows.append([c["id"], " + ".join(f"{x['name']} ×{x['connections']:,}" for x in bgs),
                     base["id"] if base else "(none in this run)",
                     fmt_spread(b.get("p99_us")), fmt_spread(s.get("p99_us")), ratio,
                     fmt_spread(b.get("requests_per_s")), fmt_spread(s.get("requests_per_s"))])
        st = c.get("background_settle")
        if st:
            recs.append(f"- `{c['id']}`: {st['established']:,} of {st['wanted']:,} background "
                        f"connections established to the server {st['s']:g} s after they "
                        "started, when the warm-up began")
        for rec in c.get("background", []):
            held = "held to the end" if rec["stopped_by_rbbench"] else \
                f"**exited early** (status {rec['exit_status']})"
            recs.append(f"- `{c['id']}` background `{rec['name']}`: {rec['connections']:,} "
                        f"connections on `{rec['path']}`, {held}; "
                        f"{_count(rec['requests'])} responses, {_count(rec['errors_total'])} "
                        f"errors, {_count(rec['connections_opened'])} connections opened"
                        + (f"; its report [{rec['json']}]({r['artefacts']}/{rec['json']})"
                           if rec["json"] else ""))
    if not rows:
        return []
    head = ["configuration", "background", "compared with", "p99 µs without", "p99 µs with",
            "p99 with / without", "req/s without", "req/s with"]
    return ["## Normal clients beside background load", "", md_table(head, rows), "",
            "The background load generators (rbload) start before the configuration's warm-up "
            "and stop after its last repetition; the normal clients are measured meanwhile. "
            "*Compared with*: the configuration with the same parameters and no background.",
            ""] + recs + [""]


def terminal_lines(r):
    out = []
    for c in r["configurations"]:
        a = (c.get("summary") or {}).get("host", {}).get("alerts")
        if a:
            out.append(f"TCP TROUBLE {c['id']}: " + ", ".join(f"{k} {v:,}" for k, v in sorted(a.items())))
    for s in r.get("skipped", []):
        if s["kind"] in ("host limit", "rbload flag"):
            out.append(f"skipped ({s['kind']}) {', '.join(s['configurations'])}: {s['reason']}")
    return out


"""Host counters: what the kernel counted over a measured window, from /proc.

The parsers are pure functions of the file's text (tests feed them fixture text); sample()
reads the files, delta() turns two samples into the `host` object of a repetition
(results/README.md). Every figure is host-wide: on loopback the kernel counts both ends of
every connection, and anything else running on the machine is counted too.

  /proc/stat          per-CPU time (user nice system idle iowait irq softirq steal, in ticks),
                      ctxt (context switches), intr (interrupts, the first figure)
  /proc/net/snmp      Tcp: ActiveOpens PassiveOpens AttemptFails EstabResets RetransSegs ...
  /proc/net/netstat   TcpExt: ListenOverflows ListenDrops TCPTimeouts TCPAbortOn* TW ...
  /proc/net/sockstat  sockets: used; TCP: inuse orphan tw alloc mem (mem in pages)

Counters are deltas, never negative: a counter that went backwards (a 32-bit counter that
wrapped, a namespace or module reset) is clamped to 0 and named in `clamped`. Gauges
(Tcp CurrEstab, the sockstat figures) are kept as values: start, end and the largest seen.
"""

import os

# /proc/stat's per-CPU columns, in order (guest and guest_nice are already in user and nice).
STAT_FIELDS = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")
# Tcp: values in /proc/net/snmp that are not counters: constants and one gauge.
TCP_CONSTANTS = ("RtoAlgorithm", "RtoMin", "RtoMax", "MaxConn")
TCP_GAUGES = ("CurrEstab",)
# Nonzero deltas of these mean the measurement did not go as it seems (the report flags them).
ALERT_EXACT = ("RetransSegs", "ListenOverflows", "ListenDrops", "TCPBacklogDrop")
ALERT_PREFIX = ("TCPAbortOn",)
FILES = {"stat": "/proc/stat", "snmp": "/proc/net/snmp", "netstat": "/proc/net/netstat",
         "sockstat": "/proc/net/sockstat"}


# ---- parsers: text in, plain data out --------------------------------------------------------

def parse_stat(text):
    """/proc/stat -> {"cpus": {n: {field: ticks}}, "ctxt": int, "intr": int} (ctxt and intr
    None when absent). The aggregate "cpu" line is left out: callers sum the CPUs they want."""
    cpus = {}
    out = {"cpus": cpus, "ctxt": None, "intr": None}
    for line in text.splitlines():
        p = line.split()
        if not p:
            continue
        if p[0].startswith("cpu") and p[0][3:].isdigit():
            vals = [int(x) for x in p[1:1 + len(STAT_FIELDS)]]
            vals += [0] * (len(STAT_FIELDS) - len(vals))  # old kernels: no steal column
            cpus[int(p[0][3:])] = dict(zip(STAT_FIELDS, vals))
        elif p[0] == "ctxt" and len(p) > 1:
            out["ctxt"] = int(p[1])
        elif p[0] == "intr" and len(p) > 1:
            out["intr"] = int(p[1])
    return out


def parse_pairs(text):
    """/proc/net/snmp and /proc/net/netstat: pairs of lines, names then values, each led by
    the same "Prefix:". -> {"Tcp": {"ActiveOpens": n, ...}, "TcpExt": {...}, ...}. A header
    without its value line, or a value that is not an integer, is left out."""
    out = {}
    lines = [l.split() for l in text.splitlines() if l.strip()]
    i = 0
    while i + 1 < len(lines):
        head, vals = lines[i], lines[i + 1]
        if head[0] != vals[0] or not head[0].endswith(":"):
            i += 1
            continue
        group = out.setdefault(head[0][:-1], {})
        for name, v in zip(head[1:], vals[1:]):
            try:
                group[name] = int(v)
            except ValueError:
                pass
        i += 2
    return out


def parse_sockstat(text):
    """/proc/net/sockstat -> {"sockets": {"used": n}, "TCP": {"inuse": n, "orphan": n,
    "tw": n, "alloc": n, "mem": pages}, "UDP": {...}, ...}: each line is "Name: key value ..."."""
    out = {}
    for line in text.splitlines():
        if ":" not in line:
            continue
        name, rest = line.split(":", 1)
        p = rest.split()
        group = {}
        for k, v in zip(p[0::2], p[1::2]):
            try:
                group[k] = int(v)
            except ValueError:
                pass
        out[name.strip()] = group
    return out


# ---- deltas ---------------------------------------------------------------------------------

def counter_delta(before, after, clamped, prefix=""):
    """{name: after - before} for every name in both; a negative difference (wrap, reset) is
    clamped to 0 and its name (with prefix) appended to clamped."""
    out = {}
    for name, a in after.items():
        if name not in before:
            continue
        d = a - before[name]
        if d < 0:
            clamped.append(prefix + name)
            d = 0
        out[name] = d
    return out


def cpu_split(before, after, cpus, hz, clamped):
    """Seconds of each /proc/stat field, summed over cpus, between two parse_stat results:
    {"cpus": [...], "user_s": .., "nice_s": .., ...}. A CPU missing from a sample (offline)
    counts nothing."""
    out = {"cpus": sorted(cpus)}
    for f in STAT_FIELDS:
        ticks = 0
        for c in cpus:
            b = before["cpus"].get(c)
            a = after["cpus"].get(c)
            if a is None or b is None:
                continue
            d = a[f] - b[f]
            if d < 0:  # idle and iowait can step back on some kernels: clamp, and say so
                clamped.append(f"cpu{c}.{f}")
                d = 0
            ticks += d
        out[f + "_s"] = ticks / hz
    return out


def _scalar_delta(before, after, name, clamped):
    if before is None or after is None:
        return None
    d = after - before
    if d < 0:
        clamped.append(name)
        d = 0
    return d


def gauge_track(peaks, sock, estab):
    """Folds one sample of the gauges into peaks ({key: max}): the TCP sockstat figures,
    sockets used and Tcp CurrEstab."""
    for key, v in gauge_values(sock, estab).items():
        if v is not None and (key not in peaks or v > peaks[key]):
            peaks[key] = v
    return peaks


def gauge_values(sock, estab):
    """The gauges of one sample, by the names the `host` object gives them."""
    tcp = sock.get("TCP", {})
    return {"tcp_inuse": tcp.get("inuse"), "tcp_orphan": tcp.get("orphan"),
            "tcp_tw": tcp.get("tw"), "tcp_alloc": tcp.get("alloc"),
            "tcp_mem_pages": tcp.get("mem"), "sockets_used": sock.get("sockets", {}).get("used"),
            "tcp_curr_estab": estab}


def delta(before, after, server_cpus, load_cpus, hz, peaks=None, page=4096):
    """The `host` object between two sample() results: window_s, cpu {server, load}, ctxt,
    intr, tcp {Tcp counter: delta}, tcp_ext {TcpExt counter: delta}, gauges {name: {start,
    end, max}}, clamped [names], alerts {name: delta} (the nonzero ones the report flags).
    peaks: gauge maxima seen between the samples (gauge_track), folded in with both ends;
    page: the page size tcp_mem_pages counts in (kept as page_size)."""
    clamped = []
    sb, sa = before["stat"], after["stat"]
    tb = before["snmp"].get("Tcp", {})
    ta = after["snmp"].get("Tcp", {})
    skip = TCP_CONSTANTS + TCP_GAUGES
    tcp = counter_delta({k: v for k, v in tb.items() if k not in skip},
                        {k: v for k, v in ta.items() if k not in skip}, clamped, "Tcp.")
    ext = counter_delta(before["netstat"].get("TcpExt", {}), after["netstat"].get("TcpExt", {}),
                        clamped, "TcpExt.")
    g0 = gauge_values(before["sockstat"], tb.get("CurrEstab"))
    g1 = gauge_values(after["sockstat"], ta.get("CurrEstab"))
    top = dict(peaks or {})
    gauge_track(top, before["sockstat"], tb.get("CurrEstab"))
    gauge_track(top, after["sockstat"], ta.get("CurrEstab"))
    gauges = {k: {"start": g0[k], "end": g1[k], "max": top.get(k)} for k in g0
              if g0[k] is not None and g1[k] is not None}
    return {
        "window_s": max(0.0, after["t"] - before["t"]),
        "cpu": {"server": cpu_split(sb, sa, server_cpus, hz, clamped),
                "load": cpu_split(sb, sa, load_cpus, hz, clamped)},
        "ctxt": _scalar_delta(sb["ctxt"], sa["ctxt"], "ctxt", clamped),
        "intr": _scalar_delta(sb["intr"], sa["intr"], "intr", clamped),
        "tcp": tcp,
        "tcp_ext": ext,
        "gauges": gauges,
        "page_size": page,
        "clamped": clamped,
        "alerts": alerts(tcp, ext),
    }


def is_alert(name):
    return name in ALERT_EXACT or name.startswith(ALERT_PREFIX)


def alerts(tcp, ext):
    """{name: delta} of the nonzero counters that mean trouble: retransmissions, a full
    listen queue, aborted connections, backlog drops."""
    out = {}
    for group in (tcp, ext):
        for k, v in group.items():
            if v and is_alert(k):
                out[k] = v
    return out


# ---- reading /proc ----------------------------------------------------------------------------

def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def sample(read=_read, clock=None):
    """One reading of the four files, parsed, with its monotonic time "t". A file that cannot
    be read parses as empty (its counters are then absent from the deltas)."""
    import time
    t = (clock or time.monotonic)()
    return {"t": t, "stat": parse_stat(read(FILES["stat"])),
            "snmp": parse_pairs(read(FILES["snmp"])),
            "netstat": parse_pairs(read(FILES["netstat"])),
            "sockstat": parse_sockstat(read(FILES["sockstat"]))}


class Watcher:
    """Gauge maxima over a run: poll() reads /proc/net/sockstat and Tcp CurrEstab (the
    measuring loop calls it every 100 ms); peaks is what delta() takes."""

    def __init__(self, read=_read):
        self.read = read
        self.peaks = {}

    def poll(self):
        sock = parse_sockstat(self.read(FILES["sockstat"]))
        estab = parse_pairs(self.read(FILES["snmp"])).get("Tcp", {}).get("CurrEstab")
        gauge_track(self.peaks, sock, estab)


def page_size():
    try:
        return os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return 4096

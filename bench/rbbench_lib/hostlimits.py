"""Host limits: how many connections a configuration may open here, and why no more.

A connection costs a file descriptor on each side and, on the load generator's side, a local
port per (source address, destination). The limits taken into account:
  - the load generator's RLIMIT_NOFILE: rbload raises its soft limit to the hard limit and
    needs connections + 64 (so the hard limit of the process that starts it, less 64); each
    load generator (measured or background) is a process of its own;
  - the server's RLIMIT_NOFILE (the soft limit it inherits from rbbench, which raises its own
    soft limit to the hard one), less SERVER_FD_MARGIN for its listening sockets, rings, log
    and static files; every connection of the configuration, background ones included, is
    one of the server's descriptors; and rbserver's --max-conns times its threads;
  - the ephemeral port range (/proc/sys/net/ipv4/ip_local_port_range) times the number of
    source addresses, less PORT_MARGIN per address for ports other sockets and TIME_WAIT
    hold; load generators without a source address share 127.0.0.1's ports;
  - rbload's own ceiling of 1,000,000 connections, and 16,384 per rbload thread: each thread
    asks io_uring for a completion queue of 4 entries per connection, and the kernel refuses
    more than 65,536 (IORING_MAX_CQ_ENTRIES) with EINVAL (lg_worker_setup; a background
    generator has one thread).
Memory (tcp_mem, RAM) is not predicted: the kernel counters show when it ran short
(TCPAbortOnMemory). The functions here are pure but read_limits(), so tests feed them numbers.
"""

import ipaddress
import resource

LOAD_FD_MARGIN = 64
SERVER_FD_MARGIN = 256
PORT_MARGIN = 1024
RBLOAD_MAX = 1_000_000


def parse_port_range(text):
    """'32768\\t60999\\n' -> (32768, 60999); None when it does not parse."""
    p = text.split()
    if len(p) != 2 or not all(x.isdigit() for x in p):
        return None
    lo, hi = int(p[0]), int(p[1])
    return (lo, hi) if lo <= hi else None


def parse_nofile(limits_text):
    """The soft 'Max open files' of a /proc/PID/limits text; None when absent or unlimited."""
    for line in limits_text.splitlines():
        if line.startswith("Max open files"):
            v = line[len("Max open files"):].split()
            return int(v[0]) if v and v[0].isdigit() else None
    return None


def count_addresses(spec):
    """The number of addresses in an rbload --source value: a list (a,b,c), a range
    (127.0.0.2-127.0.0.9), a CIDR block (10.0.0.0/29: every address in it) or one address;
    the forms may be mixed in a comma list. Raises ValueError on anything else."""
    total = 0
    for part in str(spec).split(","):
        part = part.strip()
        if not part:
            raise ValueError(f"empty address in {spec!r}")
        if "/" in part:
            total += ipaddress.ip_network(part, strict=False).num_addresses
        elif "-" in part:
            a, b = (ipaddress.ip_address(x.strip()) for x in part.split("-", 1))
            if a.version != b.version or int(b) < int(a):
                raise ValueError(f"address range {part!r} runs backwards or mixes families")
            total += int(b) - int(a) + 1
        else:
            ipaddress.ip_address(part)
            total += 1
    return total


def read_limits(server_max_conns, pid=None, load_threads=1, rbload=True):
    """The host's figures: load_nofile (the hard RLIMIT_NOFILE rbload can raise itself to),
    server_nofile (the soft limit a server started by this process gets, or the running
    server pid's own), port_range and ports_per_address; server_max_conns, load_threads
    (the measured load generator's threads) and rbload (whether it is rbload, whose own
    ceilings then count) as passed in."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    inf = resource.RLIM_INFINITY
    server = None
    if pid:
        try:
            with open(f"/proc/{pid}/limits") as f:
                server = parse_nofile(f.read())
        except OSError:
            server = None
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            pr = parse_port_range(f.read())
    except OSError:
        pr = None
    return {"load_nofile": RBLOAD_MAX + LOAD_FD_MARGIN if hard == inf else hard,
            "server_nofile": server or (RBLOAD_MAX * 2 if soft == inf else soft),
            "port_range": list(pr) if pr else None,
            "ports_per_address": pr[1] - pr[0] + 1 if pr else 28232,
            "server_max_conns": server_max_conns, "load_threads": load_threads,
            "rbload": rbload}


def raise_nofile():
    """Raises this process's soft RLIMIT_NOFILE to its hard limit, as rbload does for itself,
    so the servers rbbench starts inherit it. Returns (old soft, new soft)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            return soft, soft
    return soft, resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def _n(v):
    return f"{v:,}"


def budgets(sources, lim):
    """The limits as connection counts, each with the sentence that explains it:
    {name: (connections, why)}. The server's limits count every connection of the
    configuration, background ones too; the ports, those from the same source addresses."""
    ports = max(0, lim["ports_per_address"] - PORT_MARGIN)
    b = {
        "load generator RLIMIT_NOFILE": (
            max(0, lim["load_nofile"] - LOAD_FD_MARGIN),
            f"rbload's RLIMIT_NOFILE (hard limit {_n(lim['load_nofile'])}) less "
            f"{LOAD_FD_MARGIN} for its own descriptors"),
        "server RLIMIT_NOFILE": (
            max(0, lim["server_nofile"] - SERVER_FD_MARGIN),
            f"the server's RLIMIT_NOFILE ({_n(lim['server_nofile'])}) less "
            f"{SERVER_FD_MARGIN} for its own descriptors"),
        "ephemeral ports": (
            ports * max(sources, 1),
            f"the ephemeral port range ({_n(lim['ports_per_address'])} ports, "
            f"ip_local_port_range) less {PORT_MARGIN} held back, times {max(sources, 1)} "
            f"source address{'es' if sources > 1 else ''}"),
        "rbload maximum": (RBLOAD_MAX, "rbload's maximum of 1,000,000 connections"),
    }
    if not lim.get("rbload", True):  # wrk, h2load: not rbload's ceilings
        del b["rbload maximum"]
    if lim.get("server_max_conns"):
        b["server --max-conns"] = (lim["server_max_conns"],
                                   f"rbserver's --max-conns times its threads "
                                   f"({_n(lim['server_max_conns'])})")
    return b


def plan(requested, sources, background, lim):
    """Decides one configuration's connections against the limits lim (read_limits()).

    requested: connections asked for (an int, or "max" for as many as the limits allow);
    sources: source addresses of the measured load generator (0: none given, 127.0.0.1);
    background: [connections asked for, per background load generator] (each a process of
    its own, all from 127.0.0.1, all served by the same server).
    Returns {"requested", "connections" (None: it cannot run), "background" [granted],
    "bound" (the limit that decided, or None), "reason" (one sentence: why it stopped
    there, why the background was cut, or why it cannot run), "limits" {name: connections
    that limit allows, background included}}."""
    b = budgets(sources, lim)
    bg_req = list(background or [])
    bg = sum(bg_req)
    # what each limit leaves the measured load generator once the background is served
    shared = ("server RLIMIT_NOFILE", "server --max-conns") + \
        (("ephemeral ports",) if not sources else ())
    left = {k: v - (bg if k in shared else 0) for k, (v, _) in b.items()}
    out = {"requested": requested, "connections": None, "background": bg_req, "bound": None,
           "reason": None, "limits": {k: v for k, (v, _) in b.items()}}
    if requested == "max":
        bound = min(left, key=lambda k: left[k])
        n = left[bound]
        out["bound"] = bound
        if n < 1:
            out["reason"] = f"no connection fits: {b[bound][1]} leaves {_n(n)}"
            return out
        out["connections"] = n
        out["reason"] = f"stopped at {_n(n)} connections by {b[bound][1]}" + \
            (f", beside {_n(bg)} background connections" if bg and bound in shared else "")
        return out
    for k, (v, why) in b.items():
        if requested > v:
            out["bound"] = k
            out["reason"] = f"{_n(requested)} connections do not fit: {why} allows {_n(v)}"
            return out
    out["connections"] = requested
    if not bg_req:
        return out
    # The background is cut to what is left, in proportion, each within its own fd limit.
    room = min(v for k, (v, _) in b.items() if k in shared) - requested
    granted = [min(x, b["load generator RLIMIT_NOFILE"][0]) for x in bg_req]
    if sum(granted) > room:
        granted = [int(x * max(0, room) / sum(granted)) for x in granted]
    out["background"] = granted
    if granted != bg_req:
        k = min(shared, key=lambda k: b[k][0] if k in b else float("inf"))
        out["bound"] = k
        if any(g < 1 for g in granted):
            out["connections"] = None
            out["reason"] = (f"no room for the background beside {_n(requested)} connections: "
                             f"{b[k][1]} allows {_n(b[k][0])}")
        else:
            out["reason"] = (f"background cut from {' + '.join(map(_n, bg_req))} to "
                             f"{' + '.join(map(_n, granted))} connections: {b[k][1]} allows "
                             f"{_n(b[k][0])} in all")
    return out

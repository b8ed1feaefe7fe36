"""Background load generators: rbload processes run beside the measured one (a case's
`background` table: slow clients holding the server while normal clients are measured).

They start before the configuration's warm-up, run through its repetitions and are stopped
with SIGINT after the last one, when rbload writes its JSON report; each is pinned to the
load generator's CPUs on one thread. One that exits before the measurement is over did not
hold the server as the configuration claims: the configuration is then an error."""

import os
import signal
import subprocess
import time

from . import loadgens, procs
from .common import RunError

SETTLE_S = 1.0      # planned time for them to connect (the time estimate)
SETTLE_MAX_S = 15.0  # at most this long waiting for their connections
STOP_GRACE_S = 10.0


def count_established(text, port):
    """ESTABLISHED sockets (state 01) whose local port is port, in /proc/net/tcp or tcp6
    text: the server's side of the connections made to it."""
    n = 0
    want = f"{port:04X}"
    for line in text.splitlines()[1:]:
        p = line.split()
        if len(p) > 3 and p[3] == "01" and p[1].rsplit(":", 1)[-1] == want:
            n += 1
    return n


def established(port):
    n = 0
    for f in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(f) as fh:
                n += count_established(fh.read(), port)
        except OSError:
            pass
    return n


class Background:
    def __init__(self, specs, port, seconds, cpus, build_dir, artefacts, rundir, tag):
        """specs: the configuration's background entries (name, connections, path, args);
        port: the server's, on 127.0.0.1; seconds: how long they may need to run at most."""
        self.specs = specs
        self.port = port
        self.seconds = seconds
        self.cpus = cpus
        self.build_dir = build_dir
        self.artefacts = artefacts
        self.rundir = rundir
        self.tag = tag
        self.running = []  # (spec, Popen, json path, log path, argv)
        self.settle = None  # {"s": seconds waited, "established": connections seen}

    def start(self):
        for b in self.specs:
            tag = f"{self.tag}.bg-{b['name']}"
            url = f"http://127.0.0.1:{self.port}{b.get('path', '/plaintext')}"
            argv, js = loadgens.background_command(b, url,
                                                   self.seconds, self.cpus, self.build_dir,
                                                   self.artefacts, tag)
            log = os.path.join(self.rundir, f"{tag}.log")
            with open(log, "w") as out:
                try:
                    p = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)
                except OSError as e:
                    self.stop()
                    raise RunError(f"cannot run {argv[0]}: {e}") from None
            self.running.append((b, p, js, log, argv))
        if self.running:
            self.wait_connected()

    def wait_connected(self):
        """Waits until the kernel shows every background connection established to the
        server's port (they are the only ones then), until their count stops growing for a
        second, or SETTLE_MAX_S: at least SETTLE_S."""
        want = sum(b["connections"] for b in self.specs)
        t0 = time.monotonic()
        last, since = -1, t0
        while True:
            time.sleep(0.1)
            now = time.monotonic()
            n = established(self.port)
            if n != last:
                last, since = n, now
            if now - t0 >= SETTLE_S and (n >= want or now - since >= 1.0):
                break
            if now - t0 >= SETTLE_MAX_S or self.dead():
                break
        self.settle = {"s": round(time.monotonic() - t0, 2), "established": last,
                       "wanted": want}

    def dead(self):
        """[(name, status, last log line)] of the ones that have exited."""
        out = []
        for b, p, _, log, _ in self.running:
            if p.poll() is not None:
                out.append((b["name"], p.returncode, _tail(log)))
        return out

    def stop(self):
        """Stops every one (SIGINT: rbload writes its report) and returns their records:
        name, command, connections, path, exit_status (null while it ran: it was stopped
        as planned; else the status it exited with by itself), json (the report's file name
        in the artefacts directory, or null), requests, errors_total, connections_opened."""
        records = []
        for b, p, js, log, argv in self.running:
            ran = p.poll() is None
            status = procs.stop(p, signal.SIGINT, STOP_GRACE_S)
            j = loadgens.read_rbload_json(js)
            rec = {"name": b["name"], "command": argv, "connections": b["connections"],
                   "path": b.get("path", "/plaintext"),
                   "exit_status": None if ran else status,
                   "stopped_by_rbbench": ran, "json": os.path.basename(js) if j else None,
                   "requests": None, "errors_total": None, "connections_opened": None,
                   "log_tail": None if ran else _tail(log)}
            if j:
                rec["requests"] = j.get("requests")
                rec["errors_total"] = sum(v for k, v in (j.get("errors") or {}).items())
                c = j.get("connections") or {}
                if c.get("established") is not None:
                    rec["connections_opened"] = c["established"]
                elif c.get("opened") is not None:
                    rec["connections_opened"] = c["opened"] + (c.get("reopened") or 0)
            records.append(rec)
        self.running = []
        return records


def _tail(path):
    try:
        with open(path) as f:
            lines = f.read().strip().splitlines()
    except OSError:
        return ""
    return lines[-1] if lines else ""

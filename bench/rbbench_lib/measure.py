"""Measuring an HTTP suite: servers and load generators pinned to disjoint CPUs, a warm-up per
configuration, then repetitions in rounds (A B C, A B C, ...) so that noise hits all alike.

Per repetition: the load generator's figures, the server's CPU time (utime + stime of the
server and its children from /proc/PID/stat, before and after the load generator ran), the load
generator's CPU time (wait4 rusage of the whole process, for every tool) and peak RSS, the busy
time of the pinned CPUs (/proc/stat: more than the two processes means other load), and the
host's counters over the run (hostcounters: CPU split of both CPU sets, the kernel's TCP
counters, socket gauges).

Before anything runs, each configuration is checked against what this host and this rbload
can do: a flag `rbload --help` does not name, or more connections than the file-descriptor
limits and the ephemeral ports allow (hostlimits), skips it with the reason; connections =
"max" becomes the largest count the limits allow. A configuration with background load
generators runs as one block after the rounds: they start before its warm-up and stop after
its last repetition.

A server variant the suite marks optional ([servers.NAME] optional = true) that does not start
(e.g. rbserver refusing an RB_FAULTS name it does not know yet, exit 2) is skipped with the
reason; its configurations are not measured, the rest are.

Conditional and range requests: a header value may hold {etag} or {last_modified}, filled per
server from its answer to a plain GET of the path before the measurement; `expect` is the
status every response must have (304, 206). The pre-flight checks it and records the bytes
of that whole response on the wire; each repetition then checks the responses by their exact
status codes where the tool counts them (rbload) and, for every tool, that the bytes read per
response match that size (wrk counts only statuses above 399 as errors, so a 200 in place of
a 304 shows there as a body 64 KiB too long)."""

import os
import re
import subprocess

from . import hostcounters, hostlimits, loadgens, procs, servers
from .background import SETTLE_S, Background
from .common import RunError, spread

METRICS = ("requests_per_s", "p50_us", "p90_us", "p99_us", "p999_us", "max_us",
           "server_cpu_us_per_request", "load_cpu_us_per_request",
           "server_cpu_utilisation", "load_cpu_utilisation")
OVERHEAD_S = 0.4  # per load-generator run, for the time estimate


def rbparse_variants(build_dir):
    exe = os.path.join(build_dir, "bin", "rbparse")
    try:
        r = subprocess.run([exe, "variants"], stdout=subprocess.PIPE, text=True, timeout=10,
                           check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return r.stdout.split()


def _expected_bytes(params, files):
    """The body bytes of the answer to the configuration's request, None when unknown."""
    expect = params.get("expect")
    if expect in (204, 304):
        return 0
    if params.get("size") is not None and params["path"].startswith("/bytes/"):
        return params["size"]
    if params.get("body_size") is not None and params["path"] == "/echo":
        return params["body_size"]
    name = params["path"].lstrip("/")
    size = files.get(name)
    if size is not None and expect == 206:
        return range_bytes(params.get("headers", []), size)
    return size


def range_bytes(headers, size):
    """Body bytes of a 206 answer to a single-range Range header on a file of size bytes
    (RFC 9110 14.1.2), None when there is no single satisfiable range."""
    for h in headers:
        name, _, v = h.partition(":")
        if name.strip().lower() != "range":
            continue
        m = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", v)
        if not m or (not m.group(1) and not m.group(2)):
            return None
        if not m.group(1):  # suffix: the last N bytes
            return min(int(m.group(2)), size)
        first = int(m.group(1))
        last = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
        return last - first + 1 if first < size and last >= first else None
    return None


def fill_placeholders(headers, answer):
    """headers with {etag} and {last_modified} replaced from a server's answer (http_get);
    raises ValueError naming the header the answer cannot fill."""
    out = []
    for h in headers:
        for ph, key in (("{etag}", "etag"), ("{last_modified}", "last_modified")):
            if ph in h:
                if not answer.get(key):
                    raise ValueError(f"header {h!r}: the server's answer has no "
                                     f"{'ETag' if key == 'etag' else 'Last-Modified'}")
                h = h.replace(ph, answer[key])
        out.append(h)
    return out


def unexpected_responses(m, expect):
    """Responses whose status is not the one wanted (expect, or any 2xx when None), as well as
    the tool lets us tell: rbload's exact status codes; h2load's classes; wrk's count of
    statuses above 399 (the bytes-per-response check covers the rest)."""
    if expect is None:
        return m["non_2xx"]
    codes = m.get("status_codes")
    if codes is not None:
        return sum(codes.values()) - codes.get(str(expect), 0)
    if m.get("status"):
        return sum(v for k, v in m["status"].items() if k != f"{expect // 100}xx")
    return m["non_2xx"]


def make_cert(rundir):
    """A throwaway EC P-256 certificate for 127.0.0.1 (and localhost) and its key, made with
    `openssl req` in the run directory (never kept): (cert, key) paths."""
    cert, key = os.path.join(rundir, "cert.pem"), os.path.join(rundir, "key.pem")
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj",
                        "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                        "-keyout", key, "-out", cert], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, check=False)
    if r.returncode != 0:
        raise RunError("openssl req could not make the throwaway certificate: "
                       + " | ".join(r.stdout.strip().splitlines()[-3:]))
    os.chmod(key, 0o644)  # nginx's master reads it; the run directory is ours
    return cert, key


def tls_versions(program):
    """The TLS library a server program (or None: the openssl command) was built with, as it
    says itself: `openssl version`, `nginx -V` (its 'built with OpenSSL' line), `h2o
    --version`; rbserver and rbload: rb_tls over the system's libssl (`openssl version`)."""
    cmd = {None: ["openssl", "version"], "nginx": ["nginx", "-V"], "h2o": ["h2o", "--version"]}
    if program not in cmd:
        return None
    try:
        r = subprocess.run(cmd[program], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    lines = [l.strip() for l in r.stdout.splitlines() if "openssl" in l.lower()
             or program is None]
    return "; ".join(lines) or None


def make_root(rundir, files):
    """The --root directory: each [files] entry, filled with a deterministic pattern."""
    root = os.path.join(rundir, "root")
    os.makedirs(root, exist_ok=True)
    os.chmod(root, 0o755)
    for name, size in files.items():
        fill(os.path.join(root, name), size)
    return root


def fill(path, size):
    """A file of size bytes of a deterministic a..z pattern."""
    pattern = bytes(range(ord("a"), ord("z") + 1)) * 2520  # 65520 bytes
    with open(path, "wb") as f:
        left = size
        while left > 0:
            chunk = pattern[:min(left, len(pattern))]
            f.write(chunk)
            left -= len(chunk)


class HttpRun:
    def __init__(self, suite, configs, settings, server_cpus, load_cpus, build_dir, rundir,
                 artefacts, progress):
        self.suite = suite
        self.configs = configs
        self.settings = settings
        self.server_cpus = server_cpus
        self.load_cpus = load_cpus
        self.build_dir = build_dir
        self.rundir = rundir
        self.cert = None  # (certificate, key) of a tls suite's run
        self.openssl = None
        self.artefacts = artefacts
        self.progress = progress
        self.servers = {}
        self.skipped = []
        self.bodies = {}  # body_size -> the file rbload sends

    # ---- plan ----------------------------------------------------------------------------

    def drop_unavailable(self):
        """Drops configurations whose server or load generator is missing, one line each."""
        reasons = {}
        kept = []
        for c in self.configs:
            p = c["params"]
            why = None
            program = self.suite.server_program(p["server"])
            for kind, name, r in (
                    ("server", program, servers.available(program, self.build_dir,
                                                          static=bool(self.suite.files),
                                                          tls=self.suite.tls)),
                    ("load generator", p["loadgen"],
                     loadgens.available(p["loadgen"], self.build_dir))):
                if r:
                    why = (kind, name, r)
                    break
            if not why and p["loadgen"] == "rbload":
                missing = [f for f in loadgens.flags_needed(p)
                           if f not in loadgens.known_flags(self.build_dir)]
                if missing:
                    exe = os.path.join(self.build_dir, "bin", "rbload")
                    why = ("rbload flag", "rbload " + " ".join(missing),
                           f"{exe} does not know {', '.join(missing)} (not in its --help); "
                           "rebuild rbload")
            if not why and p["loadgen"] == "rbload" and (p.get("ranks") or 1) > 1:
                r = loadgens.mpi_available(self.build_dir)
                if r:
                    why = ("load generator", "rbload-mpi", r)
            if why:
                if why[1] not in reasons:
                    reasons[why[1]] = why
                    self.progress.note(f"rbbench: skipping {why[0]} {why[1]}: {why[2]}")
                    self.skipped.append({"what": why[1], "kind": why[0], "reason": why[2],
                                         "configurations": []})
                next(s for s in self.skipped if s["what"] == why[1])["configurations"].append(c["id"])
            else:
                kept.append(c)
        self.configs = [c for c in kept if self.fit(c)]
        return self.configs

    def fit(self, c):
        """Fits one configuration to the host's limits (hostlimits.plan): connections = "max"
        becomes a count, rate_per_connection a rate, the background is cut to what fits and
        the decision kept as c["limits"]. False (skipped, with the reason) when it cannot run."""
        p = c["params"]
        key = self.server_key(p)
        max_conns = 65536 * key[1] if self.suite.server_program(key[0]) == "rbserver" else None
        t = p.get("load_threads", "auto")
        lim = hostlimits.read_limits(max_conns, load_threads=len(self.load_cpus) if t == "auto"
                                     else int(t), rbload=p["loadgen"] == "rbload")
        sources = hostlimits.count_addresses(p["source"]) if p.get("source") else 0
        bg = [b["connections"] for b in p.get("background") or []]
        d = hostlimits.plan(p["connections"], sources, bg, lim)
        if p["connections"] == "max" or bg:
            d["host"] = lim
            c["limits"] = d
        if d["connections"] is None:
            self.progress.note(f"rbbench: skipping {c['id']}: {d['reason']}")
            self.skipped.append({"what": c["id"], "kind": "host limit", "reason": d["reason"],
                                 "configurations": [c["id"]]})
            return False
        if d["reason"]:
            self.progress.note(f"rbbench: {c['id']}: {d['reason']}")
        p["connections"] = d["connections"]
        p["background"] = [dict(b, connections=n)
                           for b, n in zip(p.get("background") or [], d["background"])]
        if p.get("rate_per_connection") is not None:
            p["rate"] = max(1, round(p["rate_per_connection"] * p["connections"]))
        return True

    def server_key(self, params):
        t = params["threads"]
        t = len(self.server_cpus) if t == "auto" else int(t)
        return (params["server"], t, params["parser"])

    def plan_seconds(self):
        s = self.settings
        per_cfg = (s["warmup"] + OVERHEAD_S if s["warmup"] > 0 else 0) + \
            s["reps"] * (s["duration"] + OVERHEAD_S)
        return len(self.configs) * per_cfg + len({self.server_key(c["params"])
                                                  for c in self.configs}) * 0.5 + \
            sum(SETTLE_S + 0.5 for c in self.configs if c["params"].get("background"))

    # ---- run -----------------------------------------------------------------------------

    def run(self):
        s = self.settings
        root = make_root(self.rundir, self.suite.files) if self.suite.files else None
        self.cert = make_cert(self.rundir) if self.suite.tls else None
        self.openssl = tls_versions(None) if self.suite.tls else None
        for c in self.configs:
            n = c["params"].get("body_size")
            if n is not None and n not in self.bodies:
                self.bodies[n] = os.path.join(self.rundir, f"body-{n}.bin")
                fill(self.bodies[n], n)
        try:
            failed = {}  # server key -> why an optional server variant did not start
            for c in self.configs:
                c.update(status="ok", problems=[], repetitions=[], preflight=None)
                key = self.server_key(c["params"])
                c["params"]["threads"] = key[1]
                c["params"]["load_threads"] = loadgens.threads_for(c["params"], self.load_cpus)
                if key in failed:
                    continue
                if key not in self.servers:
                    name = "-".join(str(k) for k in key)
                    srv = servers.Server(key[0], key[1], key[2], self.server_cpus, self.build_dir,
                                         os.path.join(self.rundir, f"srv-{name}"), root,
                                         program=self.suite.server_program(key[0]),
                                         env=self.suite.server_env(key[0]), tls=self.cert)
                    self.progress.start(f"starting {srv.label()}", 0.5)
                    try:
                        srv.start()
                    except RunError:
                        self.progress.finish()
                        if not self.suite.server_optional(key[0]):
                            raise
                        failed[key] = (srv.label(), self._start_failure(srv))
                        continue
                    self.progress.finish()
                    self.servers[key] = srv
                srv = self.servers[key]
                c["server"] = {"command": srv.argv, "cpus_allowed": srv.pins, "port": srv.port,
                               "nofile": hostlimits.read_limits(None, srv.proc.pid)["server_nofile"]}
                if srv.program != srv.name or srv.env:
                    c["server"].update(name=srv.name, program=srv.program, env=srv.env)
                if self.cert:
                    c["server"]["tls"] = self.server_tls(srv)
                self.preflight(c, srv)
            if failed:
                self._skip_failed(failed)
            rounds = [c for c in self.configs if not c["params"].get("background")]
            for c in rounds:
                if c["status"] == "ok" and s["warmup"] > 0:
                    self.measure(c, 0)
            for rep in range(1, s["reps"] + 1):
                for c in rounds:
                    if c["status"] == "ok" or c["repetitions"]:
                        self.measure(c, rep)
            for c in self.configs:
                if c["params"].get("background") and c["status"] == "ok":
                    self.measure_block(c)
        finally:
            for srv in self.servers.values():
                srv.stop()
        for c in self.configs:
            summarise(c)
        return self.configs

    def server_tls(self, srv):
        """What a server's HTTPS runs on: the TLS library (its own words where it says,
        else `openssl version`) and kTLS (rbserver: its /stats `tls` string; nginx 1.22 and
        h2o 2.2 are not set up for kTLS here: ssl_conf_command Options KTLS is not given)."""
        out = {"library": tls_versions(srv.program) or self.openssl, "openssl": self.openssl,
               "ktls": False}
        if srv.program == "rbserver":
            import json as _json
            import http.client
            try:
                c = http.client.HTTPSConnection("127.0.0.1", srv.port, timeout=3,
                                                context=servers._tls_context())
                c.request("GET", "/stats")
                j = _json.loads(c.getresponse().read())
                c.close()
                out["path"] = j.get("tls")
                out["ktls"] = bool(j.get("tls")) and "no ktls" not in j["tls"].lower() \
                    and j["tls"] != "off"
            except (OSError, ValueError, http.client.HTTPException) as e:
                out["path"] = f"/stats unreadable: {type(e).__name__}: {e}"
        else:
            out["path"] = "user space (no kTLS configured)"
        return out

    @staticmethod
    def _start_failure(srv):
        """One line: how a server that did not start ended, and the last lines of its log."""
        tail = " | ".join(x.strip() for x in srv._log_tail(3).splitlines() if x.strip())
        st = f"exit status {srv.exit_status}" if srv.exit_status is not None else \
            "no answer on /plaintext within 10 s"
        return f"did not start ({st}): {tail}" if tail else f"did not start ({st})"

    def _skip_failed(self, failed):
        """Drops the configurations of optional servers that did not start, one skipped entry
        per server with the reason."""
        kept = []
        for c in self.configs:
            key = self.server_key(c["params"])
            if key not in failed:
                kept.append(c)
                continue
            label, why = failed[key]
            entry = next((x for x in self.skipped if x["what"] == label), None)
            if entry is None:
                self.progress.note(f"rbbench: skipping server {label}: {why}")
                entry = {"what": label, "kind": "server start", "reason": why,
                         "configurations": []}
                self.skipped.append(entry)
            entry["configurations"].append(c["id"])
            self._unplan(c)
        self.configs = kept

    def _unplan(self, c):
        """Takes a configuration that will not be measured out of the progress plan."""
        s = self.settings
        if c["params"].get("background"):
            self.progress.total -= 1  # its background start
        self.progress.total -= (s["warmup"] > 0) + s["reps"]
        self.progress.estimate -= (s["warmup"] + OVERHEAD_S if s["warmup"] > 0 else 0) + \
            s["reps"] * (s["duration"] + OVERHEAD_S)

    def preflight(self, c, srv):
        """One GET before measuring: an answer that is not 2xx (a 404 from a missing static
        file), or not the configuration's `expect`, or a wrong size makes the configuration an
        error, and it is not measured. Headers with {etag} or {last_modified} are filled first
        from this server's answer to a plain GET of the path (params.headers then holds what
        is sent, headers_template what the suite gave)."""
        p = c["params"]
        body = None
        if p.get("body_size") is not None:
            with open(self.bodies[p["body_size"]], "rb") as f:
                body = f.read()
        expect = p.get("expect")
        headers = p.get("headers", [])
        r = None
        if any("{" in h for h in headers):
            first = servers.http_get(srv.port, p["path"], tls=bool(self.cert))
            try:
                if "error" in first:
                    raise ValueError(f"GET {p['path']} for its validators failed: "
                                     f"{first['error']}")
                p["headers_template"] = list(headers)
                p["headers"] = headers = fill_placeholders(headers, first)
            except ValueError as e:
                r = {"error": str(e)}
        if r is None:
            r = servers.http_get(srv.port, p["path"], headers, body=body, tls=bool(self.cert))
        c["preflight"] = r
        what = f"{expect}" if expect else "2xx"
        if "error" in r:
            c["status"] = "error"
            c["problems"].append(f"preflight GET {p['path']} failed: {r['error']}")
        elif (r["status"] != expect) if expect else not 200 <= r["status"] < 300:
            c["status"] = "error"
            c["problems"].append(f"preflight GET {p['path']} answered {r['status']}, not "
                                 f"{what}; not measured")
        else:
            want = _expected_bytes(p, self.suite.files)
            if want is not None and r["bytes"] != want:
                c["status"] = "error"
                c["problems"].append(f"preflight GET {p['path']} sent {r['bytes']} body bytes, "
                                     f"expected {want}")
            elif expect:
                r["response_bytes"] = servers.response_size(srv.port, p["path"], headers)
        if c["status"] == "error":
            self.progress.note(f"rbbench: {c['id']}: {c['problems'][-1]}")
            self._unplan(c)

    def measure_block(self, c):
        """A configuration with background load generators: they start, then its warm-up and
        every repetition run back to back, then they stop; their records go to
        c["background"]."""
        s = self.settings
        p = c["params"]
        srv = self.servers[self.server_key(p)]
        total = (s["warmup"] + OVERHEAD_S if s["warmup"] > 0 else 0) + \
            s["reps"] * (s["duration"] + OVERHEAD_S + 30) + 60
        bg = Background(p["background"], srv.port, total, self.load_cpus, self.build_dir,
                        self.artefacts, self.rundir, _slug(c["id"]))
        names = ", ".join(f"{b['name']} ×{b['connections']}" for b in p["background"])
        self.progress.start(f"{c['id']} · starting background ({names})", SETTLE_S + 0.5)
        try:
            bg.start()
            self.progress.finish()
            if s["warmup"] > 0:
                self.measure(c, 0, bg)
            for rep in range(1, s["reps"] + 1):
                if c["status"] == "ok" or c["repetitions"]:
                    self.measure(c, rep, bg)
        finally:
            c["background"] = bg.stop()
            c["background_settle"] = bg.settle
        for rec in c["background"]:
            if rec["exit_status"] is not None and not any(
                    f"background {rec['name']} exited" in x for x in c["problems"]):
                self._fail(c, f"background {rec['name']} exited (status {rec['exit_status']}) "
                              f"before the measurement ended: {rec['log_tail']}")

    def measure(self, c, rep, bg=None):
        s = self.settings
        p = c["params"]
        srv = self.servers[self.server_key(p)]
        secs = s["warmup"] if rep == 0 else s["duration"]
        what = "warm-up" if rep == 0 else f"rep {rep}/{s['reps']}"
        self.progress.start(f"{c['id']} · {what}", secs + OVERHEAD_S)
        if not srv.alive():
            if rep:
                self._fail(c, f"{srv.label()} is not running (it exited with status "
                              f"{srv.proc.returncode if srv.proc else '?'})")
            self.progress.finish()
            return
        tag = f"{_slug(c['id'])}.rep{rep}" if rep else f"{_slug(c['id'])}.warmup"
        url = f"{'https' if self.cert else 'http'}://127.0.0.1:{srv.port}{p['path']}"
        argv, files = loadgens.command(p["loadgen"], p, url, secs, self.load_cpus,
                                       self.build_dir, self.artefacts if rep else self.rundir, tag,
                                       body_file=self.bodies.get(p.get("body_size")),
                                       cacert=self.cert[0] if self.cert else None)
        if rep == 1:
            c["loadgen_command"] = argv
        u0, s0 = srv.ticks()
        b_srv0 = procs.cpu_busy_ticks(self.server_cpus)
        b_load0 = procs.cpu_busy_ticks(self.load_cpus)
        watch = hostcounters.Watcher()
        h0 = hostcounters.sample()
        status, out, lu, ls, elapsed, rss = procs.run_measured(argv, timeout=secs + 30,
                                                               on_poll=watch.poll)
        h1 = hostcounters.sample()
        u1, s1 = srv.ticks()
        b_srv1 = procs.cpu_busy_ticks(self.server_cpus)
        b_load1 = procs.cpu_busy_ticks(self.load_cpus)
        self.progress.finish()
        m = loadgens.parse(p["loadgen"], p, status, out, files)
        if rep == 0:
            if m["tool_error"]:
                self.progress.note(f"rbbench: {c['id']}: warm-up: {m['tool_error']}")
            return
        hz = procs.CLK_TCK
        n = m["requests"]
        srv_cpu = (u1 - u0 + s1 - s0) / hz
        # The whole process's CPU time (wait4), start-up and connection set-up included: the
        # same measure for every tool, so rbload, wrk and h2load compare like for like.
        # rbload's own figure for its measuring window is kept beside it (load_cpu_own_s).
        load_cpu = lu + ls
        r = {"rep": rep, "requests": n, "duration_s": m["duration_s"],
             "requests_per_s": m["requests_per_s"], "errors": m["errors"],
             "errors_total": sum(m["errors"].values()), "non_2xx": m["non_2xx"],
             "unexpected": unexpected_responses(m, p.get("expect")),
             "status_classes": m["status"], "latency_us": m["latency_us"],
             "latency_valid": m["latency_valid"],
             "server_cpu_s": srv_cpu, "server_user_s": (u1 - u0) / hz,
             "server_cpu_us_per_request": srv_cpu * 1e6 / n if n else None,
             "server_cpu_utilisation": srv_cpu / elapsed if elapsed else None,
             "load_cpu_s": load_cpu,
             "load_cpu_source": "rusage",
             "load_cpu_us_per_request": load_cpu * 1e6 / n if n else None,
             "load_cpu_utilisation": load_cpu / elapsed if elapsed else None,
             "load_cpu_own_s": m["own_cpu_s"],
             "load_max_rss_bytes": rss,
             "server_cpus_busy_s": (b_srv1 - b_srv0) / hz, "load_cpus_busy_s": (b_load1 - b_load0) / hz,
             "elapsed_s": elapsed, "exit_status": status, "tool_error": m["tool_error"],
             "hgrm": None}
        for k in ("latency_uncorrected_us", "unanswered", "rate_requested", "rate_achieved",
                  "connections_opened", "status_codes", "tls"):
            if k in m:
                r[k] = m[k]
        if m.get("bytes_read") is not None and n:
            r["bytes_per_response"] = m["bytes_read"] / n
        r["host"] = hostcounters.delta(h0, h1, self.server_cpus, self.load_cpus, hz,
                                       watch.peaks, hostcounters.page_size())
        r.update(connection_rate(r))
        if m["spectrum"]:
            hgrm = files.get("hgrm") or os.path.join(self.artefacts, f"{tag}.hgrm")
            if p["loadgen"] != "rbload":
                loadgens.write_hgrm(hgrm, m["spectrum"], n)
            r["hgrm"] = os.path.basename(hgrm)
        for f in ("json",):
            if files.get(f) and os.path.exists(files[f]):
                r["raw"] = os.path.basename(files[f])
        c["repetitions"].append(r)
        if m["tool_error"]:
            self._fail(c, f"rep {rep}: {m['tool_error']}")
        if not n and m.get("bytes_read"):
            self._fail(c, f"rep {rep}: {p['loadgen']} read {m['bytes_read']} bytes and completed "
                          "no response: it could not frame the server's answer (the pre-flight "
                          f"got a {(c.get('preflight') or {}).get('status')})")
        want = (c.get("preflight") or {}).get("response_bytes")
        got = r.get("bytes_per_response")
        if p.get("expect") and want and got is not None and abs(got - want) > 0.05 * want + 64:
            self._fail(c, f"rep {rep}: {p['loadgen']} read {got:.0f} bytes per response; the "
                          f"{p['expect']} answer is {want} bytes: not every response was it")
        if not srv.alive():
            self._fail(c, f"{srv.label()} exited during rep {rep} (status {srv.proc.returncode})")
        for name, st, tail in (bg.dead() if bg else []):
            if not any(f"background {name} exited" in x for x in c["problems"]):
                self._fail(c, f"background {name} exited (status {st}) during rep {rep}: {tail}")

    def _fail(self, c, msg):
        c["status"] = "error"
        if msg not in c["problems"]:
            c["problems"].append(msg)
            self.progress.note(f"rbbench: {c['id']}: {msg}")


def connection_rate(r):
    """Connections opened per second of a repetition, and by whom they were counted:
    rbload's own count over its window when it gives one, else the kernel's ActiveOpens
    (host-wide, background generators included) over the host window."""
    n = r.get("connections_opened")
    if n is not None and r.get("duration_s"):
        return {"connections_per_s": n / r["duration_s"], "connections_counted_by": "rbload"}
    h = r.get("host") or {}
    opens = (h.get("tcp") or {}).get("ActiveOpens")
    if opens is not None and h.get("window_s"):
        return {"connections_per_s": opens / h["window_s"], "connections_counted_by": "ActiveOpens"}
    return {"connections_per_s": None, "connections_counted_by": None}


def _slug(s):
    return "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in s.replace("=", ""))


def host_summary(reps, open_conns=0):
    """Per configuration, over the repetitions that have a `host` object: CPU-µs per request
    of the server's and the load generator's CPU sets split into user, system and softirq
    (netperf's service demand, from /proc/stat: everything those CPUs ran), connections per
    second, CPU-µs per connection of the two processes, and the alert counters summed.

    Teardown: a load generator ends its window by closing every connection, some with a
    response still on the way, and the kernel aborts each such close once (TCPAbortOnClose,
    or TCPAbortOnData when the response arrives after it). Up to open_conns (the connections
    open at the end, background ones included) of those two per repetition are teardown,
    summed in teardown_aborts, not alerts; beyond that they are alerts."""
    hr = [r for r in reps if r.get("host")]
    out = {}
    for side in ("server", "load"):
        for f in ("user", "system", "softirq"):
            out[f"{side}_{f}_us_per_request"] = spread(
                [r["host"]["cpu"][side][f + "_s"] * 1e6 / r["requests"] if r["requests"] else None
                 for r in hr])
    out["connections_per_s"] = spread([r.get("connections_per_s") for r in hr])
    for side, key in (("server", "server_cpu_s"), ("load", "load_cpu_s")):
        out[f"{side}_cpu_us_per_connection"] = spread(
            [r[key] * 1e6 / r["connections_opened"] if r.get("connections_opened") else None
             for r in hr])
    alerts = {}
    teardown = 0
    for r in hr:
        a = dict(r["host"]["alerts"])
        closes = a.get("TCPAbortOnClose", 0) + a.get("TCPAbortOnData", 0)
        if closes <= open_conns:
            a.pop("TCPAbortOnClose", None)
            a.pop("TCPAbortOnData", None)
            teardown += closes
        for k, v in a.items():
            alerts[k] = alerts.get(k, 0) + v
    out["alerts"] = alerts
    out["teardown_aborts"] = teardown
    out["clamped"] = sorted({x for r in hr for x in r["host"]["clamped"]})
    return out


def summarise(c):
    """The summary of one configuration: {median, min, max, n} of every metric over its
    repetitions; errors and non-2xx summed; status 'error' with the reasons when any
    repetition had errors, non-2xx responses or no responses at all."""
    reps = c.get("repetitions", [])
    def col(f):
        return [f(r) for r in reps]
    lat_ok = all(r["latency_valid"] for r in reps) and reps
    def lat(k):
        return col(lambda r: (r["latency_us"] or {}).get(k)) if lat_ok else []
    summ = {
        "requests_per_s": spread(col(lambda r: r["requests_per_s"])),
        "p50_us": spread(lat("p50")), "p90_us": spread(lat("p90")),
        "p99_us": spread(lat("p99")), "p999_us": spread(lat("p999")),
        "max_us": spread(lat("max")),
        "server_cpu_us_per_request": spread(col(lambda r: r["server_cpu_us_per_request"])),
        "load_cpu_us_per_request": spread(col(lambda r: r["load_cpu_us_per_request"])),
        "server_cpu_utilisation": spread(col(lambda r: r["server_cpu_utilisation"])),
        "load_cpu_utilisation": spread(col(lambda r: r["load_cpu_utilisation"])),
        "load_max_rss_bytes": spread(col(lambda r: r.get("load_max_rss_bytes"))),
        "requests": sum(r["requests"] for r in reps),
        "errors": sum(r["errors_total"] for r in reps),
        "non_2xx": sum(r["non_2xx"] or 0 for r in reps),
        "unexpected": sum(r.get("unexpected", r["non_2xx"]) or 0 for r in reps),
        "latency_valid": bool(lat_ok),
    }
    if any(r.get("host") for r in reps):
        p = c.get("params") or {}
        n = p.get("connections") if isinstance(p.get("connections"), int) else 0
        summ["host"] = host_summary(reps, n + sum(b["connections"]
                                                  for b in p.get("background") or []))
    c["summary"] = summ
    problems = c.setdefault("problems", [])
    if reps:
        expect = (c.get("params") or {}).get("expect")
        if summ["unexpected"]:
            problems.append(f"{summ['unexpected']} responses were not {expect or '2xx'}")
        if summ["errors"]:
            kinds = {}
            for r in reps:
                for k, v in r["errors"].items():
                    kinds[k] = kinds.get(k, 0) + v
            problems.append("errors: " + ", ".join(f"{k} {v}" for k, v in kinds.items() if v))
        if any(r["requests"] == 0 for r in reps):
            problems.append("a repetition completed no request")
    elif c.get("status", "ok") == "ok":
        problems.append("not measured")
    c["status"] = "error" if problems else "ok"
    return c

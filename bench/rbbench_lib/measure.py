"""Measuring an HTTP suite: servers and load generators pinned to disjoint CPUs, a warm-up per
configuration, then repetitions in rounds (A B C, A B C, ...) so that noise hits all alike.

Per repetition: the load generator's figures, the server's CPU time (utime + stime of the
server and its children from /proc/PID/stat, before and after the load generator ran), the load
generator's CPU time (wait4 rusage of the whole process, for every tool) and peak RSS, the busy
time of the pinned CPUs (/proc/stat: more than the two processes means other load)."""

import os
import subprocess

from . import loadgens, procs, servers
from .common import spread

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
    if params.get("size") is not None and params["path"].startswith("/bytes/"):
        return params["size"]
    name = params["path"].lstrip("/")
    return files.get(name)


def make_root(rundir, files):
    """The --root directory: each [files] entry, filled with a deterministic pattern."""
    root = os.path.join(rundir, "root")
    os.makedirs(root, exist_ok=True)
    os.chmod(root, 0o755)
    pattern = bytes(range(ord("a"), ord("z") + 1)) * 2520  # 65520 bytes
    for name, size in files.items():
        with open(os.path.join(root, name), "wb") as f:
            left = size
            while left > 0:
                chunk = pattern[:min(left, len(pattern))]
                f.write(chunk)
                left -= len(chunk)
    return root


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
        self.artefacts = artefacts
        self.progress = progress
        self.servers = {}
        self.skipped = []

    # ---- plan ----------------------------------------------------------------------------

    def drop_unavailable(self):
        """Drops configurations whose server or load generator is missing, one line each."""
        reasons = {}
        kept = []
        for c in self.configs:
            p = c["params"]
            why = None
            for kind, name, check in (("server", p["server"], servers.available),
                                      ("load generator", p["loadgen"], loadgens.available)):
                r = check(name, self.build_dir)
                if r:
                    why = (kind, name, r)
                    break
            if why:
                if why[1] not in reasons:
                    reasons[why[1]] = why
                    self.progress.note(f"rbbench: skipping {why[0]} {why[1]}: {why[2]}")
                    self.skipped.append({"what": why[1], "kind": why[0], "reason": why[2],
                                         "configurations": []})
                next(s for s in self.skipped if s["what"] == why[1])["configurations"].append(c["id"])
            else:
                kept.append(c)
        self.configs = kept
        return kept

    def server_key(self, params):
        t = params["threads"]
        t = len(self.server_cpus) if t == "auto" else int(t)
        return (params["server"], t, params["parser"])

    def plan_seconds(self):
        s = self.settings
        per_cfg = (s["warmup"] + OVERHEAD_S if s["warmup"] > 0 else 0) + \
            s["reps"] * (s["duration"] + OVERHEAD_S)
        return len(self.configs) * per_cfg + len({self.server_key(c["params"])
                                                  for c in self.configs}) * 0.5

    # ---- run -----------------------------------------------------------------------------

    def run(self):
        s = self.settings
        root = make_root(self.rundir, self.suite.files) if self.suite.files else None
        try:
            for c in self.configs:
                c.update(status="ok", problems=[], repetitions=[], preflight=None)
                key = self.server_key(c["params"])
                c["params"]["threads"] = key[1]
                c["params"]["load_threads"] = loadgens.threads_for(c["params"], self.load_cpus)
                if key not in self.servers:
                    name = "-".join(str(k) for k in key)
                    srv = servers.Server(key[0], key[1], key[2], self.server_cpus, self.build_dir,
                                         os.path.join(self.rundir, f"srv-{name}"), root)
                    self.progress.start(f"starting {srv.label()}", 0.5)
                    srv.start()
                    self.progress.finish()
                    self.servers[key] = srv
                srv = self.servers[key]
                c["server"] = {"command": srv.argv, "cpus_allowed": srv.pins, "port": srv.port}
                self.preflight(c, srv)
            for c in self.configs:
                if c["status"] == "ok" and s["warmup"] > 0:
                    self.measure(c, 0)
            for rep in range(1, s["reps"] + 1):
                for c in self.configs:
                    if c["status"] == "ok" or c["repetitions"]:
                        self.measure(c, rep)
        finally:
            for srv in self.servers.values():
                srv.stop()
        for c in self.configs:
            summarise(c)
        return self.configs

    def preflight(self, c, srv):
        """One GET before measuring: a non-2xx answer (a 404 from a missing static file) or a
        wrong size makes the configuration an error, and it is not measured."""
        p = c["params"]
        r = servers.http_get(srv.port, p["path"], p.get("headers", []))
        c["preflight"] = r
        if "error" in r:
            c["status"] = "error"
            c["problems"].append(f"preflight GET {p['path']} failed: {r['error']}")
        elif not 200 <= r["status"] < 300:
            c["status"] = "error"
            c["problems"].append(f"preflight GET {p['path']} answered {r['status']}, not 2xx; "
                                 "not measured")
        else:
            want = _expected_bytes(p, self.suite.files)
            if want is not None and r["bytes"] != want:
                c["status"] = "error"
                c["problems"].append(f"preflight GET {p['path']} sent {r['bytes']} body bytes, "
                                     f"expected {want}")
        if c["status"] == "error":
            self.progress.note(f"rbbench: {c['id']}: {c['problems'][-1]}")
            self.progress.total -= (self.settings["warmup"] > 0) + self.settings["reps"]
            self.progress.estimate -= (self.settings["warmup"] + OVERHEAD_S
                                       if self.settings["warmup"] > 0 else 0) + \
                self.settings["reps"] * (self.settings["duration"] + OVERHEAD_S)

    def measure(self, c, rep):
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
        url = f"http://127.0.0.1:{srv.port}{p['path']}"
        argv, files = loadgens.command(p["loadgen"], p, url, secs, self.load_cpus,
                                       self.build_dir, self.artefacts if rep else self.rundir, tag)
        if rep == 1:
            c["loadgen_command"] = argv
        u0, s0 = srv.ticks()
        b_srv0 = procs.cpu_busy_ticks(self.server_cpus)
        b_load0 = procs.cpu_busy_ticks(self.load_cpus)
        status, out, lu, ls, elapsed, rss = procs.run_measured(argv, timeout=secs + 30)
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
        for k in ("latency_uncorrected_us", "unanswered", "rate_requested", "rate_achieved"):
            if k in m:
                r[k] = m[k]
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
        if not srv.alive():
            self._fail(c, f"{srv.label()} exited during rep {rep} (status {srv.proc.returncode})")

    def _fail(self, c, msg):
        c["status"] = "error"
        if msg not in c["problems"]:
            c["problems"].append(msg)
            self.progress.note(f"rbbench: {c['id']}: {msg}")


def _slug(s):
    return "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in s.replace("=", ""))


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
        "latency_valid": bool(lat_ok),
    }
    c["summary"] = summ
    problems = c.setdefault("problems", [])
    if reps:
        if summ["non_2xx"]:
            problems.append(f"{summ['non_2xx']} responses were not 2xx")
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

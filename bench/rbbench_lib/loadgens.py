"""Load-generator adapters: rbload (docs/loadgen.md), wrk (4.1, Lua report), h2load.

Each builds a pinned command line and turns the tool's output into one measurement:
  requests, duration_s, requests_per_s, errors {kind: n}, non_2xx, status {2xx, ...} or None,
  latency_us {min, mean, max, p50, p90, p99, p999} (None when the tool cannot give them),
  latency_valid (False where the tool's latencies are known to be wrong), own_cpu_s (the
  tool's own CPU time over its measured window, when it reports one), spectrum [[p, us], ...],
  bytes_read (bytes received in the window, when the tool says: rbload, wrk), status_codes
  {"200": n, ...} (rbload only: by exact code).
"""

import json
import math
import os
import re
import subprocess

from .common import BENCH_DIR, RunError, cpu_list_str, parse_duration, which
from . import procs

INSTALL_HINT = {"wrk": "apt-get install wrk", "h2load": "apt-get install nghttp2-client"}
LUA = os.path.join(BENCH_DIR, "rbbench_lib", "wrk_report.lua")


def available(name, build_dir):
    if name == "rbload":
        exe = os.path.join(build_dir, "bin", "rbload")
        return None if os.access(exe, os.X_OK) else f"{exe} not built"
    return None if which(name) else f"{name} not installed ({INSTALL_HINT[name]})"


def mpi_available(build_dir):
    """None when rbload-mpi and mpirun are there (a configuration with ranks > 1), else why
    not."""
    exe = os.path.join(build_dir, "bin", "rbload-mpi")
    if not os.access(exe, os.X_OK):
        return f"{exe} not built (CMake found no MPI: apt-get install libopenmpi-dev)"
    return None if which("mpirun") else "mpirun not installed (apt-get install openmpi-bin)"


def mpi_prefix(ranks):
    """The mpirun command line that runs rbload-mpi as `ranks` processes on this host, each
    free to use every CPU it was given (taskset's; Open MPI would bind each to one core).
    Shared memory between the ranks without the kernel's cross-process copy, which containers
    often forbid."""
    argv = ["mpirun", "--oversubscribe", "--bind-to", "none", "-np", str(ranks),
            "--mca", "btl_vader_single_copy_mechanism", "none"]
    if os.geteuid() == 0:
        argv.append("--allow-run-as-root")
    return argv


_HELP_FLAGS = {}


def known_flags(build_dir):
    """The long flags `rbload --help` names (a set; empty when rbload cannot run)."""
    exe = os.path.join(build_dir, "bin", "rbload")
    if exe not in _HELP_FLAGS:
        try:
            r = subprocess.run([exe, "--help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, timeout=10, check=False)
            text = r.stdout
        except (OSError, subprocess.SubprocessError):
            text = ""
        _HELP_FLAGS[exe] = flags_in_help(text)
    return _HELP_FLAGS[exe]


def flags_in_help(text):
    """Every --long-flag a help text mentions."""
    return set(re.findall(r"(?<![\w-])(--[a-z0-9][a-z0-9-]*)", text))


def flags_needed(params):
    """The long rbload flags a configuration needs beyond the ones rbbench always passes:
    its args, --source, --body-file, and its background generators' args."""
    need = [a.split("=", 1)[0] for a in params.get("args") or [] if a.startswith("--")]
    if params.get("source"):
        need.append("--source")
    if params.get("body_size") is not None:
        need.append("--body-file")
    for b in params.get("background") or []:
        need += [a.split("=", 1)[0] for a in b.get("args", []) if a.startswith("--")]
    return list(dict.fromkeys(need))


def threads_for(params, cpus):
    t = params.get("load_threads", "auto")
    t = len(cpus) if t == "auto" else int(t)
    return max(1, min(t, params["connections"]))


# HTTPS (a tls suite): rbload trusts the run's throwaway certificate and offers only what
# rbserver and nginx are set to (TLS 1.3, TLS_AES_128_GCM_SHA256); h2o 2.2.5 has no TLS 1.3
# suite setting, so only the client can restrict it. wrk and h2load offer OpenSSL's default
# suites and check no certificate.
RBLOAD_TLS = ["--tls-min", "1.3", "--tls13-ciphersuites", "TLS_AES_128_GCM_SHA256"]


def command(name, params, url, duration, cpus, build_dir, workdir, tag, body_file=None,
            cacert=None):
    """(argv, files): the pinned command line and the files it writes (json, hgrm, lua).
    body_file: the file rbload sends as every request's body (a body_size configuration).
    cacert: the certificate an https:// URL's server presents (rbload --cacert)."""
    c = params["connections"]
    p = params["pipeline"]
    t = threads_for(params, cpus)
    headers = []
    for h in params.get("headers", []):
        headers += ["-H", h]
    files = {}
    if name == "rbload":
        files["json"] = os.path.join(workdir, f"{tag}.rbload.json")
        files["hgrm"] = os.path.join(workdir, f"{tag}.hgrm")
        # ranks > 1: rbload-mpi, the load CPUs' threads shared out over the ranks
        ranks = params.get("ranks") or 1
        exe = [os.path.join(build_dir, "bin", "rbload")]
        if ranks > 1:
            exe = mpi_prefix(ranks) + [os.path.join(build_dir, "bin", "rbload-mpi")]
            t = max(1, t // ranks)
        argv = exe + ["-c", str(c), "-t", str(t),
                      "--cpus", cpu_list_str(cpus), "-d", f"{duration:g}s", "-p", str(p),
                      "--timeout", f"{parse_duration(params.get('timeout', '5s')):g}s",
                      "--json", files["json"], "--hgrm", files["hgrm"], "-q", "--no-progress"]
        if params.get("rate") is not None:
            argv += ["-R", str(params["rate"])]
        if params.get("source"):
            argv += ["--source", params["source"]]
        if body_file:
            argv += ["--body-file", body_file]
        if url.startswith("https://"):
            argv += (["--cacert", cacert] if cacert else ["-k"]) + RBLOAD_TLS
        argv += headers + list(params.get("args") or []) + [url]
    elif name == "wrk":
        # wrk takes whole seconds; it needs at least one connection per thread
        files["lua"] = os.path.join(workdir, f"wrk-depth{p}.lua")
        if not os.path.exists(files["lua"]):
            with open(LUA) as f:
                lua = f.read()
            if p == 1:
                lua = re.sub(r"-- PIPELINE BEGIN.*?-- PIPELINE END\n", "", lua, flags=re.S)
            with open(files["lua"], "w") as f:
                f.write(lua)
        argv = ["wrk", "-t", str(t), "-c", str(c), "-d", f"{max(1, math.ceil(duration))}s",
                "--timeout", "2s"] + headers + ["-s", files["lua"], url, "--", str(p)]
    elif name == "h2load":
        t = max(1, min(t, c))
        argv = ["h2load", "--h1", "-m", str(p), "-c", str(c), "-t", str(t),
                "-D", str(max(1, math.ceil(duration)))] + headers + [url]
    else:
        raise RunError(f"unknown load generator {name}")
    return procs.pinned(argv, cpus), files


def background_command(bg, url, seconds, cpus, build_dir, workdir, tag):
    """(argv, json path): one background rbload: bg's connections on one thread, for far
    longer than it will be let run (it is stopped with SIGINT and then writes its report)."""
    js = os.path.join(workdir, f"{tag}.rbload.json")
    argv = [os.path.join(build_dir, "bin", "rbload"), "-c", str(bg["connections"]), "-t", "1",
            "--cpus", cpu_list_str(cpus), "-d", f"{math.ceil(seconds)}s", "--json", js, "-q",
            "--no-progress"] + list(bg.get("args") or []) + [url]
    return procs.pinned(argv, cpus), js


def read_rbload_json(path):
    """An rbload JSON report, or None when it is missing or not JSON."""
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _empty():
    return {"requests": 0, "duration_s": None, "requests_per_s": 0.0, "errors": {},
            "non_2xx": 0, "status": None, "latency_us": None, "latency_valid": True,
            "own_cpu_s": None, "spectrum": None, "tool_error": None}


def parse(name, params, status, output, files):
    m = _empty()
    if status is None:
        m["tool_error"] = "killed: ran far past its duration"
    elif status != 0 and name != "h2load":
        m["tool_error"] = f"exit status {status}: " + " | ".join(output.strip().splitlines()[-3:])
    try:
        if name == "rbload":
            _parse_rbload(m, files)
        elif name == "wrk":
            _parse_wrk(m, params, output)
        else:
            _parse_h2load(m, output, status)
    except (OSError, ValueError, KeyError, TypeError) as e:
        m["tool_error"] = (m["tool_error"] + "; " if m["tool_error"] else "") + \
            f"no result from {name}: {type(e).__name__}: {e}"
    return m


def _parse_rbload(m, files):
    with open(files["json"]) as f:
        j = json.load(f)
    m["requests"] = j["requests"]
    m["duration_s"] = j["duration_s"]
    m["requests_per_s"] = j["requests_per_s"]
    m["errors"] = {k: v for k, v in j["errors"].items() if k != "status"}
    st = j.get("status") or {}
    m["status"] = st
    if isinstance(j.get("status_codes"), dict):
        m["status_codes"] = j["status_codes"]
    m["bytes_read"] = (j.get("bytes") or {}).get("read")
    m["non_2xx"] = sum(v for k, v in st.items() if k != "2xx") if st else j["errors"].get("status", 0)
    lat = j["latency_us"]["corrected"]
    m["latency_us"] = {k: lat.get(k) for k in ("min", "mean", "max", "p50", "p90", "p99", "p999")}
    m["latency_uncorrected_us"] = {k: j["latency_us"]["uncorrected"].get(k)
                                   for k in ("p50", "p99", "max")}
    cpu = j.get("cpu") or {}
    if cpu.get("user_s") is not None:
        m["own_cpu_s"] = cpu["user_s"] + cpu.get("sys_s", 0)
    m["unanswered"] = j.get("unanswered")
    if isinstance(j.get("tls"), dict):
        m["tls"] = j["tls"]  # version, cipher, handshakes, resumed, ktls (docs/loadgen.md)
    conns = j.get("connections") or {}
    if conns.get("established") is not None:
        m["connections_opened"] = conns["established"]  # in the window (newer rbload)
    elif conns.get("opened") is not None:
        # first opens (every connection, once) and reopens in the window: with --close one
        # per request
        m["connections_opened"] = conns["opened"] + (conns.get("reopened") or 0)
    rate = j.get("rate") or {}
    if rate.get("requested") is not None:
        # open loop: what was asked for against requests sent per second of the window
        m["rate_requested"] = rate["requested"]
        m["rate_achieved"] = rate.get("achieved")
    if os.path.exists(files["hgrm"]):
        m["spectrum"] = read_hgrm(files["hgrm"])


def _parse_wrk(m, params, output):
    line = [l for l in output.splitlines() if l.startswith("RBJSON ")]
    if not line:
        raise ValueError("no RBJSON line in its output: " + " | ".join(output.strip().splitlines()[-3:]))
    j = json.loads(line[-1][7:])
    m["requests"] = j["requests"]
    m["duration_s"] = j["duration_us"] / 1e6
    m["requests_per_s"] = j["requests"] / m["duration_s"] if m["duration_s"] else 0.0
    e = j["errors"]
    m["errors"] = {k: v for k, v in e.items() if k != "status"}
    m["non_2xx"] = e["status"]  # wrk counts responses with status > 399
    m["bytes_read"] = j.get("bytes")
    m["latency_us"] = {k: float(j["latency_us"][k])
                       for k in ("min", "mean", "max", "p50", "p90", "p99", "p999")}
    # wrk's batch pipelining: latencies are not per request (BENCHMARKING.md)
    m["latency_valid"] = params["pipeline"] == 1
    m["spectrum"] = [[p / 100.0, float(v)] for p, v in j["spectrum"]]


_UNIT = {"us": 1.0, "ms": 1e3, "s": 1e6}


def _parse_h2load(m, output, status):
    fin = re.search(r"^finished in ([0-9.]+)(us|ms|s), ([0-9.]+) req/s", output, re.M)
    req = re.search(r"^requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, "
                    r"(\d+) failed, (\d+) errored, (\d+) timeout", output, re.M)
    if not fin or not req:
        raise ValueError(f"exit status {status}, no summary in its output: "
                         + " | ".join(output.strip().splitlines()[-3:]))
    m["duration_s"] = float(fin.group(1)) * _UNIT[fin.group(2)] / 1e6
    _total, _started, done, _ok, _failed, errored, timeout = map(int, req.groups())
    m["requests"] = done
    m["requests_per_s"] = done / m["duration_s"] if m["duration_s"] else 0.0
    # h2load: failed = errored + HTTP-level failures; errored includes the timeouts
    m["errors"] = {"errored": max(0, errored - timeout), "timeout": timeout}
    sc = re.search(r"^status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", output, re.M)
    if sc:
        m["status"] = dict(zip(("2xx", "3xx", "4xx", "5xx"), map(int, sc.groups())))
        m["non_2xx"] = m["status"]["3xx"] + m["status"]["4xx"] + m["status"]["5xx"]
    tr = re.search(r"^time for request:\s+([0-9.]+)(us|ms|s)\s+([0-9.]+)(us|ms|s)\s+"
                   r"([0-9.]+)(us|ms|s)", output, re.M)
    if tr:
        v = tr.groups()
        m["latency_us"] = {"min": float(v[0]) * _UNIT[v[1]], "max": float(v[2]) * _UNIT[v[3]],
                           "mean": float(v[4]) * _UNIT[v[5]],
                           "p50": None, "p90": None, "p99": None, "p999": None}


# ---- HdrHistogram percentile-distribution text (.hgrm) -------------------------------------

def read_hgrm(path):
    """[[percentile (0..1), value in us], ...] from an .hgrm file (values in ms)."""
    out = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) < 3 or line.lstrip().startswith("#"):
                continue
            try:
                v, p = float(parts[0]), float(parts[1])
            except ValueError:
                continue
            out.append([p, v * 1000.0])
    return out


def write_hgrm(path, spectrum, total):
    """Writes a spectrum (from wrk) in HdrHistogram's text layout, values in ms."""
    with open(path, "w") as f:
        f.write(f"{'Value':>12} {'Percentile':>14} {'TotalCount':>10} {'1/(1-Percentile)':>14}\n\n")
        for p, v in spectrum:
            inv = "inf" if p >= 1 else f"{1 / (1 - p):.2f}"
            f.write(f"{v / 1000:12.3f} {p:14.12f} {round(p * total):10d} {inv:>14}\n")
        if spectrum:
            f.write(f"#[Max     = {spectrum[-1][1] / 1000:12.3f}, Total count    = {total:12d}]\n")

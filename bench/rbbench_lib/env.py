"""The environment object: machine, kernel, CPU, memory, governor, git state, tool versions."""

import os
import platform
import re
import subprocess
import sys

from .common import REPO_ROOT, which

# CPU flags worth keeping in a result (the rest of /proc/cpuinfo's list is noise here).
INTERESTING_FLAGS = ("sse4_2", "avx", "avx2", "avx512f", "avx512bw", "avx512vl", "bmi2",
                     "popcnt", "erms", "fsrm", "constant_tsc", "nonstop_tsc", "hypervisor")


def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def _cmd(argv, timeout=5):
    try:
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    out = r.stdout.strip()
    return out or None


def git_state(root=REPO_ROOT):
    commit = _cmd(["git", "-C", root, "rev-parse", "HEAD"])
    if not commit or not re.fullmatch(r"[0-9a-f]{40}", commit):
        return {"commit": None, "short": "nogit", "dirty": None}
    status = _cmd(["git", "-C", root, "status", "--porcelain", "--untracked-files=no"])
    return {"commit": commit, "short": commit[:12], "dirty": bool(status)}


def cpu_info():
    text = _read("/proc/cpuinfo") or ""
    model = None
    flags = []
    for line in text.splitlines():
        if model is None and line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
        if not flags and line.startswith("flags"):
            flags = line.split(":", 1)[1].split()
    return model, [f for f in INTERESTING_FLAGS if f in flags], len(flags)


def memory_bytes():
    text = _read("/proc/meminfo") or ""
    m = re.search(r"^MemTotal:\s+(\d+) kB", text, re.M)
    return int(m.group(1)) * 1024 if m else None


def governor():
    """The scaling governor of every CPU ({cpu: name}), collapsed to one name when all agree;
    None when cpufreq is not exposed (a VM, usually)."""
    govs = {}
    base = "/sys/devices/system/cpu"
    try:
        entries = os.listdir(base)
    except OSError:
        return None
    for e in entries:
        if re.fullmatch(r"cpu\d+", e):
            g = _read(f"{base}/{e}/cpufreq/scaling_governor")
            if g:
                govs[int(e[3:])] = g.strip()
    if not govs:
        return None
    vals = set(govs.values())
    return vals.pop() if len(vals) == 1 else {str(k): v for k, v in sorted(govs.items())}


def tool_versions(build_dir, names=None):
    """First line of each tool's version output; None when it is not installed."""
    bins = {"rbserver": os.path.join(build_dir, "bin", "rbserver"),
            "rbload": os.path.join(build_dir, "bin", "rbload"),
            "rbparse": os.path.join(build_dir, "bin", "rbparse"),
            "rbfloor": os.path.join(build_dir, "bin", "rbfloor")}
    probes = {"rbserver": ["--version"], "rbload": ["--version"], "rbparse": ["--version"],
              "rbfloor": ["--version"],
              "wrk": ["-v"], "nginx": ["-v"], "h2o": ["--version"], "h2load": ["--version"],
              "gnuplot": ["--version"]}
    out = {}
    for name, args in probes.items():
        if names is not None and name not in names:
            continue
        exe = bins.get(name)
        if exe is None:
            exe = which(name)
        elif not os.access(exe, os.X_OK):
            exe = None
        if not exe:
            out[name] = None
            continue
        v = _cmd([exe] + args)
        line = v.splitlines()[0] if v else ""
        out[name] = re.sub(r"\s+Copyright.*$", "", line).strip() or "unknown"
    bl = os.path.join(build_dir, "bin", "rbparse-baseline-http-parser")
    if (names is None or "http-parser" in names):
        out["http-parser"] = _http_parser_version() if os.access(bl, os.X_OK) else None
    bl = os.path.join(build_dir, "bin", "rbparse-baseline-picohttpparser")
    if (names is None or "picohttpparser" in names):
        out["picohttpparser"] = _pico_version() if os.access(bl, os.X_OK) else None
    return out


def _pico_version():
    """What bench/parser/get-picohttpparser.sh wrote down about the source it fetched."""
    try:
        with open(os.path.join(REPO_ROOT, ".deps", "picohttpparser", "SOURCE")) as f:
            return f.read().strip() or "unknown"
    except OSError:
        return "unknown"


def _http_parser_version():
    v = _cmd(["dpkg-query", "-W", "-f=${Version}", "libhttp-parser-dev"])
    return f"libhttp-parser-dev {v}" if v else "unknown"


def allowed_cpus():
    return sorted(os.sched_getaffinity(0))


def environment(build_dir, tools=None):
    model, flags, _ = cpu_info()
    uname = platform.uname()
    return {
        "hostname": uname.node,
        "kernel": f"{uname.system} {uname.release}",
        "kernel_version": uname.version,
        "arch": uname.machine,
        "os": _os_release(),
        "cpu_model": model,
        "cpu_flags": flags,
        "cores": os.cpu_count(),
        "cpus_allowed": allowed_cpus(),
        "memory_bytes": memory_bytes(),
        "governor": governor(),
        "clk_tck": os.sysconf("SC_CLK_TCK"),
        "virtualised": "hypervisor" in flags,
        "python": sys.version.split()[0],
        "tools": tool_versions(build_dir, tools),
    }


def _os_release():
    text = _read("/etc/os-release") or ""
    m = re.search(r'^PRETTY_NAME="?([^"\n]*)"?', text, re.M)
    return m.group(1) if m else None

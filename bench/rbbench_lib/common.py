"""Small shared helpers: errors, durations, CPU lists, statistics, paths."""

import os
import re
import statistics
import sys

BENCH_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO_ROOT = os.path.dirname(BENCH_DIR)
SUITES_DIR = os.path.join(BENCH_DIR, "suites")


class UsageError(Exception):
    """A bad command line: exit status 2."""


class SuiteError(Exception):
    """A suite file that cannot be used: exit status 2."""


class RunError(Exception):
    """A run that could not be done (a program missing, a server that does not start): exit 1."""


def log(msg):
    print(msg, file=sys.stderr, flush=True)


_DUR = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(us|ms|s|m|h)?\s*$")
_DUR_SCALE = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def parse_duration(text, what="duration"):
    """'2s', '500ms', '1.5', 3 -> seconds (float). Raises ValueError with a clear message."""
    if isinstance(text, bool):
        raise ValueError(f"{what} must be a time like 5s, 500ms or 2m, not {text!r}")
    if isinstance(text, (int, float)):
        if text < 0:
            raise ValueError(f"{what} must not be negative, not {text!r}")
        return float(text)
    m = _DUR.match(str(text))
    if not m:
        raise ValueError(f"{what} must be a time like 5s, 500ms or 2m, not {text!r}")
    return float(m.group(1)) * _DUR_SCALE[m.group(2)]


def parse_cpu_list(text, what="CPU list"):
    """'0-3,6' -> [0, 1, 2, 3, 6] (sorted, unique)."""
    cpus = set()
    text = str(text).strip()
    if not text:
        raise ValueError(f"{what} is empty")
    for part in text.split(","):
        m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if not m:
            raise ValueError(f"{what} must look like 0-3,6, not {text!r}")
        lo = int(m.group(1))
        hi = int(m.group(2)) if m.group(2) is not None else lo
        if hi < lo:
            raise ValueError(f"{what}: range {part.strip()!r} runs backwards")
        cpus.update(range(lo, hi + 1))
    return sorted(cpus)


def cpu_list_str(cpus):
    """[0, 1, 2, 5] -> '0-2,5'."""
    cpus = sorted(set(cpus))
    out = []
    i = 0
    while i < len(cpus):
        j = i
        while j + 1 < len(cpus) and cpus[j + 1] == cpus[j] + 1:
            j += 1
        out.append(str(cpus[i]) if i == j else f"{cpus[i]}-{cpus[j]}")
        i = j + 1
    return ",".join(out)


def spread(values):
    """{median, min, max, n} of the non-None values, or None when there are none."""
    vals = [v for v in values if v is not None]
    if not vals:
        return None
    return {"median": statistics.median(vals), "min": min(vals), "max": max(vals), "n": len(vals)}


def fmt_num(v, digits=3):
    """A compact human figure: 1234567 -> '1.23M', 0.4567 -> '0.457'."""
    if v is None:
        return "–"
    if isinstance(v, str):
        return v
    a = abs(v)
    if a >= 1e9:
        return f"{v / 1e9:.{digits - 1}f}G"
    if a >= 1e6:
        return f"{v / 1e6:.{digits - 1}f}M"
    if a >= 1e4:
        return f"{v / 1e3:.{max(digits - 2, 0)}f}k"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 1:
        return f"{v:.{max(digits - 2, 0)}f}" if a < 10 else f"{v:.1f}"
    if a == 0:
        return "0"
    return f"{v:.{digits}f}"


def fmt_spread(s, digits=3):
    """'median (min–max)' of a spread() object."""
    if not s:
        return "–"
    if s["min"] == s["max"]:
        return fmt_num(s["median"], digits)
    return f"{fmt_num(s['median'], digits)} ({fmt_num(s['min'], digits)}–{fmt_num(s['max'], digits)})"


def md_table(head, body):
    """A Markdown table; a | inside a cell is escaped."""
    esc = lambda s: str(s).replace("|", "\\|")
    out = ["| " + " | ".join(map(esc, head)) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(map(esc, row)) + " |" for row in body]
    return "\n".join(out)


def which(name):
    """Path of an executable on PATH, or None."""
    for d in os.environ.get("PATH", "").split(os.pathsep):
        p = os.path.join(d or ".", name)
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    for d in ("/usr/sbin", "/sbin"):
        p = os.path.join(d, name)
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    return None


def rel(path, base):
    """path relative to base when it is inside it, else absolute."""
    try:
        r = os.path.relpath(path, base)
    except ValueError:
        return path
    return path if r.startswith("..") else r

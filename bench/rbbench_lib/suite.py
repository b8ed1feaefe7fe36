"""Suite files (bench/suites/NAME.toml): loading, checking, expanding into configurations.

A suite is a small declarative file; the format is documented in bench/suites/README.md.
Every error names the file, the place in it and what is allowed.
"""

import itertools
import os
import re
import tomllib

from .common import SUITES_DIR, SuiteError, parse_duration
from .hostlimits import count_addresses

KINDS = ("http", "parser")
SERVERS = ("rbserver", "nginx", "h2o", "rbfloor")
LOADGENS = ("rbload", "wrk", "h2load")
# Run-level keys: how long and how often (in [defaults] and [quick]; --duration etc. override).
RUN_KEYS = ("duration", "warmup", "reps")
# Parameters of one configuration; a list value in a case is a sweep (cartesian product, in
# this order).
PARAM_KEYS = ("server", "loadgen", "threads", "parser", "connections", "pipeline", "size",
              "path", "load_threads", "headers", "timeout", "rate", "rate_per_connection",
              "source", "body_size", "args", "background", "expect", "ranks")
# Parameters whose value is itself a list (never a sweep).
LIST_PARAMS = ("headers", "args", "background")
# Parameters only rbload understands (the measured load generator must be rbload).
RBLOAD_ONLY = ("rate", "rate_per_connection", "source", "body_size", "args")
BACKGROUND_KEYS = ("name", "connections", "path", "args")
SWEEPABLE = ("server", "loadgen", "threads", "parser", "connections", "pipeline", "size", "rate",
             "ranks")
PARAM_DEFAULTS = {"server": "rbserver", "loadgen": "rbload", "threads": "auto",
                  "parser": "default", "connections": 64, "pipeline": 1, "size": None,
                  "path": "/plaintext", "load_threads": "auto", "headers": [], "timeout": "5s",
                  "rate": None, "rate_per_connection": None, "source": None, "body_size": None,
                  "args": [], "background": [], "expect": None, "ranks": 1}
RUN_DEFAULTS = {"duration": "5s", "warmup": "2s", "reps": 3}
PARSER_KEYS = ("samples", "min_time_ms", "variants", "corpus", "baseline")
TOP_KEYS = ("description", "kind", "defaults", "quick", "files", "servers", "case", "parser",
            "tls")
# A [servers.NAME] table: a server variant (one of SERVERS run with its own environment).
SERVER_VARIANT_KEYS = ("program", "env", "optional")
# Placeholders a header value may hold: filled per server from its answer to a GET of the
# configuration's path before the measurement (bench/rbbench_lib/measure.py, preflight).
HEADER_PLACEHOLDERS = ("etag", "last_modified")
# Short names in configuration ids.
ID_NAMES = {"connections": "c", "pipeline": "p", "threads": "t", "size": "size",
            "parser": "parser", "server": "", "loadgen": "", "rate": "R", "ranks": "ranks"}


class Suite:
    def __init__(self, name, path, text, data):
        self.name = name
        self.path = path
        self.text = text
        self.data = data
        self.kind = data.get("kind", "http")
        self.description = data["description"]
        self.defaults = data.get("defaults", {})
        self.quick = data.get("quick", {})
        self.files = data.get("files", {})
        self.cases = data.get("case", [])
        self.parser = data.get("parser", {})
        self.servers = data.get("servers", {})
        # tls = true: every server over HTTPS with a throwaway certificate made per run
        self.tls = bool(data.get("tls", False))

    def server_program(self, name):
        """The program a server name runs: itself, or a [servers] variant's program."""
        return self.servers[name]["program"] if name in self.servers else name

    def server_env(self, name):
        return dict(self.servers.get(name, {}).get("env", {}))

    def server_optional(self, name):
        return bool(self.servers.get(name, {}).get("optional", False))

    def run_settings(self, quick=False):
        """{duration (s), warmup (s), reps} from the defaults, with [quick] on top if asked."""
        s = dict(RUN_DEFAULTS)
        s.update({k: v for k, v in self.defaults.items() if k in RUN_KEYS})
        if quick:
            s.update(self.quick)
        return {"duration": parse_duration(s["duration"]), "warmup": parse_duration(s["warmup"]),
                "reps": int(s["reps"])}


def suite_path(name_or_path):
    """A suite name (bench/suites/NAME.toml) or a path to a .toml file."""
    if name_or_path.endswith(".toml") or "/" in name_or_path:
        return name_or_path
    return os.path.join(SUITES_DIR, name_or_path + ".toml")


def list_suites():
    out = []
    for f in sorted(os.listdir(SUITES_DIR)):
        if f.endswith(".toml"):
            path = os.path.join(SUITES_DIR, f)
            try:
                s = load(path)
                out.append((s.name, s.kind, s.description))
            except SuiteError as e:
                out.append((f[:-5], "?", f"BROKEN: {e}"))
    return out


def load(name_or_path):
    path = suite_path(name_or_path)
    name = os.path.basename(path)[:-5] if path.endswith(".toml") else os.path.basename(path)
    if not os.path.isfile(path):
        known = ", ".join(n for n, _, _ in list_suites()) if os.path.isdir(SUITES_DIR) else ""
        raise SuiteError(f"no suite '{name_or_path}': {path} does not exist"
                         + (f" (suites: {known})" if known else ""))
    with open(path, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8")
        data = tomllib.loads(text)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise SuiteError(f"{path}: not valid TOML: {e}") from None
    check(path, data)
    return Suite(name, path, text, data)


def _err(path, where, msg):
    raise SuiteError(f"{path}: {where}: {msg}" if where else f"{path}: {msg}")


def _unknown(path, where, table, allowed):
    for k in table:
        if k not in allowed:
            _err(path, where, f"unknown key '{k}' (allowed: {', '.join(allowed)})")


def _pos_int(v):
    return isinstance(v, int) and not isinstance(v, bool) and v >= 1


def _check_value(path, where, key, v, variants=()):
    """Checks one parameter value (a scalar; lists are handled by the caller). variants: the
    server names the suite's [servers] table adds."""
    def bad(what):
        _err(path, where, f"{key} must be {what}, not {v!r}")
    if key == "server":
        if v not in SERVERS and v not in variants:
            bad("one of " + ", ".join(SERVERS + tuple(variants))
                + ("" if variants else " (or a [servers.NAME] variant)"))
    elif key == "loadgen":
        if v not in LOADGENS:
            bad("one of " + ", ".join(LOADGENS))
    elif key == "connections":
        if v != "max" and not _pos_int(v):
            _err(path, where, f"connections must be a positive integer, not {v!r} (or \"max\": "
                 "as many as the host's limits allow)")
    elif key == "pipeline":
        if not _pos_int(v):
            bad("a positive integer")
        if v > 1024:
            bad("at most 1024")
    elif key in ("threads", "load_threads"):
        if v != "auto" and not _pos_int(v):
            bad("a positive integer or \"auto\"")
    elif key == "parser":
        if not isinstance(v, str) or not re.fullmatch(r"[a-z0-9_]+", v):
            bad("a variant name (see 'rbparse variants'), \"default\" or \"all\"")
    elif key == "size":
        if not (isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 8388608):
            bad("a byte count from 0 to 8388608 (rbserver's /bytes/N limit)")
    elif key == "path":
        if not isinstance(v, str) or not v.startswith("/") or any(c in v for c in " \r\n"):
            bad("a request path starting with '/' (no spaces)")
    elif key == "headers":
        if not isinstance(v, list) or not all(isinstance(h, str) and re.fullmatch(
                r"[!#$%&'*+.^_`|~0-9A-Za-z-]+:[ \t]*[^\r\n]*", h) for h in v):
            bad("a list of 'Name: value' strings")
        for h in v:
            for ph in re.findall(r"\{([A-Za-z_]+)\}", h):
                if ph not in HEADER_PLACEHOLDERS:
                    _err(path, where, f"header {h!r}: unknown placeholder {{{ph}}} (allowed: "
                         + ", ".join("{" + x + "}" for x in HEADER_PLACEHOLDERS) + ")")
    elif key == "expect":
        if not (isinstance(v, int) and not isinstance(v, bool) and 100 <= v <= 599):
            bad("the status code every response must have, e.g. 304 or 206")
    elif key == "rate":
        if not _pos_int(v) or v > 100_000_000:
            bad("a request rate per second from 1 to 100000000 (rbload's -R)")
    elif key == "rate_per_connection":
        if not (isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v <= 1e6):
            bad("requests per second per connection, more than 0 (rbload's -R is this times "
                "the connections)")
    elif key == "source":
        try:
            if not isinstance(v, str):
                raise ValueError
            count_addresses(v)
        except ValueError:
            bad("rbload's --source: an address, a list a,b, a range a-b or a CIDR block a/n")
    elif key == "body_size":
        if not (isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 1 << 30):
            bad("a request body size in bytes, 0 to 1 GiB (sent with rbload --body-file)")
    elif key == "args":
        if not isinstance(v, list) or not all(isinstance(a, str) and a for a in v):
            bad("a list of rbload arguments, e.g. [\"--close\"]")
    elif key == "ranks":
        if not _pos_int(v) or v > 64:
            bad("a number of MPI ranks from 1 to 64 (above 1: rbload-mpi under mpirun on "
                "this host)")
    elif key == "background":
        _check_background(path, where, v)
    elif key == "timeout":
        try:
            parse_duration(v, key)
        except ValueError as e:
            _err(path, where, str(e))


def _check_background(path, where, v):
    """background = [ {name, connections, path, args}, ... ]: load generators (rbload) run
    beside the measured one."""
    if not isinstance(v, list) or not all(isinstance(b, dict) for b in v):
        _err(path, where, "background must be a list of tables: background = [ {name = \"x\", "
             "connections = 500, path = \"/plaintext\", args = [...]} ]")
    names = set()
    for i, b in enumerate(v, 1):
        w = f"{where}: background {i}"
        _unknown(path, w, b, BACKGROUND_KEYS)
        name = b.get("name")
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9._-]+", name):
            _err(path, w, "needs name = \"...\" (letters, digits, . _ -)")
        if name in names:
            _err(path, w, f"another background is also named '{name}'")
        names.add(name)
        if not _pos_int(b.get("connections")):
            _err(path, w, f"connections must be a positive integer, not {b.get('connections')!r}")
        _check_value(path, w, "path", b.get("path", "/plaintext"))
        _check_value(path, w, "args", b.get("args", []))


def _check_servers(path, servers):
    """[servers.NAME]: program = one of SERVERS, env = {NAME = "value"} (added to its
    environment), optional = true (a variant that does not start is skipped with the reason,
    not a failed run). Returns the variant names."""
    for name, v in servers.items():
        where = f"[servers.{name}]"
        if not re.fullmatch(r"[A-Za-z0-9._-]+", name):
            _err(path, where, "a server name is letters, digits, . _ -")
        if name in SERVERS:
            _err(path, where, f"'{name}' is a built-in server; give the variant its own name "
                 f"(e.g. {name}-copy)")
        if not isinstance(v, dict):
            _err(path, where, "must be a table (program = \"rbserver\", env = {...})")
        _unknown(path, where, v, SERVER_VARIANT_KEYS)
        if v.get("program") not in SERVERS:
            _err(path, where, f"program must be one of {', '.join(SERVERS)}, not "
                 f"{v.get('program')!r}")
        env = v.get("env", {})
        if not isinstance(env, dict) or not all(
                re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", k) and isinstance(x, str)
                for k, x in env.items()):
            _err(path, where, "env must be a table of NAME = \"value\" strings")
        if "optional" in v and not isinstance(v["optional"], bool):
            _err(path, where, "optional must be true or false")
    return tuple(servers)


def _check_params(path, where, table, allow_lists, variants=()):
    for k, v in table.items():
        if k in RUN_KEYS or k == "name":
            continue
        if isinstance(v, list) and k not in LIST_PARAMS:
            if not allow_lists or k not in SWEEPABLE:
                _err(path, where, f"{k} cannot be a list here"
                     + ("" if not allow_lists else f" (lists sweep only {', '.join(SWEEPABLE)})"))
            if not v:
                _err(path, where, f"{k} is an empty list")
            if len(set(map(repr, v))) != len(v):
                _err(path, where, f"{k} lists a value twice")
            for x in v:
                _check_value(path, where, k, x, variants)
        else:
            _check_value(path, where, k, v, variants)


def _check_run(path, where, table):
    for k in RUN_KEYS:
        if k not in table:
            continue
        v = table[k]
        if k == "reps":
            if not _pos_int(v):
                _err(path, where, f"reps must be a positive integer, not {v!r}")
        else:
            try:
                secs = parse_duration(v, k)
            except ValueError as e:
                _err(path, where, str(e))
            if k == "duration" and secs < 1:
                _err(path, where, f"duration must be at least 1s, not {v!r}")


def check(path, data):
    _unknown(path, "", data, TOP_KEYS)
    if not isinstance(data.get("description"), str) or not data["description"].strip():
        _err(path, "", "needs a description = \"...\" line (what the suite measures)")
    kind = data.get("kind", "http")
    if kind not in KINDS:
        _err(path, "kind", f"must be one of {', '.join(KINDS)}, not {kind!r}")
    for t in ("defaults", "quick", "files", "servers", "parser"):
        if t in data and not isinstance(data[t], dict):
            _err(path, t, "must be a table ([" + t + "])")
    if "tls" in data and not isinstance(data["tls"], bool):
        _err(path, "tls", f"must be true or false, not {data['tls']!r}")
    if data.get("tls") and data.get("files"):
        _err(path, "tls", "HTTPS serves /plaintext only; a suite with [files] cannot be tls")
    variants = _check_servers(path, data.get("servers", {}))
    defaults = data.get("defaults", {})
    _unknown(path, "[defaults]", defaults, RUN_KEYS + PARAM_KEYS)
    _check_run(path, "[defaults]", defaults)
    _check_params(path, "[defaults]", defaults, allow_lists=False, variants=variants)
    quick = data.get("quick", {})
    _unknown(path, "[quick]", quick, RUN_KEYS)
    _check_run(path, "[quick]", quick)
    for fname, size in data.get("files", {}).items():
        if not re.fullmatch(r"[A-Za-z0-9._-]+", fname) or fname.startswith("."):
            _err(path, "[files]", f"file name {fname!r} must be a plain name (letters, digits, . _ -)")
        if not (isinstance(size, int) and not isinstance(size, bool) and 0 <= size <= 1 << 30):
            _err(path, "[files]", f"{fname} must be a size in bytes (0 to 1 GiB), not {size!r}")
    if kind == "parser":
        if "case" in data:
            _err(path, "", "a parser suite has a [parser] table, not [[case]] entries")
        p = data.get("parser", {})
        _unknown(path, "[parser]", p, PARSER_KEYS)
        if "samples" in p and not _pos_int(p["samples"]):
            _err(path, "[parser]", f"samples must be a positive integer, not {p['samples']!r}")
        if "min_time_ms" in p and not _pos_int(p["min_time_ms"]):
            _err(path, "[parser]", f"min_time_ms must be a positive integer, not {p['min_time_ms']!r}")
        if "variants" in p and not (isinstance(p["variants"], str) or
                                    isinstance(p["variants"], list)):
            _err(path, "[parser]", "variants must be \"all\" or a list of variant names")
        if "corpus" in p and not (isinstance(p["corpus"], list) and
                                  all(isinstance(c, str) for c in p["corpus"])):
            _err(path, "[parser]", "corpus must be a list of message names")
        if "baseline" in p and not isinstance(p["baseline"], bool):
            _err(path, "[parser]", "baseline must be true or false")
        return
    if "parser" in data:
        _err(path, "[parser]", "only a suite with kind = \"parser\" has a [parser] table")
    cases = data.get("case")
    if not isinstance(cases, list) or not cases:
        _err(path, "", "needs at least one [[case]] (name = \"...\", path = \"/...\", ...)")
    names = set()
    for i, case in enumerate(cases, 1):
        where = f"case {i}"
        name = case.get("name")
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9._-]+", name):
            _err(path, where, "needs name = \"...\" (letters, digits, . _ -)")
        where = f"case {i} ('{name}')"
        if name in names:
            _err(path, where, f"another case is also named '{name}'")
        names.add(name)
        _unknown(path, where, case, ("name",) + PARAM_KEYS)
        _check_params(path, where, case, allow_lists=True, variants=variants)
        merged = dict(PARAM_DEFAULTS)
        merged.update({k: v for k, v in defaults.items() if k in PARAM_KEYS})
        merged.update(case)
        has_size = merged.get("size") is not None
        if has_size and "{size}" not in merged["path"]:
            _err(path, where, "size is set but path has no {size} (e.g. path = \"/bytes/{size}\")")
        if not has_size and "{size}" in merged["path"]:
            _err(path, where, "path has {size} but no size is given")
        lgs = merged["loadgen"] if isinstance(merged["loadgen"], list) else [merged["loadgen"]]
        if merged.get("rate") is not None and any(lg != "rbload" for lg in lgs):
            _err(path, where, "rate (open loop) needs loadgen = \"rbload\": wrk and h2load "
                 "have no constant-rate mode")
        for k in RBLOAD_ONLY[1:]:
            if merged.get(k) not in (None, []) and any(lg != "rbload" for lg in lgs):
                _err(path, where, f"{k} needs loadgen = \"rbload\"")
        if merged.get("rate") is not None and merged.get("rate_per_connection") is not None:
            _err(path, where, "give rate or rate_per_connection, not both")
        if merged.get("ranks") not in (None, 1) and any(lg != "rbload" for lg in lgs):
            _err(path, where, "ranks needs loadgen = \"rbload\" (rbload-mpi)")


def expand(suite, variants=None):
    """The list of configurations: dicts with id, case and params. variants: the parser
    variants 'parser = "all"' expands to (rbparse variants), None if unknown."""
    configs = []
    base = dict(PARAM_DEFAULTS)
    base.update({k: v for k, v in suite.defaults.items() if k in PARAM_KEYS})
    for case in suite.cases:
        merged = dict(base)
        merged.update({k: v for k, v in case.items() if k != "name"})
        if merged.get("parser") == "all":
            if not variants:
                raise SuiteError(f"{suite.path}: case '{case['name']}': parser = \"all\" needs "
                                 "'rbparse variants' (build rbparse first)")
            merged["parser"] = list(variants)
        axes = [k for k in SWEEPABLE if isinstance(merged.get(k), list)]
        for combo in itertools.product(*(merged[k] for k in axes)):
            p = dict(merged)
            p.update(dict(zip(axes, combo)))
            p["path"] = p["path"].replace("{size}", str(p["size"])) if p["size"] is not None \
                else p["path"]
            if variants and p["parser"] not in ("default",) and p["parser"] not in variants:
                raise SuiteError(f"{suite.path}: case '{case['name']}': parser variant "
                                 f"'{p['parser']}' is not one this CPU runs ({', '.join(variants)})")
            configs.append({"case": case["name"], "params": p})
    # Ids: the case, then every parameter that varies in the suite (c and p always).
    varying = [k for k in SWEEPABLE
               if len({repr(c["params"].get(k)) for c in configs}) > 1 or k in ("connections", "pipeline")]
    seen = {}
    for c in configs:
        parts = [c["case"]]
        for k in varying:
            v = c["params"].get(k)
            if v is None:
                continue
            short = ID_NAMES[k]
            parts.append(f"{short}={v}" if short else str(v))
        c["id"] = " ".join(parts)
        if c["id"] in seen:
            raise SuiteError(f"{suite.path}: two configurations are the same: {c['id']}")
        seen[c["id"]] = True
    return configs

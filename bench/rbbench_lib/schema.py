"""The result file's schema (results/README.md documents it) and a validator.

SCHEMA_ID names the layout; a change that drops or renames a key bumps its number."""

from .suite import KINDS, LOADGENS, SERVERS

SCHEMA_ID = "ringbench-result/1"


# ---- a tiny schema language ------------------------------------------------------------------

class T:
    def __init__(self, check, name):
        self.check = check
        self.name = name


def _num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


STR = T(lambda v: isinstance(v, str), "a string")
INT = T(lambda v: isinstance(v, int) and not isinstance(v, bool), "an integer")
NUM = T(_num, "a number")
BOOL = T(lambda v: isinstance(v, bool), "true or false")
COUNT = T(lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
          "a non-negative integer")
NONNEG = T(lambda v: _num(v) and v >= 0, "a non-negative number")
ANY = T(lambda v: True, "anything")


def enum(*vals):
    return T(lambda v: v in vals, "one of " + ", ".join(map(repr, vals)))


class Opt:  # the value may be null
    def __init__(self, t):
        self.t = t


class ListOf:
    def __init__(self, t, nonempty=False):
        self.t = t
        self.nonempty = nonempty


class Obj:
    """Required keys; optional keys (may be absent); extra keys are allowed (the format grows)."""
    def __init__(self, req, opt=None):
        self.req = req
        self.opt = opt or {}


class MapOf:  # an object with any keys, each value of one type
    def __init__(self, t):
        self.t = t


def validate(value, schema, path="$"):
    """A list of 'path: problem' strings; empty when value matches."""
    errs = []
    if isinstance(schema, Opt):
        if value is None:
            return errs
        return validate(value, schema.t, path)
    if isinstance(schema, T):
        if not schema.check(value):
            errs.append(f"{path}: expected {schema.name}, got {_show(value)}")
        return errs
    if isinstance(schema, ListOf):
        if not isinstance(value, list):
            return [f"{path}: expected a list, got {_show(value)}"]
        if schema.nonempty and not value:
            return [f"{path}: expected a non-empty list"]
        for i, v in enumerate(value):
            errs += validate(v, schema.t, f"{path}[{i}]")
        return errs
    if isinstance(schema, MapOf):
        if not isinstance(value, dict):
            return [f"{path}: expected an object, got {_show(value)}"]
        for k, v in value.items():
            errs += validate(v, schema.t, f"{path}.{k}")
        return errs
    if isinstance(schema, Obj):
        if not isinstance(value, dict):
            return [f"{path}: expected an object, got {_show(value)}"]
        for k, t in schema.req.items():
            if k not in value:
                errs.append(f"{path}: missing key '{k}'")
            else:
                errs += validate(value[k], t, f"{path}.{k}")
        for k, t in schema.opt.items():
            if k in value:
                errs += validate(value[k], t, f"{path}.{k}")
        return errs
    raise TypeError(f"bad schema at {path}")


def _show(v):
    s = repr(v)
    return s if len(s) < 60 else s[:57] + "..."


# ---- the result file -------------------------------------------------------------------------

SPREAD = Obj({"median": NUM, "min": NUM, "max": NUM, "n": INT})
OPT_SPREAD = Opt(SPREAD)

ENVIRONMENT = Obj({
    "hostname": STR, "kernel": STR, "arch": STR, "os": Opt(STR), "cpu_model": Opt(STR),
    "cpu_flags": ListOf(STR), "cores": INT, "cpus_allowed": ListOf(INT, True),
    "memory_bytes": Opt(INT), "governor": ANY, "clk_tck": INT, "virtualised": BOOL,
    "python": STR, "tools": MapOf(Opt(STR)),
})

BACKGROUND_SPEC = Obj({"name": STR, "connections": INT}, {"path": STR, "args": ListOf(STR)})

# server: one of suite.SERVERS, or a suite's [servers.NAME] variant of one (the configuration's
# `server` object then names the program and its extra environment).
HTTP_PARAMS = Obj({
    "server": STR, "loadgen": enum(*LOADGENS),
    "threads": INT, "parser": STR, "connections": INT, "pipeline": INT, "size": Opt(INT),
    "path": STR, "load_threads": INT, "headers": ListOf(STR), "timeout": ANY,
}, {"rate": Opt(INT), "rate_per_connection": Opt(NUM), "source": Opt(STR),
    "body_size": Opt(INT), "args": ListOf(STR), "background": ListOf(BACKGROUND_SPEC),
    "expect": Opt(INT), "headers_template": ListOf(STR), "ranks": Opt(INT)})

# The host's counters over one repetition (bench/rbbench_lib/hostcounters.py): every count a
# delta clamped at 0, every time a non-negative number of seconds.
HOST_CPU = Obj({"cpus": ListOf(INT), **{f + "_s": NONNEG for f in (
    "user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")}})
HOST = Obj({
    "window_s": NONNEG, "cpu": Obj({"server": HOST_CPU, "load": HOST_CPU}),
    "ctxt": Opt(COUNT), "intr": Opt(COUNT), "tcp": MapOf(COUNT), "tcp_ext": MapOf(COUNT),
    "gauges": MapOf(Obj({"start": INT, "end": INT, "max": Opt(INT)})), "page_size": INT,
    "clamped": ListOf(STR), "alerts": MapOf(COUNT),
})

# One background load generator's record (bench/rbbench_lib/background.py).
BACKGROUND_RECORD = Obj({
    "name": STR, "command": ListOf(STR), "connections": INT, "path": STR,
    "exit_status": Opt(INT), "stopped_by_rbbench": BOOL, "json": Opt(STR),
    "requests": Opt(INT), "errors_total": Opt(INT), "connections_opened": Opt(INT),
}, {"log_tail": Opt(STR)})

LIMITS = Obj({"requested": ANY, "connections": Opt(INT), "background": ListOf(INT),
              "bound": Opt(STR), "reason": Opt(STR), "limits": MapOf(INT)}, {"host": MapOf(ANY)})

LATENCY = Obj({"min": Opt(NUM), "mean": Opt(NUM), "max": Opt(NUM), "p50": Opt(NUM),
               "p90": Opt(NUM), "p99": Opt(NUM), "p999": Opt(NUM)})

HTTP_REP = Obj({
    "rep": INT, "requests": INT, "duration_s": Opt(NUM), "requests_per_s": NUM,
    "errors": MapOf(INT), "errors_total": INT, "non_2xx": INT, "status_classes": Opt(MapOf(INT)),
    "latency_us": Opt(LATENCY), "latency_valid": BOOL,
    "server_cpu_s": NUM, "server_user_s": NUM, "server_cpu_us_per_request": Opt(NUM),
    "server_cpu_utilisation": Opt(NUM), "load_cpu_s": NUM,
    "load_cpu_source": enum("rbload", "rusage"), "load_cpu_us_per_request": Opt(NUM),
    "load_cpu_utilisation": Opt(NUM), "server_cpus_busy_s": NUM, "load_cpus_busy_s": NUM,
    "elapsed_s": NUM, "exit_status": Opt(INT), "tool_error": Opt(STR), "hgrm": Opt(STR),
}, {"raw": STR, "unanswered": Opt(INT), "latency_uncorrected_us": ANY,
    "load_cpu_own_s": Opt(NUM), "load_max_rss_bytes": Opt(INT),
    "rate_requested": Opt(NUM), "rate_achieved": Opt(NUM), "host": HOST,
    "connections_opened": Opt(COUNT), "connections_per_s": Opt(NONNEG),
    "connections_counted_by": Opt(enum("rbload", "ActiveOpens")),
    "unexpected": COUNT, "status_codes": MapOf(COUNT), "bytes_per_response": NONNEG})

HTTP_SUMMARY = Obj({
    "requests_per_s": OPT_SPREAD, "p50_us": OPT_SPREAD, "p90_us": OPT_SPREAD,
    "p99_us": OPT_SPREAD, "p999_us": OPT_SPREAD, "max_us": OPT_SPREAD,
    "server_cpu_us_per_request": OPT_SPREAD, "load_cpu_us_per_request": OPT_SPREAD,
    "server_cpu_utilisation": OPT_SPREAD, "load_cpu_utilisation": OPT_SPREAD,
    "requests": INT, "errors": INT, "non_2xx": INT, "latency_valid": BOOL,
}, {"load_max_rss_bytes": OPT_SPREAD, "unexpected": COUNT,
    "host": Obj({"connections_per_s": OPT_SPREAD, "alerts": MapOf(COUNT),
                 "teardown_aborts": COUNT, "clamped": ListOf(STR)}, {
        k: OPT_SPREAD for k in [f"{side}_{f}_us_per_request" for side in ("server", "load")
                                for f in ("user", "system", "softirq")]
        + ["server_cpu_us_per_connection", "load_cpu_us_per_connection"]})})

HTTP_CONFIG = Obj({
    "id": STR, "case": STR, "params": HTTP_PARAMS, "status": enum("ok", "error"),
    "problems": ListOf(STR), "preflight": Opt(MapOf(ANY)),
    "server": Obj({"command": ListOf(STR), "cpus_allowed": STR, "port": INT},
                  {"name": STR, "program": enum(*SERVERS), "env": MapOf(STR)}),
    "repetitions": ListOf(HTTP_REP), "summary": HTTP_SUMMARY,
}, {"loadgen_command": ListOf(STR), "limits": LIMITS,
    "background": ListOf(BACKGROUND_RECORD),
    "background_settle": Opt(Obj({"s": NUM, "established": INT, "wanted": INT}))})

PARSER_CONFIG = Obj({
    "id": STR, "case": STR, "status": enum("ok", "error"), "problems": ListOf(STR),
    "params": Obj({"program": STR, "variant": STR, "message": STR, "bytes_per_msg": NUM}),
    "command": ListOf(STR),
    "repetitions": ListOf(Obj({"rep": INT, "ns_per_msg": NUM, "ns_per_msg_min": NUM,
                               "ns_per_msg_max": NUM, "gb_per_s": NUM, "samples": Opt(INT)})),
    "summary": Obj({"ns_per_msg": SPREAD, "gb_per_s": SPREAD},
                   {"speedup_vs_scalar": NUM, "speedup_vs_http_parser": NUM,
                    "speedup_vs_pico_sse42": NUM, "speedup_vs_pico_scalar": NUM}),
})

RESULT = Obj({
    "schema": enum(SCHEMA_ID), "suite": STR, "kind": enum(*KINDS), "name": STR,
    "description": STR, "suite_file": STR, "suite_text": STR, "command": ListOf(STR),
    "started_at": STR, "finished_at": STR, "wall_s": NUM,
    "git": Obj({"commit": Opt(STR), "short": STR, "dirty": Opt(BOOL)}),
    "environment": ENVIRONMENT,
    "options": Obj({"quick": BOOL, "reps": INT, "duration_s": NUM, "warmup_s": NUM,
                    "server_cpus": ListOf(INT, True), "load_cpus": ListOf(INT, True),
                    "build_dir": STR}),
    "skipped": ListOf(Obj({"what": STR, "kind": STR, "reason": STR,
                           "configurations": ListOf(STR)})),
    "artefacts": STR,
    "configurations": ListOf(ANY),
    "status": enum("ok", "error"),
})


def validate_result(obj):
    errs = validate(obj, RESULT)
    if not isinstance(obj, dict) or not isinstance(obj.get("configurations"), list) or \
            obj.get("kind") not in ("http", "parser"):
        return errs
    cs = PARSER_CONFIG if obj["kind"] == "parser" else HTTP_CONFIG
    for i, c in enumerate(obj["configurations"]):
        errs += validate(c, cs, f"$.configurations[{i}]")
    ids = [c.get("id") for c in obj["configurations"] if isinstance(c, dict)]
    if len(set(ids)) != len(ids):
        errs.append("$.configurations: two configurations share an id")
    if not errs:
        bad = [c["id"] for c in obj["configurations"] if c["status"] == "error"]
        if (obj["status"] == "ok") != (not bad):
            errs.append("$.status: must be 'error' exactly when a configuration's status is")
    return errs

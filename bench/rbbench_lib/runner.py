"""`rbbench run SUITE`: plan, measure, write the result, the report and the plots."""

import json
import os
import shutil
import signal
import sys
import tempfile
import time

from . import env as envmod
from . import hostlimits, report, suite as suitemod
from .common import REPO_ROOT, RunError, UsageError, cpu_list_str, log, rel
from .measure import HttpRun, rbparse_variants
from .parsersuite import ParserRun
from .procs import default_split
from .progress import Progress
from .schema import SCHEMA_ID, validate_result


class Interrupted(Exception):
    pass


def _on_term(signum, frame):
    raise Interrupted()


def dry_run(s, settings, server_cpus, load_cpus, build):
    """--dry-run: the plan of an HTTP suite (its configurations after the missing peers, the
    rbload flags and the host limits have been taken out; the skips with their reasons) and
    the time it should take; nothing is started or written. A server variant that will not
    start is only found out by running."""
    if s.kind != "http":
        raise UsageError(f"--dry-run plans HTTP suites; {s.name} is a {s.kind} suite")
    variants = None
    if any(c.get("parser") == "all" or isinstance(c.get("parser"), list)
           for c in s.cases) or s.defaults.get("parser") not in (None, "default"):
        variants = rbparse_variants(build)
    configs = suitemod.expand(s, variants)
    progress = Progress(s.name, 0, 0)
    hostlimits.raise_nofile()
    job = HttpRun(s, configs, settings, server_cpus, load_cpus, build, None, None, progress)
    job.drop_unavailable()
    print(f"{s.name}: {len(job.configs)} configurations × {settings['reps']} repetitions of "
          f"{settings['duration']:g} s (+ {settings['warmup']:g} s warm-up each); about "
          f"{int(job.plan_seconds() + 0.5)} s")
    for c in job.configs:
        p = c["params"]
        extra = "".join(f"  {h}" for h in p.get("headers") or [])
        if p.get("expect"):
            extra += f"  expect {p['expect']}"
        print(f"  {c['id']}  {p['path']}{extra}")
    for x in job.skipped:
        print(f"skipped {x['kind']} {x['what']}: {x['reason']} ({len(x['configurations'])} "
              "configurations)")
    return 0


def run(args):
    s = suitemod.load(args.suite)
    settings = s.run_settings(args.quick)
    if args.reps is not None:
        settings["reps"] = args.reps
    if args.duration is not None:
        settings["duration"] = args.duration
    if args.warmup is not None:
        settings["warmup"] = args.warmup
    allowed = envmod.allowed_cpus()
    for flag, cpus in (("--server-cpus", args.server_cpus), ("--load-cpus", args.load_cpus)):
        if cpus and not set(cpus) <= set(allowed):
            bad = cpu_list_str(sorted(set(cpus) - set(allowed)))
            raise UsageError(f"{flag}: cannot pin to CPU {bad}: this process may use CPUs "
                             f"{cpu_list_str(allowed)}")
    server_cpus, load_cpus = default_split(allowed, args.server_cpus, args.load_cpus)
    build = os.path.abspath(args.build or os.environ.get("RB_BUILD") or
                            os.path.join(REPO_ROOT, "build"))
    if not os.path.isdir(build):
        raise RunError(f"build directory {build} does not exist; build first: cmake -S "
                       f"{REPO_ROOT} -B {build} -DCMAKE_BUILD_TYPE=Release && cmake --build {build}")
    if getattr(args, "dry_run", False):
        return dry_run(s, settings, server_cpus, load_cpus, build)
    git = envmod.git_state()
    started = time.gmtime()
    stamp = time.strftime("%Y%m%dT%H%M%SZ", started)
    name = f"{stamp}-{git['short']}"
    out_dir = os.path.join(os.path.abspath(args.out or os.path.join(REPO_ROOT, "results")), s.name)
    json_path = os.path.join(out_dir, name + ".json")
    artefacts = os.path.join(out_dir, name)
    os.makedirs(artefacts, exist_ok=True)
    rundir = tempfile.mkdtemp(prefix=f"rbbench-{s.name}-")
    os.chmod(rundir, 0o755)
    t0 = time.monotonic()
    old = signal.signal(signal.SIGTERM, _on_term)
    ok = False
    try:
        if s.kind == "parser":
            cpu = (args.server_cpus or [allowed[-1]])[0]
            server_cpus = load_cpus = [cpu]
            progress = Progress(s.name, 0, 0)
            job = ParserRun(s, settings, args.quick, cpu, build, artefacts, progress)
            progress.total = job.steps()
            progress.estimate = job.plan_seconds()
        else:
            if set(server_cpus) & set(load_cpus):
                log(f"rbbench: warning: the server (CPUs {cpu_list_str(server_cpus)}) and the load "
                    f"generator (CPUs {cpu_list_str(load_cpus)}) share CPUs")
            variants = None
            if any(c.get("parser") == "all" or isinstance(c.get("parser"), list)
                   for c in s.cases) or s.defaults.get("parser") not in (None, "default"):
                variants = rbparse_variants(build)
            configs = suitemod.expand(s, variants)
            progress = Progress(s.name, 0, 0)
            # as rbload does for itself: the servers inherit the hard limit (hostlimits)
            hostlimits.raise_nofile()
            job = HttpRun(s, configs, settings, server_cpus, load_cpus, build, rundir, artefacts,
                          progress)
            if not job.drop_unavailable():
                raise RunError("nothing to run: " + "; ".join(
                    f"{x['what']}: {x['reason']}" for x in job.skipped))
            n = len(job.configs)
            progress.total = (len({job.server_key(c["params"]) for c in job.configs})
                              + n * (settings["warmup"] > 0) + n * settings["reps"]
                              + sum(1 for c in job.configs if c["params"].get("background")))
            progress.estimate = job.plan_seconds()
            log(f"rbbench {s.name}: {n} configurations × {settings['reps']} repetitions of "
                f"{settings['duration']:g} s (+ {settings['warmup']:g} s warm-up each); server on "
                f"CPU {cpu_list_str(server_cpus)}, load generator on CPU {cpu_list_str(load_cpus)}; "
                f"about {int(progress.estimate + 0.5)} s")
        configs = job.run()
        progress.close()
        ok = True
    except (KeyboardInterrupt, Interrupted):
        log("rbbench: interrupted; nothing written")
        shutil.rmtree(rundir, ignore_errors=True)
        shutil.rmtree(artefacts, ignore_errors=True)
        raise SystemExit(130)
    finally:
        signal.signal(signal.SIGTERM, old)
        if ok:
            shutil.rmtree(rundir, ignore_errors=True)
        elif os.path.isdir(rundir):
            log(f"rbbench: the servers' logs are kept in {rundir}")
            shutil.rmtree(artefacts, ignore_errors=True)
    environment = envmod.environment(build)
    result = {
        "schema": SCHEMA_ID, "suite": s.name, "kind": s.kind, "name": name,
        "description": s.description.strip(), "suite_file": rel(s.path, REPO_ROOT),
        "suite_text": s.text, "command": ["bench/rbbench"] + sys.argv[1:],
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", started),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "wall_s": round(time.monotonic() - t0, 3),
        "git": git, "environment": environment,
        "options": {"quick": bool(args.quick), "reps": settings["reps"],
                    "duration_s": settings["duration"], "warmup_s": settings["warmup"],
                    "server_cpus": server_cpus, "load_cpus": load_cpus, "build_dir": build},
        "skipped": job.skipped, "artefacts": name, "configurations": configs,
        "status": "error" if any(c["status"] == "error" for c in configs) else "ok",
    }
    errs = validate_result(result)
    if errs:  # a bug in rbbench, not in the measurement: say so, but keep the figures
        log("rbbench: internal error: the result does not match its schema: " + "; ".join(errs[:5]))
    with open(json_path, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    md, problems = report.write(json_path, result)
    for p in problems:
        log(f"rbbench: {p}")
    print(report.terminal_summary(result))
    print()
    print(f"result: {rel(json_path, os.getcwd())}")
    print(f"report: {rel(md, os.getcwd())} (plots and .hgrm files in {rel(artefacts, os.getcwd())}/)")
    if result["status"] == "error":
        log("rbbench: some configurations FAILED (see the report); exit status 1")
        return 1
    return 0 if not errs else 1

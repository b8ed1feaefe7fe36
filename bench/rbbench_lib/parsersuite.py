"""Measuring a parser suite: `rbparse bench --json` on every variant and corpus message, then
the baselines, pinned to one CPU:
  - nodejs http-parser (build/bin/rbparse-baseline-http-parser, built by CMake when
    libhttp-parser-dev is installed; bench/parser/http_parser_baseline.c);
  - picohttpparser, the parser issue 2's targets are stated against
    (build/bin/rbparse-baseline-picohttpparser, built when bench/parser/get-picohttpparser.sh
    has fetched its source; bench/parser/picohttpparser_baseline.c), in two builds: pico-sse42
    and pico-scalar.
Each repetition is one invocation; rbparse takes its own samples inside it. A baseline program
times our variants too, alternating sample by sample with the baseline; the ratios to
picohttpparser come from those same-program pairs, the noisy machine's fairest comparison."""

import json
import os
import statistics

from . import procs
from .common import RunError, REPO_ROOT


def _cmd(exe, p, settings, quick):
    samples = p.get("samples", 31)
    if quick:
        samples = min(samples, 5)
    argv = [exe] + (["bench"] if exe.endswith("/rbparse") else [])
    v = p.get("variants", "all")
    argv += ["--variant", v if isinstance(v, str) else ",".join(v)]
    if p.get("corpus"):
        argv += ["--corpus", ",".join(p["corpus"])]
    argv += ["--runs", str(samples), "--min-time-ms", str(p.get("min_time_ms", 1)), "--json"]
    return argv


class ParserRun:
    def __init__(self, suite, settings, quick, cpu, build_dir, artefacts, progress):
        self.suite = suite
        self.settings = settings
        self.quick = quick
        self.cpu = cpu
        self.build_dir = build_dir
        self.artefacts = artefacts
        self.progress = progress
        self.skipped = []
        p = suite.parser
        self.programs = [("ringparse", os.path.join(build_dir, "bin", "rbparse"))]
        if not os.access(self.programs[0][1], os.X_OK):
            raise RunError(f"{self.programs[0][1]} not built")
        if p.get("baseline", True):
            bl = os.path.join(build_dir, "bin", "rbparse-baseline-http-parser")
            if os.access(bl, os.X_OK):
                self.programs.append(("http-parser", bl))
            else:
                line = ("http-parser baseline not built (install libhttp-parser-dev and "
                        "rebuild: it is bench/parser/http_parser_baseline.c)")
                progress.note(f"rbbench: skipping {line}")
                self.skipped.append({"what": "http-parser", "kind": "parser baseline",
                                     "reason": line, "configurations": []})
            bl = os.path.join(build_dir, "bin", "rbparse-baseline-picohttpparser")
            if os.access(bl, os.X_OK):
                self.programs.append(("picohttpparser", bl))
            else:
                line = ("picohttpparser baseline not built (run "
                        "bench/parser/get-picohttpparser.sh and rebuild: it is "
                        "bench/parser/picohttpparser_baseline.c)")
                progress.note(f"rbbench: skipping {line}")
                self.skipped.append({"what": "picohttpparser", "kind": "parser baseline",
                                     "reason": line, "configurations": []})

    def plan_seconds(self):
        # ~0.5 s per program and sample batch on this corpus; a rough figure
        return self.settings["reps"] * len(self.programs) * (4 if self.quick else 12)

    def steps(self):
        return self.settings["reps"] * len(self.programs)

    def run(self):
        env = dict(os.environ, RINGBENCH_CORPUS=os.path.join(REPO_ROOT, "bench", "corpus"))
        configs = {}
        order = []
        # (variant, message) -> per-repetition ratios to each picohttpparser build, from the
        # picohttpparser program's own alternating samples
        pico_ratios = {}
        self.commands = {}
        for rep in range(1, self.settings["reps"] + 1):
            for prog, exe in self.programs:
                argv = procs.pinned(_cmd(exe, self.suite.parser, self.settings, self.quick),
                                    [self.cpu])
                self.commands[prog] = argv
                self.progress.start(f"{prog} rep {rep}/{self.settings['reps']}",
                                    self.plan_seconds() / self.steps())
                status, out, _, _, _, _ = procs.run_measured(argv, timeout=600, env=env)
                self.progress.finish()
                if status != 0:
                    raise RunError(f"{' '.join(argv)} failed (status {status}): "
                                   + " | ".join(out.strip().splitlines()[-3:]))
                try:
                    j = json.loads(out)
                except ValueError as e:
                    raise RunError(f"{prog}: output is not JSON: {e}") from None
                raw = os.path.join(self.artefacts, f"{prog}.rep{rep}.json")
                with open(raw, "w") as f:
                    f.write(out)
                if prog == "picohttpparser":
                    base = {(r["variant"], r["message"]): r["ns_per_msg"]["median"]
                            for r in j["results"] if r["variant"].startswith("pico-")}
                    for r in j["results"]:
                        for ref in ("pico-sse42", "pico-scalar"):
                            b = base.get((ref, r["message"]))
                            if b and r["variant"] != ref:
                                pico_ratios.setdefault((r["variant"], r["message"], ref),
                                                       []).append(b / r["ns_per_msg"]["median"])
                for r in j["results"]:
                    if prog != "ringparse" and r["variant"] not in ("http-parser", "pico-sse42",
                                                                     "pico-scalar"):
                        continue  # a baseline times our variants too; rbparse's rows count
                    cid = f"{r['variant']} {r['message']}"
                    if cid not in configs:
                        configs[cid] = {"id": cid, "case": prog,
                                        "params": {"program": prog, "variant": r["variant"],
                                                   "message": r["message"],
                                                   "bytes_per_msg": r["bytes_per_msg"]},
                                        "command": argv, "status": "ok", "problems": [],
                                        "repetitions": []}
                        order.append(cid)
                    configs[cid]["repetitions"].append({
                        "rep": rep, "ns_per_msg": r["ns_per_msg"]["median"],
                        "ns_per_msg_min": r["ns_per_msg"]["min"],
                        "ns_per_msg_max": r["ns_per_msg"]["max"], "gb_per_s": r["gb_per_s"],
                        "samples": j.get("runs"), "raw": os.path.basename(raw)})
        out = [configs[c] for c in order]
        for c in out:
            summarise(c)
        # speedup of every variant over scalar (and over http-parser), per message
        by = {(c["params"]["variant"], c["params"]["message"]): c for c in out}
        for c in out:
            for ref in ("scalar", "http-parser"):
                r = by.get((ref, c["params"]["message"]))
                if r and r is not c:
                    c["summary"][f"speedup_vs_{ref.replace('-', '_')}"] = round(
                        r["summary"]["ns_per_msg"]["median"] / c["summary"]["ns_per_msg"]["median"], 3)
            for ref in ("pico-sse42", "pico-scalar"):
                ratios = pico_ratios.get((c["params"]["variant"], c["params"]["message"], ref))
                if ratios:
                    c["summary"][f"speedup_vs_{ref.replace('-', '_')}"] = round(
                        statistics.median(ratios), 3)
        return out


def summarise(c):
    reps = c["repetitions"]
    meds = [r["ns_per_msg"] for r in reps]
    # min and max over every sample of every repetition; n counts those samples
    c["summary"] = {
        "ns_per_msg": {"median": statistics.median(meds),
                       "min": min(r["ns_per_msg_min"] for r in reps),
                       "max": max(r["ns_per_msg_max"] for r in reps),
                       "n": sum(r["samples"] or 1 for r in reps)},
        "gb_per_s": {"median": statistics.median(r["gb_per_s"] for r in reps),
                     "min": min(r["gb_per_s"] for r in reps),
                     "max": max(r["gb_per_s"] for r in reps), "n": len(reps)},
    }
    if not reps:
        c["status"] = "error"
        c["problems"].append("not measured")

"""The command line of bench/rbbench."""

import argparse
import json
import os
import sys

from . import compare as comparemod
from . import env as envmod
from . import report, runner, suite as suitemod
from .common import (REPO_ROOT, RunError, SuiteError, UsageError, parse_cpu_list,
                     parse_duration)
from .schema import validate_result

DESCRIPTION = """\
ringbench's benchmark runner: runs a suite (bench/suites/NAME.toml) with the server and the
load generator pinned to disjoint CPUs, a warm-up and repetitions per configuration, and writes
results/<suite>/<UTC time>-<commit>.json, a Markdown report beside it (<name>.md) and its
plots and latency histograms (<name>/)."""

EPILOG = """\
examples:
  bench/rbbench list
  bench/rbbench run main                       # the main job's suite (about a minute on 2 CPUs)
  bench/rbbench run connections --quick        # a sweep, short runs, one repetition
  bench/rbbench run static --dry-run           # what it would run, and how long it would take
  bench/rbbench run servers --server-cpus 0 --load-cpus 1 --reps 5 --duration 10s
  bench/rbbench report results/main/20261122T150000Z-825de2f1a2b3.json
  bench/rbbench compare before.json after.json

exit status: 0 done; 1 a run failed or a configuration ended in error (the result and report
are still written); 2 bad command line, suite file or result file; 130 interrupted.
Suite format: bench/suites/README.md. Result format: results/README.md."""


class Parser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message} (see --help)", file=sys.stderr)
        sys.exit(2)


def _type(fn, what):
    def conv(text):
        try:
            return fn(text)
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e)) from None
    conv.__name__ = what
    return conv


def _pos_int(text):
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"must be a positive whole number, not {text!r}")
    return int(text)


def _duration(text):
    v = parse_duration(text)
    if v < 1:
        raise ValueError(f"must be at least 1s, not {text!r}")
    return v


def build_parser():
    p = Parser(prog="rbbench", description=DESCRIPTION, epilog=EPILOG,
               formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", metavar="COMMAND", parser_class=Parser)
    r = sub.add_parser("run", help="run a suite; write its result, report and plots",
                       description="Run a suite and write results/<suite>/<UTC time>-<commit>"
                       ".json, <name>.md and <name>/ (plots, .hgrm histograms).",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    r.add_argument("suite", metavar="SUITE",
                   help="a suite name (bench/suites/SUITE.toml; 'rbbench list') or a .toml path")
    r.add_argument("--quick", action="store_true",
                   help="the suite's [quick] settings: short runs, fewer repetitions")
    r.add_argument("--dry-run", action="store_true",
                   help="print the configurations the run would measure, what it would skip "
                   "and its time estimate; start nothing, write nothing (HTTP suites)")
    r.add_argument("--reps", type=_type(_pos_int, "count"), metavar="N",
                   help="measured repetitions per configuration (default: the suite's, usually 3)")
    r.add_argument("--duration", type=_type(_duration, "time"), metavar="T",
                   help="measured time per repetition: 10s, 1500ms, 1m (at least 1s)")
    r.add_argument("--warmup", type=_type(parse_duration, "time"), metavar="T",
                   help="warm-up per configuration before its first repetition (0 for none)")
    r.add_argument("--server-cpus", type=_type(parse_cpu_list, "CPU list"), metavar="LIST",
                   help="CPUs for the server, e.g. 0 or 0-3 (default: the first half of the "
                   "CPUs this process may use; for a parser suite, the CPU to pin to)")
    r.add_argument("--load-cpus", type=_type(parse_cpu_list, "CPU list"), metavar="LIST",
                   help="CPUs for the load generator (default: the other half)")
    r.add_argument("--out", metavar="DIR",
                   help="results directory (default: results/ of the repository); the files go "
                   "to DIR/<suite>/")
    r.add_argument("--build", metavar="DIR",
                   help="build directory with bin/rbserver, bin/rbload, bin/rbparse (default: "
                   "$RB_BUILD, else build/ of the repository)")
    rep = sub.add_parser("report", help="regenerate the Markdown report and plots of a result",
                         description="Regenerate <name>.md and the plots in <name>/ from a "
                         "result file (the .hgrm files must be in <name>/).")
    rep.add_argument("result", metavar="RESULT.json")
    c = sub.add_parser("compare", help="ratio table between two results, flagging real changes",
                       description=comparemod.__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    c.add_argument("a", metavar="A.json")
    c.add_argument("b", metavar="B.json")
    e = sub.add_parser("env", help="print the environment object (JSON) a result records")
    e.add_argument("--build", metavar="DIR", help="build directory for the tool versions")
    sub.add_parser("list", help="list the suites")
    v = sub.add_parser("validate", help="check result files against the schema")
    v.add_argument("results", metavar="RESULT.json", nargs="+")
    return p


def main(argv=None):
    p = build_parser()
    args = p.parse_args(argv)
    if not args.cmd:
        p.print_help(sys.stderr)
        return 2
    try:
        if args.cmd == "run":
            return runner.run(args)
        if args.cmd == "report":
            if not os.path.isfile(args.result):
                raise UsageError(f"{args.result}: no such file")
            r = _load_checked(args.result)
            md, problems = report.write(args.result, r)
            for x in problems:
                print(f"rbbench: {x}", file=sys.stderr)
            print(f"report: {md}")
            return 1 if problems else 0
        if args.cmd == "compare":
            text, _ = comparemod.compare(args.a, args.b)
            print(text)
            return 0
        if args.cmd == "env":
            build = os.path.abspath(args.build or os.environ.get("RB_BUILD") or
                                    os.path.join(REPO_ROOT, "build"))
            print(json.dumps({"git": envmod.git_state(), **envmod.environment(build)}, indent=1))
            return 0
        if args.cmd == "list":
            for name, kind, desc in suitemod.list_suites():
                print(f"{name:<14} {kind:<7} {desc.strip()}")
            return 0
        if args.cmd == "validate":
            bad = 0
            for path in args.results:
                try:
                    _load_checked(path)
                    print(f"{path}: ok")
                except UsageError as e:
                    print(f"{e}", file=sys.stderr)
                    bad += 1
            return 2 if bad else 0
    except (UsageError, SuiteError) as e:
        print(f"rbbench: {e}", file=sys.stderr)
        return 2
    except RunError as e:
        print(f"rbbench: {e}", file=sys.stderr)
        return 1
    return 2


def _load_checked(path):
    try:
        with open(path) as f:
            r = json.load(f)
    except OSError as e:
        raise UsageError(f"cannot read {path}: {e.strerror}") from None
    except ValueError as e:
        raise UsageError(f"{path} is not JSON: {e}") from None
    errs = validate_result(r)
    if errs:
        raise UsageError(f"{path} does not match the result schema:\n  " + "\n  ".join(errs[:20]))
    return r

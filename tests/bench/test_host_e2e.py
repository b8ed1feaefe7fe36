#!/usr/bin/env python3
"""bench/rbbench's host counters end to end: runs the tiny suite tests/bench/host-tiny.toml (one
1-second configuration, one repetition, the real rbserver and rbload) into a temporary
results directory and checks that the result matches the schema, that its repetition carries
the `host` object with every counter a non-negative delta, that the configuration needing an
rbload flag no rbload has is skipped with the reason instead of run, and that the report
shows the host counters. About 3 s.

usage: tests/bench/test_host_e2e.py --build BUILD_DIR   (ctest: rbbench_host)
Exit 0 passed, 1 failed, 77 skipped (rbserver or rbload not built)."""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(ROOT, "bench"))

from rbbench_lib import schema  # noqa: E402

BUILD = None
TMP = None
SUITE = os.path.join(HERE, "host-tiny.toml")


def negatives(obj, path="host"):
    """Paths of the numbers below zero in obj."""
    if isinstance(obj, dict):
        return [p for k, v in obj.items() for p in negatives(v, f"{path}.{k}")]
    if isinstance(obj, list):
        return [p for i, v in enumerate(obj) for p in negatives(v, f"{path}[{i}]")]
    if isinstance(obj, (int, float)) and not isinstance(obj, bool) and obj < 0:
        return [path]
    return []


class HostCounters(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.out = os.path.join(TMP, "results")
        cls.proc = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "rbbench"), "run",
                                   SUITE, "--out", cls.out, "--build", BUILD],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  timeout=60, check=False)
        d = os.path.join(cls.out, "host-tiny")
        files = sorted(os.listdir(d)) if os.path.isdir(d) else []
        cls.json = [os.path.join(d, f) for f in files if f.endswith(".json")]
        cls.r = None
        if len(cls.json) == 1:
            with open(cls.json[0]) as f:
                cls.r = json.load(f)

    def test_run_and_schema(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr + self.proc.stdout)
        self.assertEqual(len(self.json), 1)
        self.assertEqual(schema.validate_result(self.r), [])
        self.assertEqual([c["id"] for c in self.r["configurations"]], ["plain c=4 p=1"])

    def test_host_object_present_and_nonnegative(self):
        rep = self.r["configurations"][0]["repetitions"][0]
        h = rep["host"]
        self.assertEqual(negatives(h), [])
        self.assertGreater(h["window_s"], 0.5)
        for side, cpus in (("server", self.r["options"]["server_cpus"]),
                           ("load", self.r["options"]["load_cpus"])):
            self.assertEqual(h["cpu"][side]["cpus"], cpus)
            for f in ("user", "nice", "system", "softirq", "irq", "iowait", "idle", "steal"):
                self.assertIn(f + "_s", h["cpu"][side])
            busy = sum(h["cpu"][side][f + "_s"] for f in ("user", "nice", "system", "irq",
                                                          "softirq", "steal"))
            self.assertGreater(busy, 0, side)
        # rbload opened its 4 connections inside the window (host-wide: at least those)
        self.assertGreaterEqual(h["tcp"]["ActiveOpens"], 4)
        self.assertGreaterEqual(h["tcp"]["PassiveOpens"], 4)
        self.assertIn("ListenOverflows", h["tcp_ext"])
        self.assertGreater(h["ctxt"], 0)
        self.assertGreater(h["intr"], 0)
        self.assertGreaterEqual(h["gauges"]["tcp_inuse"]["max"], h["gauges"]["tcp_inuse"]["end"])
        self.assertEqual(rep["connections_counted_by"], "rbload")
        self.assertGreater(rep["connections_per_s"], 0)
        s = self.r["configurations"][0]["summary"]["host"]
        self.assertGreater(s["server_system_us_per_request"]["median"], 0)
        self.assertEqual(negatives(s), [])

    def test_unknown_flag_is_skipped_with_the_reason(self):
        sk = [s for s in self.r["skipped"] if s["kind"] == "rbload flag"]
        self.assertEqual(len(sk), 1, self.r["skipped"])
        self.assertEqual(sk[0]["configurations"], ["unknown-flag c=4 p=1"])
        self.assertIn("does not know --rbbench-test-no-such-flag", sk[0]["reason"])
        self.assertIn("does not know --rbbench-test-no-such-flag", self.proc.stdout)

    def test_report(self):
        with open(self.json[0][:-5] + ".md") as f:
            text = f.read()
        self.assertIn("## Host counters", text)
        self.assertIn("| plain c=4 p=1 |", text)
        self.assertIn("skipped rbload flag", text)
        art = self.json[0][:-5]
        self.assertIn("cpu-split.png", os.listdir(art))


def main():
    global BUILD, TMP
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("unittest_args", nargs="*")
    a = ap.parse_args()
    BUILD = os.path.abspath(a.build)
    for exe in ("rbserver", "rbload"):
        if not os.access(os.path.join(BUILD, "bin", exe), os.X_OK):
            print(f"skipped: {BUILD}/bin/{exe} not built", file=sys.stderr)
            return 77
    TMP = tempfile.mkdtemp(prefix="rbbench-host-test-")
    prog = unittest.main(argv=[sys.argv[0], "-v"] + a.unittest_args, exit=False)
    res = prog.result
    if res.errors or res.failures:
        print(f"test output kept in {TMP}", file=sys.stderr)
        return 1
    shutil.rmtree(TMP, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

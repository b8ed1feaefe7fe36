#!/usr/bin/env python3
"""Tests of bench/rbbench's static-file suite (bench/suites/static.toml) and what it needs:
the suite parses and plans the expected configurations (also through `run --dry-run
--quick`); a tiny run against this build's rbserver with rbload fills If-None-Match from the
server's own ETag, passes it and sees only 304s, a range only 206s, checks the bytes per
response against the pre-flight's answer, and skips a server variant that refuses its
RB_FAULTS with the reason; a wrong `expect` is an error; the side-by-side table's ratios;
suite errors of [servers], `expect` and header placeholders.

usage: tests/bench/test_static.py --build BUILD_DIR   (ctest runs it; about 10 s)
Exit 0 all passed, 1 a test failed, 77 nothing could run (ctest: skipped)."""

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
RBBENCH = os.path.join(ROOT, "bench", "rbbench")
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(ROOT, "bench"))

from rbbench_lib import measure, report, schema, suite  # noqa: E402
from rbbench_lib.common import SuiteError  # noqa: E402

BUILD = None
TMP = None
SIZES = ("0", "1k", "16k", "64k", "256k", "1m")


def rbbench(*args, timeout=90):
    return subprocess.run([sys.executable, RBBENCH] + list(args), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=timeout, check=False)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def expected_ids():
    ids = []
    four = ("rbserver", "rbserver-copy", "nginx", "h2o")
    for case, servers, p in ([(f"static-{s}", four, 1) for s in SIZES]
                             + [(f"static-{s}-p16", four, 16) for s in ("0", "1k", "16k")]
                             + [("static-64k-304", ("rbserver", "nginx", "h2o"), 1),
                                ("static-64k-range", four, 1)]):
        for srv in servers:
            for lg in ("rbload", "wrk"):
                ids.append(f"{case} {srv} {lg} c=64 p={p}")
    return ids


class Plan(unittest.TestCase):
    def test_suite_parses_and_expands(self):
        s = suite.load("static")
        self.assertEqual(s.files, {"0.bin": 0, "1k.bin": 1024, "16k.bin": 16384,
                                   "64k.bin": 65536, "256k.bin": 262144, "1m.bin": 1048576})
        self.assertEqual(s.server_program("rbserver-copy"), "rbserver")
        self.assertEqual(s.server_env("rbserver-copy"), {"RB_FAULTS": "no-zerocopy"})
        self.assertTrue(s.server_optional("rbserver-copy"))
        cs = suite.expand(s)
        self.assertEqual(sorted(c["id"] for c in cs), sorted(expected_ids()))
        by = {c["id"]: c["params"] for c in cs}
        p = by["static-64k-304 nginx wrk c=64 p=1"]
        self.assertEqual((p["path"], p["headers"], p["expect"]),
                         ("/64k.bin", ["If-None-Match: {etag}"], 304))
        p = by["static-64k-range rbserver rbload c=64 p=1"]
        self.assertEqual((p["headers"], p["expect"]), (["Range: bytes=16384-17407"], 206))
        self.assertEqual(measure._expected_bytes(p, s.files), 1024)
        self.assertEqual(by["static-1m h2o rbload c=64 p=1"]["path"], "/1m.bin")
        self.assertEqual(s.run_settings(quick=True), {"duration": 1.0, "warmup": 0.0, "reps": 1})
        # the time stated in the suite's comment: at most 25 minutes of measuring
        st = s.run_settings()
        secs = len(cs) * (st["warmup"] + measure.OVERHEAD_S + st["reps"] * (
            st["duration"] + measure.OVERHEAD_S))
        self.assertLess(secs, 25 * 60)

    def test_dry_run_quick_plans_without_running(self):
        out = os.path.join(TMP, "never")
        p = rbbench("run", "static", "--quick", "--dry-run", "--build", BUILD, "--out", out)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertFalse(os.path.exists(out))
        lines = p.stdout.splitlines()
        self.assertRegex(lines[0], r"^static: \d+ configurations × 1 repetitions of 1 s")
        planned = [l.split("  ")[1] for l in lines[1:] if l.startswith("  ")]
        self.assertTrue(set(planned) <= set(expected_ids()), planned)
        skipped = "\n".join(l for l in lines if l.startswith("skipped"))
        for i in expected_ids():  # planned, or its server or load generator is skipped
            srv, lg = i.split(" ")[1:3]
            if i not in planned:
                self.assertTrue(f" {srv}:" in skipped or f" {lg}:" in skipped, (i, skipped))
        self.assertIn("static-64k-304 rbserver rbload c=64 p=1  /64k.bin  "
                      "If-None-Match: {etag}  expect 304", p.stdout)


class ConditionalRun(unittest.TestCase):
    """One tiny run: rbserver, rbload, 1 s per configuration."""

    @classmethod
    def setUpClass(cls):
        for exe in ("rbserver", "rbload"):
            if not os.access(os.path.join(BUILD, "bin", exe), os.X_OK):
                raise unittest.SkipTest(f"{BUILD}/bin/{exe} not built")
        path = write(os.path.join(TMP, "cond.toml"), """
description = "test: If-None-Match from the server's ETag, a range, a variant that cannot start"
[defaults]
duration = "1s"
warmup = "0s"
reps = 1
threads = 1
connections = 2
loadgen = "rbload"
[files]
"8k.bin" = 8192
[servers.rbserver-bad]
program = "rbserver"
env = { RB_FAULTS = "no-such-fault-for-the-test" }
optional = true
[[case]]
name = "inm"
path = "/8k.bin"
headers = ["If-None-Match: {etag}"]
expect = 304
[[case]]
name = "range"
path = "/8k.bin"
headers = ["Range: bytes=100-1123"]
expect = 206
server = ["rbserver", "rbserver-bad"]
""")
        cls.proc = rbbench("run", path, "--out", os.path.join(TMP, "cond"), "--build", BUILD)
        d = os.path.join(TMP, "cond", "cond")
        js = sorted(f for f in os.listdir(d) if f.endswith(".json")) if os.path.isdir(d) else []
        cls.result = None
        if js:
            with open(os.path.join(d, js[-1])) as f:
                cls.result = json.load(f)
            cls.md = os.path.join(d, js[-1][:-5] + ".md")

    def config(self, cid):
        return next(c for c in self.result["configurations"] if c["id"] == cid)

    def test_run_ok_and_valid(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr + self.proc.stdout)
        self.assertEqual(schema.validate_result(self.result), [])
        self.assertEqual([c["id"] for c in self.result["configurations"]],
                         ["inm rbserver c=2 p=1", "range rbserver c=2 p=1"])

    def test_etag_filled_and_every_answer_304(self):
        c = self.config("inm rbserver c=2 p=1")
        self.assertEqual(c["params"]["headers_template"], ["If-None-Match: {etag}"])
        etag = c["preflight"]["etag"]
        self.assertRegex(etag, r'^(W/)?"[^"]+"$')
        self.assertEqual(c["params"]["headers"], [f"If-None-Match: {etag}"])
        argv = c["loadgen_command"]
        self.assertEqual(argv[argv.index("-H") + 1], f"If-None-Match: {etag}")
        self.assertEqual(c["preflight"]["status"], 304)
        rep = c["repetitions"][0]
        self.assertGreater(rep["requests"], 100)
        self.assertEqual(rep["status_codes"], {"304": rep["requests"]})
        self.assertEqual(rep["unexpected"], 0)
        # no body: the bytes per response are the pre-flight's header block, far below 8 KiB
        self.assertLess(abs(rep["bytes_per_response"] - c["preflight"]["response_bytes"]), 8)
        self.assertLess(rep["bytes_per_response"], 1024)

    def test_range_every_answer_206(self):
        c = self.config("range rbserver c=2 p=1")
        self.assertEqual((c["preflight"]["status"], c["preflight"]["bytes"]), (206, 1024))
        rep = c["repetitions"][0]
        self.assertEqual(rep["status_codes"], {"206": rep["requests"]})
        self.assertGreater(rep["bytes_per_response"], 1024)
        self.assertLess(rep["bytes_per_response"], 2048)

    def test_variant_that_cannot_start_is_skipped(self):
        sk = [x for x in self.result["skipped"] if x["kind"] == "server start"]
        self.assertEqual(len(sk), 1, self.result["skipped"])
        self.assertIn("rbserver-bad", sk[0]["what"])
        self.assertIn("exit status 2", sk[0]["reason"])
        self.assertIn("no-such-fault-for-the-test", sk[0]["reason"])
        self.assertEqual(sk[0]["configurations"], ["range rbserver-bad c=2 p=1"])
        with open(self.md) as f:
            self.assertIn("skipped server start rbserver-bad", f.read())

    def test_wrong_expect_is_an_error(self):
        path = write(os.path.join(TMP, "wrong.toml"), """
description = "test: a 304 expected, a 200 answered"
[defaults]
duration = "1s"
warmup = "0s"
reps = 1
threads = 1
connections = 2
[files]
"8k.bin" = 8192
[[case]]
name = "inm"
path = "/8k.bin"
headers = ['If-None-Match: "not-its-etag"']
expect = 304
""")
        p = rbbench("run", path, "--out", os.path.join(TMP, "wrong"), "--build", BUILD)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("answered 200, not 304", p.stdout)


class Units(unittest.TestCase):
    def test_range_bytes(self):
        self.assertEqual(measure.range_bytes(["Range: bytes=0-1023"], 65536), 1024)
        self.assertEqual(measure.range_bytes(["range: bytes=65000-"], 65536), 536)
        self.assertEqual(measure.range_bytes(["Range: bytes=-100"], 65536), 100)
        self.assertEqual(measure.range_bytes(["Range: bytes=0-99999"], 65536), 65536)
        self.assertIsNone(measure.range_bytes(["Range: bytes=0-1,5-9"], 65536))
        self.assertIsNone(measure.range_bytes(["Range: bytes=70000-"], 65536))
        self.assertIsNone(measure.range_bytes([], 65536))

    def test_placeholders(self):
        ans = {"etag": '"abc"', "last_modified": "Fri, 04 Dec 2026 21:00:00 GMT"}
        self.assertEqual(measure.fill_placeholders(
            ["If-None-Match: {etag}", "If-Modified-Since: {last_modified}", "X: {y}"], ans),
            ['If-None-Match: "abc"', "If-Modified-Since: Fri, 04 Dec 2026 21:00:00 GMT",
             "X: {y}"])
        with self.assertRaises(ValueError):
            measure.fill_placeholders(["If-None-Match: {etag}"], {"etag": None})

    def test_unexpected_responses(self):
        rb = {"non_2xx": 10, "status": {"2xx": 0, "3xx": 10}, "status_codes": {"304": 9, "301": 1}}
        self.assertEqual(measure.unexpected_responses(rb, 304), 1)
        self.assertEqual(measure.unexpected_responses(rb, None), 10)
        wrk = {"non_2xx": 0, "status": None}
        self.assertEqual(measure.unexpected_responses(wrk, 304), 0)
        h2 = {"non_2xx": 5, "status": {"2xx": 2, "3xx": 3, "4xx": 0, "5xx": 0}}
        self.assertEqual(measure.unexpected_responses(h2, 304), 2)

    def test_side_by_side_ratios(self):
        def cfg(server, lg, rps, cpu, status="ok"):
            sp = lambda v: {"median": v, "min": v, "max": v, "n": 1}
            return {"id": f"static-1k {server} {lg} c=64 p=1", "status": status,
                    "params": {"server": server, "loadgen": lg},
                    "summary": {"requests_per_s": sp(rps), "server_cpu_us_per_request": sp(cpu)}}
        r = {"configurations": [cfg("rbserver", "wrk", 150000.0, 4.0),
                                cfg("nginx", "wrk", 100000.0, 8.0),
                                cfg("h2o", "wrk", 90000.0, 10.0, status="error")]}
        head, rows = report.side_by_side(r)
        self.assertEqual(head[0], "configuration")
        self.assertIn("rbserver÷nginx CPU", head)
        row = dict(zip(head, rows[0]))
        self.assertEqual(row["configuration"], "static-1k wrk c=64 p=1")
        self.assertEqual(row["rbserver÷nginx CPU"], "0.50")
        self.assertEqual(row["rbserver÷nginx req/s"], "1.50")
        self.assertEqual(row["h2o req/s"], "ERROR")
        self.assertEqual(row["h2o÷nginx CPU"], "–")
        self.assertIsNone(report.side_by_side({"configurations": r["configurations"][:1]}))


class SuiteErrors(unittest.TestCase):
    CASES = [
        ("description='x'\n[servers.nginx]\nprogram='nginx'\n[[case]]\nname='a'\n",
         "'nginx' is a built-in server"),
        ("description='x'\n[servers.v]\nprogram='lighttpd'\n[[case]]\nname='a'\n",
         "program must be one of rbserver"),
        ("description='x'\n[servers.v]\nprogram='rbserver'\nenv={X=1}\n[[case]]\nname='a'\n",
         "env must be a table of NAME = \"value\" strings"),
        ("description='x'\n[servers.v]\nprogram='rbserver'\nwhen='now'\n[[case]]\nname='a'\n",
         "unknown key 'when'"),
        ("description='x'\n[[case]]\nname='a'\nserver='v'\n",
         "server must be one of rbserver, nginx, h2o, rbfloor (or a [servers.NAME] variant)"),
        ("description='x'\n[[case]]\nname='a'\nheaders=['If-None-Match: {Etag}']\n",
         "unknown placeholder {Etag}"),
        ("description='x'\n[[case]]\nname='a'\nexpect=42\n",
         "expect must be the status code every response must have"),
    ]

    def test_messages(self):
        for i, (text, msg) in enumerate(self.CASES):
            path = write(os.path.join(TMP, f"bad{i}.toml"), text)
            with self.subTest(msg=msg):
                with self.assertRaises(SuiteError) as cm:
                    suite.load(path)
                self.assertIn(msg, str(cm.exception))

    def test_variant_accepted(self):
        path = write(os.path.join(TMP, "ok.toml"), "description='x'\n[servers.v]\n"
                     "program='rbserver'\nenv={RB_FAULTS='short-send'}\n[[case]]\nname='a'\n"
                     "server=['rbserver', 'v']\n")
        cs = suite.expand(suite.load(path))
        self.assertEqual([c["id"] for c in cs], ["a rbserver c=64 p=1", "a v c=64 p=1"])


def main():
    global BUILD, TMP
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("unittest_args", nargs="*")
    a = ap.parse_args()
    BUILD = os.path.abspath(a.build)
    TMP = tempfile.mkdtemp(prefix="rbbench-static-test-")
    prog = unittest.main(argv=[sys.argv[0], "-v"] + a.unittest_args, exit=False)
    res = prog.result
    if res.errors or res.failures:
        print(f"test output kept in {TMP}", file=sys.stderr)
        return 1
    shutil.rmtree(TMP, ignore_errors=True)
    return 0 if res.testsRun > len(res.skipped) else 77


if __name__ == "__main__":
    sys.exit(main())

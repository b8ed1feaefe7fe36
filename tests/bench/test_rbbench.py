#!/usr/bin/env python3
"""Tests of bench/rbbench: a tiny suite end to end (the real rbserver and a load generator,
1 s runs, 1 repetition, 2 configurations), its JSON validated against the schema, the report
and a non-empty PNG; a 404 shown as an error; compare on synthetic results, with the noise
flagging; suite-file and command-line errors.

usage: tests/bench/test_rbbench.py --build BUILD_DIR   (ctest runs it; about 15 s)
Exit 0 all passed, 1 a test failed, 77 nothing could run (ctest: skipped)."""

import argparse
import copy
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

from rbbench_lib import compare, loadgens, measure, schema, suite  # noqa: E402
from rbbench_lib.common import SuiteError, parse_cpu_list, parse_duration  # noqa: E402

BUILD = None
TMP = None


def rbbench(*args, timeout=120):
    return subprocess.run([sys.executable, RBBENCH] + list(args), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=timeout, check=False)


def loadgen_for_tests():
    if os.access(os.path.join(BUILD, "bin", "rbload"), os.X_OK):
        return "rbload"
    if shutil.which("wrk"):
        return "wrk"
    return None


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


class EndToEnd(unittest.TestCase):
    """One tiny run shared by the tests of this class."""

    @classmethod
    def setUpClass(cls):
        if not os.access(os.path.join(BUILD, "bin", "rbserver"), os.X_OK):
            raise unittest.SkipTest(f"{BUILD}/bin/rbserver not built")
        lg = loadgen_for_tests()
        if not lg:
            raise unittest.SkipTest("neither rbload nor wrk")
        cls.loadgen = lg
        cls.out = os.path.join(TMP, "e2e")
        cls.suite = write(os.path.join(TMP, "tiny.toml"), f"""
description = "test: two tiny configurations"
[defaults]
loadgen = "{lg}"
duration = "1s"
warmup = "0s"
reps = 1
threads = 1
[files]
"a.txt" = 100
[[case]]
name = "plain"
path = "/plaintext"
connections = [2, 4]
""")
        cls.proc = rbbench("run", cls.suite, "--out", cls.out, "--build", BUILD)
        d = os.path.join(cls.out, "tiny")
        files = sorted(os.listdir(d)) if os.path.isdir(d) else []
        cls.json = [os.path.join(d, f) for f in files if f.endswith(".json")]

    def test_run_succeeds(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr + self.proc.stdout)
        self.assertIn("plain c=2 p=1", self.proc.stdout)
        self.assertIn("result: ", self.proc.stdout)
        self.assertRegex(self.proc.stderr, r"\[\d+/\d+\] plain c=4 p=1 · rep 1/1 \(~\d+s left\)")

    def test_json_matches_schema(self):
        self.assertEqual(len(self.json), 1)
        with open(self.json[0]) as f:
            r = json.load(f)
        self.assertEqual(schema.validate_result(r), [])
        self.assertEqual(r["status"], "ok")
        self.assertEqual([c["id"] for c in r["configurations"]], ["plain c=2 p=1", "plain c=4 p=1"])
        for c in r["configurations"]:
            self.assertEqual(len(c["repetitions"]), 1)
            rep = c["repetitions"][0]
            self.assertGreater(rep["requests"], 100)
            self.assertEqual(rep["non_2xx"], 0)
            self.assertGreater(rep["server_cpu_s"], 0)
            self.assertIsNotNone(c["summary"]["server_cpu_us_per_request"])
            self.assertIn(c["params"]["loadgen"], ("rbload", "wrk"))
            self.assertNotEqual(r["options"]["server_cpus"], [])
        self.assertEqual(rbbench("validate", self.json[0]).returncode, 0)
        # the validator catches a broken file
        bad = copy.deepcopy(r)
        del bad["configurations"][0]["summary"]["requests_per_s"]
        bad["environment"]["cores"] = "two"
        errs = schema.validate_result(bad)
        self.assertTrue(any("cores" in e for e in errs), errs)
        self.assertTrue(any("requests_per_s" in e for e in errs), errs)

    def test_report_and_plots(self):
        md = self.json[0][:-5] + ".md"
        art = self.json[0][:-5]
        with open(md) as f:
            text = f.read()
        self.assertIn("| plain c=2 p=1 | ok |", text)
        pngs = [f for f in os.listdir(art) if f.endswith(".png")]
        self.assertIn("sweep-connections.png", pngs)
        self.assertTrue(any(f.startswith("spectrum-") for f in pngs), pngs)
        for p in pngs:
            self.assertIn(f"]({os.path.basename(art)}/{p})", text)
            with open(os.path.join(art, p), "rb") as f:
                head = f.read(8)
            self.assertEqual(head, b"\x89PNG\r\n\x1a\n", p)
            self.assertGreater(os.path.getsize(os.path.join(art, p)), 1000)
        self.assertTrue(any(f.endswith(".hgrm") for f in os.listdir(art)))
        # report regenerates the same files
        os.remove(md)
        p = rbbench("report", self.json[0])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(os.path.exists(md))

    def test_404_is_an_error(self):
        s = write(os.path.join(TMP, "missing.toml"), f"""
description = "test: a missing static file"
[defaults]
loadgen = "{self.loadgen}"
duration = "1s"
warmup = "0s"
reps = 1
threads = 1
[[case]]
name = "missing"
path = "/no-such-file.html"
""")
        out = os.path.join(TMP, "e2e404")
        p = rbbench("run", s, "--out", out, "--build", BUILD)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("ERROR", p.stdout)
        self.assertIn("404", p.stdout)
        d = os.path.join(out, "missing")
        j = [f for f in os.listdir(d) if f.endswith(".json")][0]
        with open(os.path.join(d, j)) as f:
            r = json.load(f)
        self.assertEqual(schema.validate_result(r), [])
        self.assertEqual(r["status"], "error")
        self.assertEqual(r["configurations"][0]["status"], "error")
        with open(os.path.join(d, j[:-5] + ".md")) as f:
            self.assertIn("FAILED", f.read())


class Summaries(unittest.TestCase):
    def rep(self, **kw):
        r = {"rep": 1, "requests": 1000, "duration_s": 1.0, "requests_per_s": 1000.0,
             "errors": {"connect": 0}, "errors_total": 0, "non_2xx": 0, "status_classes": None,
             "latency_us": {"p50": 1.0, "p90": 2.0, "p99": 3.0, "p999": 4.0, "max": 5.0},
             "latency_valid": True, "server_cpu_us_per_request": 5.0,
             "load_cpu_us_per_request": 6.0, "server_cpu_utilisation": 0.5,
             "load_cpu_utilisation": 0.6}
        r.update(kw)
        return r

    def test_non_2xx_during_a_run_is_an_error(self):
        c = {"id": "x", "status": "ok", "problems": [],
             "repetitions": [self.rep(), self.rep(rep=2, non_2xx=7)]}
        measure.summarise(c)
        self.assertEqual(c["status"], "error")
        self.assertIn("7 responses were not 2xx", c["problems"])
        c = {"id": "x", "status": "ok", "problems": [], "repetitions": [self.rep()]}
        self.assertEqual(measure.summarise(c)["status"], "ok")
        c = {"id": "x", "status": "ok", "problems": [],
             "repetitions": [self.rep(errors={"timeout": 3}, errors_total=3)]}
        self.assertEqual(measure.summarise(c)["status"], "error")
        self.assertIn("errors: timeout 3", c["problems"])

    def test_spread(self):
        c = {"id": "x", "status": "ok", "problems": [], "repetitions": [
            self.rep(requests_per_s=v) for v in (3.0, 1.0, 2.0)]}
        s = measure.summarise(c)["summary"]["requests_per_s"]
        self.assertEqual((s["median"], s["min"], s["max"], s["n"]), (2.0, 1.0, 3.0, 3))

    def test_parsers_of_tool_output(self):
        out = ("finished in 1.00s, 12345.00 req/s, 1MB/s\n"
               "requests: 12345 total, 12400 started, 12345 done, 12000 succeeded, 345 failed, "
               "5 errored, 2 timeout\nstatus codes: 12000 2xx, 0 3xx, 340 4xx, 0 5xx\n"
               "time for request:      100us      2.50ms       300us       50us    90.00%\n")
        m = loadgens.parse("h2load", {"pipeline": 1}, 0, out, {})
        self.assertIsNone(m["tool_error"])
        self.assertEqual(m["requests"], 12345)
        self.assertEqual(m["non_2xx"], 340)
        self.assertEqual(m["errors"], {"errored": 3, "timeout": 2})
        self.assertEqual(m["latency_us"]["max"], 2500.0)
        m = loadgens.parse("wrk", {"pipeline": 1}, 0, "garbage\n", {})
        self.assertIn("no RBJSON", m["tool_error"])

    def test_hgrm_round_trip(self):
        path = os.path.join(TMP, "x.hgrm")
        spec = [[0.0, 10.0], [0.5, 20.0], [0.99, 200.0], [1.0, 900.0]]
        loadgens.write_hgrm(path, spec, 100)
        self.assertEqual(loadgens.read_hgrm(path), spec)

    def test_parsing_helpers(self):
        self.assertEqual(parse_cpu_list("0-2,5"), [0, 1, 2, 5])
        self.assertEqual(parse_duration("1500ms"), 1.5)
        self.assertEqual(parse_duration("2m"), 120.0)
        for bad in ("3-1", "x", ""):
            self.assertRaises(ValueError, parse_cpu_list, bad)
        self.assertRaises(ValueError, parse_duration, "5 parsecs")


def synthetic(reps_rps, cpu, status="ok"):
    """A minimal valid result with one configuration."""
    def sp(vals):
        return {"median": sorted(vals)[len(vals) // 2], "min": min(vals), "max": max(vals),
                "n": len(vals)}
    summ = {k: None for k in ("p50_us", "p90_us", "p999_us", "max_us", "load_cpu_us_per_request",
                              "server_cpu_utilisation", "load_cpu_utilisation")}
    summ.update(requests_per_s=sp(reps_rps), p99_us=sp([100.0, 101.0, 102.0]),
                server_cpu_us_per_request=sp(cpu), requests=1, errors=0, non_2xx=0,
                latency_valid=True)
    return {
        "schema": schema.SCHEMA_ID, "suite": "syn", "kind": "http", "name": "n",
        "description": "d", "suite_file": "f", "suite_text": "t", "command": ["x"],
        "started_at": "2026-01-01T00:00:00Z", "finished_at": "2026-01-01T00:00:01Z", "wall_s": 1,
        "git": {"commit": None, "short": "nogit", "dirty": None},
        "environment": {"hostname": "h", "kernel": "Linux 6", "arch": "x86_64", "os": None,
                        "cpu_model": "cpu", "cpu_flags": [], "cores": 2, "cpus_allowed": [0, 1],
                        "memory_bytes": None, "governor": None, "clk_tck": 100,
                        "virtualised": True, "python": "3.11", "tools": {"wrk": None}},
        "options": {"quick": False, "reps": len(reps_rps), "duration_s": 5, "warmup_s": 1,
                    "server_cpus": [0], "load_cpus": [1], "build_dir": "b"},
        "skipped": [], "artefacts": "n", "status": status,
        "configurations": [{
            "id": "plain c=64 p=1", "case": "plain",
            "params": {"server": "rbserver", "loadgen": "wrk", "threads": 1, "parser": "default",
                       "connections": 64, "pipeline": 1, "size": None, "path": "/plaintext",
                       "load_threads": 1, "headers": [], "timeout": "5s"},
            "status": status, "problems": [] if status == "ok" else ["boom"], "preflight": None,
            "server": {"command": ["rbserver"], "cpus_allowed": "0", "port": 1},
            "repetitions": [], "summary": summ}],
    }


class Compare(unittest.TestCase):
    def run_compare(self, a, b):
        pa = write(os.path.join(TMP, "a.json"), json.dumps(a))
        pb = write(os.path.join(TMP, "b.json"), json.dumps(b))
        p = rbbench("compare", pa, pb)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout

    def test_real_change_and_noise(self):
        # req/s: medians 100 vs 130, spreads 10 and 12: a change; CPU: 5.0 vs 5.1 inside
        # spreads of 0.4: noise
        a = synthetic([95.0, 100.0, 105.0], [4.8, 5.0, 5.2])
        b = synthetic([124.0, 130.0, 136.0], [4.9, 5.1, 5.3])
        out = self.run_compare(a, b)
        line = [l for l in out.splitlines() if "req/s" in l and "plain" in l][0]
        self.assertIn("1.300", line)
        self.assertIn("CHANGED (better)", line)
        line = [l for l in out.splitlines() if "server CPU" in l and "plain" in l][0]
        self.assertIn("noise", line)
        line = [l for l in out.splitlines() if "p99" in l and "plain" in l][0]
        self.assertIn("noise", line)
        # worse: fewer requests/s beyond the spread
        out = self.run_compare(b, a)
        self.assertIn("CHANGED (worse)", out)

    def test_verdicts(self):
        s = lambda m, lo, hi, n=3: {"median": m, "min": lo, "max": hi, "n": n}
        self.assertEqual(compare.verdict(s(10, 9, 11), s(12.5, 12, 13), True)[1], "CHANGED (better)")
        self.assertEqual(compare.verdict(s(10, 9, 11), s(11.5, 11, 12), True)[1], "noise")
        self.assertEqual(compare.verdict(s(10, 9, 11), s(12.5, 12, 13), False)[1], "CHANGED (worse)")
        self.assertEqual(compare.verdict(s(10, 10, 10, 1), s(20, 20, 20, 1), True)[1], "no spread")
        self.assertEqual(compare.verdict(None, s(1, 1, 1), True)[1], "n/a")

    def test_error_configuration_flagged(self):
        out = self.run_compare(synthetic([1.0, 2.0, 3.0], [1.0, 1.0, 1.0]),
                               synthetic([1.0, 2.0, 3.0], [1.0, 1.0, 1.0], status="error"))
        self.assertIn("ERROR in B", out)

    def test_not_a_result(self):
        pa = write(os.path.join(TMP, "junk.json"), '{"x": 1}')
        p = rbbench("compare", pa, pa)
        self.assertEqual(p.returncode, 2)
        self.assertIn("is not an rbbench result", p.stderr)
        p = rbbench("compare", pa, os.path.join(TMP, "nope.json"))
        self.assertEqual(p.returncode, 2)


class SuiteErrors(unittest.TestCase):
    CASES = [
        ("description = 'x'\n[[case]\nname='a'\n", "not valid TOML"),
        ("[[case]]\nname = 'a'\n", "needs a description"),
        ("description='x'\n[[case]]\nname='a'\nconections = 4\n",
         "case 1 ('a'): unknown key 'conections' (allowed:"),
        ("description='x'\n[[case]]\nname='a'\nconnections = 'many'\n",
         "connections must be a positive integer, not 'many'"),
        ("description='x'\n[[case]]\nname='a'\nloadgen = 'ab'\n",
         "loadgen must be one of rbload, wrk, h2load"),
        ("description='x'\n[[case]]\nname='a'\nsize = 10\n",
         "size is set but path has no {size}"),
        ("description='x'\n[[case]]\nname='a'\n[[case]]\nname='a'\n",
         "another case is also named 'a'"),
        ("description='x'\n[defaults]\nduration = 'soon'\n[[case]]\nname='a'\n",
         "duration must be a time like 5s"),
        ("description='x'\n", "needs at least one [[case]]"),
        ("description='x'\n[defaults]\nconnections = [1, 2]\n[[case]]\nname='a'\n",
         "connections cannot be a list here"),
        ("description='x'\n[[case]]\nname='a'\npipeline = []\n", "pipeline is an empty list"),
        ("description='x'\nkind = 'grpc'\n", "kind: must be one of http, parser"),
        ("description='x'\n[[case]]\nname='a'\nrate = 0\n",
         "rate must be a request rate per second from 1 to 100000000"),
        ("description='x'\n[[case]]\nname='a'\nrate = 1000\nloadgen = ['rbload', 'wrk']\n",
         "rate (open loop) needs loadgen = \"rbload\""),
    ]

    def test_messages(self):
        for i, (text, msg) in enumerate(self.CASES):
            path = write(os.path.join(TMP, f"bad{i}.toml"), text)
            with self.subTest(msg=msg):
                with self.assertRaises(SuiteError) as cm:
                    suite.load(path)
                self.assertIn(msg, str(cm.exception))
                self.assertIn(path, str(cm.exception))

    def test_cli_exit_status(self):
        path = write(os.path.join(TMP, "badcli.toml"), self.CASES[2][0])
        p = rbbench("run", path, "--out", os.path.join(TMP, "never"))
        self.assertEqual(p.returncode, 2)
        self.assertIn("unknown key 'conections'", p.stderr)
        p = rbbench("run", "no-such-suite")
        self.assertEqual(p.returncode, 2)
        self.assertIn("no suite 'no-such-suite'", p.stderr)

    def test_shipped_suites_load(self):
        for name, kind, desc in suite.list_suites():
            with self.subTest(suite=name):
                self.assertNotIn("BROKEN", desc)
                s = suite.load(name)
                if s.kind == "http":
                    cs = suite.expand(s, ["avx2", "scalar"])
                    self.assertTrue(cs)

    def test_expand(self):
        path = write(os.path.join(TMP, "exp.toml"), "description='x'\n[[case]]\nname='b'\n"
                     "path='/bytes/{size}'\nsize=[1, 2]\npipeline=[1, 4]\n")
        cs = suite.expand(suite.load(path))
        self.assertEqual([c["id"] for c in cs], ["b c=64 p=1 size=1", "b c=64 p=1 size=2",
                                                 "b c=64 p=4 size=1", "b c=64 p=4 size=2"])
        self.assertEqual(cs[1]["params"]["path"], "/bytes/2")

    def test_rate_sweeps_and_reaches_rbload(self):
        path = write(os.path.join(TMP, "rate.toml"), "description='x'\n[[case]]\nname='r'\n"
                     "rate=[1000, 5000]\n")
        cs = suite.expand(suite.load(path))
        self.assertEqual([c["id"] for c in cs], ["r c=64 p=1 R=1000", "r c=64 p=1 R=5000"])
        argv, _ = loadgens.command("rbload", cs[1]["params"], "http://127.0.0.1:1/", 1.0, [0],
                                   BUILD, TMP, "t")
        self.assertEqual(argv[argv.index("-R") + 1], "5000")
        argv, _ = loadgens.command("rbload", dict(cs[1]["params"], rate=None),
                                   "http://127.0.0.1:1/", 1.0, [0], BUILD, TMP, "t")
        self.assertNotIn("-R", argv)


class Floor(unittest.TestCase):
    """rbfloor, the kernel-floor responder the servers suite runs beside rbserver: one canned
    response per request end, however the bytes are split; bad flags exit 2."""

    def setUp(self):
        self.exe = os.path.join(BUILD, "bin", "rbfloor")
        if not os.access(self.exe, os.X_OK):
            self.skipTest(f"{self.exe} not built")

    def test_one_response_per_request_end(self):
        import re
        import socket
        import time
        p = subprocess.Popen([self.exe, "--port", "0"], stderr=subprocess.PIPE, text=True)
        try:
            line = p.stderr.readline()
            m = re.search(r"port (\d+)", line)
            self.assertTrue(m, line)
            s = socket.create_connection(("127.0.0.1", int(m.group(1))), timeout=5)
            req = b"GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n"
            data = req * 3
            # split inside the first terminator and between the others
            for piece in (data[:36], data[36:37], data[37:70], data[70:]):
                s.sendall(piece)
                time.sleep(0.02)
            want = 3 * 133
            got = b""
            while len(got) < want:
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
            self.assertEqual(got.count(b"HTTP/1.1 200 OK\r\n"), 3, got)
            self.assertEqual(len(got), want)
            self.assertTrue(got.endswith(b"\r\n\r\nHello, World!"))
            s.close()
        finally:
            p.terminate()
            self.assertEqual(p.wait(timeout=5), 0)
            p.stderr.close()

    def test_bad_flags_exit_2(self):
        for args in (["--port", "x"], ["--port", "70000"], ["--bogus", "1"], ["--port"], []):
            r = subprocess.run([self.exe] + args, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, timeout=10)
            self.assertEqual(r.returncode, 2, (args, r.stderr))
            self.assertIn("rbfloor:", r.stderr)


class CommandLine(unittest.TestCase):
    def test_bad_flags_exit_2(self):
        for args, msg in ((["run", "main", "--reps", "0"], "--reps: must be a positive"),
                          (["run", "main", "--duration", "fast"], "--duration: "),
                          (["run", "main", "--server-cpus", "x"], "--server-cpus: "),
                          (["run", "main", "--bogus"], "unrecognized arguments: --bogus"),
                          (["frobnicate"], "invalid choice: 'frobnicate'"),
                          ([], "")):
            with self.subTest(args=args):
                p = rbbench(*args)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertIn(msg, p.stderr)

    def test_cpus_outside_the_mask(self):
        p = rbbench("run", "main", "--server-cpus", "4095", "--out", os.path.join(TMP, "never"))
        self.assertEqual(p.returncode, 2)
        self.assertIn("cannot pin to CPU 4095", p.stderr)

    def test_help_list_env(self):
        for args in (["--help"], ["run", "--help"], ["compare", "--help"]):
            p = rbbench(*args)
            self.assertEqual(p.returncode, 0)
            self.assertIn("usage:", p.stdout)
        p = rbbench("list")
        self.assertEqual(p.returncode, 0)
        for name in ("main", "connections", "pipeline", "size", "threads", "server-parser",
                     "servers", "loadgens", "parser"):
            self.assertRegex(p.stdout, rf"(?m)^{name}\s")
        p = rbbench("env", "--build", BUILD)
        self.assertEqual(p.returncode, 0)
        e = json.loads(p.stdout)
        for k in ("kernel", "cpu_model", "cpu_flags", "cores", "memory_bytes", "tools", "git"):
            self.assertIn(k, e)


def main():
    global BUILD, TMP
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("unittest_args", nargs="*")
    a = ap.parse_args()
    BUILD = os.path.abspath(a.build)
    TMP = tempfile.mkdtemp(prefix="rbbench-test-")
    try:
        prog = unittest.main(argv=[sys.argv[0], "-v"] + a.unittest_args, exit=False)
        res = prog.result
        if res.errors or res.failures:
            print(f"test output kept in {TMP}", file=sys.stderr)
            return 1
        shutil.rmtree(TMP, ignore_errors=True)
        return 0 if res.testsRun > len(res.skipped) else 77
    finally:
        pass


if __name__ == "__main__":
    sys.exit(main())

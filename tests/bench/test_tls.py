#!/usr/bin/env python3
"""Tests of bench/rbbench's tls suite (bench/suites/tls.toml, issue 16): the suite parses and
plans its configurations (also through `run --dry-run --quick`); the server templates hold
their TLS settings; a tiny run (1 s) of rbserver over HTTPS under rbload proves the throwaway
certificate (`openssl req`), the https:// URL and rbload's TLS flags (--cacert, --tls-min 1.3,
--tls13-ciphersuites): every request answered, the server's and rbload's tls records kept.

usage: tests/bench/test_tls.py --build BUILD_DIR   (ctest runs it; about 5 s)
Exit 0 all passed, 1 a test failed, 77 nothing could run (ctest: skipped)."""

import argparse
import glob
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

from rbbench_lib import report, schema, suite  # noqa: E402
from rbbench_lib.common import SuiteError  # noqa: E402

BUILD = None
TMP = None


def rbbench(*args, timeout=90):
    return subprocess.run([sys.executable, RBBENCH] + list(args), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=timeout, check=False)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


class Plan(unittest.TestCase):
    def test_suite_parses_and_expands(self):
        s = suite.load("tls")
        self.assertTrue(s.tls)
        ids = {c["id"] for c in suite.expand(s)}
        want = set()
        for srv in ("rbserver", "nginx", "h2o"):
            for lg in ("rbload", "wrk", "h2load"):
                for p in (1, 16):
                    want.add(f"keepalive {srv} {lg} c=64 p={p}")
            want |= {f"close-full {srv} rbload c=64 p=1", f"close-resumed-wrk {srv} wrk c=64 p=1",
                     f"close-resumed {srv} rbload c=64 p=1"}
        self.assertEqual(ids, want)
        by = {c["id"]: c["params"] for c in suite.expand(s)}
        self.assertEqual(by["close-resumed nginx rbload c=64 p=1"]["args"],
                         ["--close", "--tls-resume"])
        self.assertEqual(by["close-resumed-wrk h2o wrk c=64 p=1"]["headers"],
                         ["Connection: close"])

    def test_dry_run_quick(self):
        p = rbbench("run", "tls", "--quick", "--dry-run", "--build", BUILD)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("close-resumed rbserver rbload c=64 p=1", p.stdout)

    def test_templates(self):
        with open(os.path.join(ROOT, "bench", "server", "nginx-tls.conf.in")) as f:
            t = f.read()
        for x in ("ssl_protocols TLSv1.3;", "ssl_ecdh_curve X25519;",
                  "Ciphersuites TLS_AES_128_GCM_SHA256", "ssl_session_tickets on;", "@CERT@",
                  "@KEY@", " ssl "):
            self.assertIn(x, t)
        with open(os.path.join(ROOT, "bench", "server", "h2o-tls.conf.in")) as f:
            t = f.read()
        for x in ("certificate-file: @CERT@", "key-file: @KEY@", "minimum-version: TLSv1.3"):
            self.assertIn(x, t)

    def test_bad_tls_key(self):
        path = write(os.path.join(TMP, "bad.toml"), "description='x'\ntls='yes'\n[[case]]\n"
                     "name='a'\n")
        with self.assertRaises(SuiteError) as cm:
            suite.load(path)
        self.assertIn("tls: must be true or false", str(cm.exception))


class EndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(os.path.join(BUILD, "bin", "rbload"), os.X_OK) or \
                not shutil.which("openssl"):
            raise unittest.SkipTest("rbload not built or openssl missing")
        path = write(os.path.join(TMP, "tiny-tls.toml"),
                     "description = 'tiny tls'\ntls = true\n[defaults]\nduration = '1s'\n"
                     "warmup = '0s'\nreps = 1\nconnections = 4\nthreads = 1\nload_threads = 1\n"
                     "[[case]]\nname = 'ka'\nloadgen = 'rbload'\npipeline = [1, 4]\n"
                     "[[case]]\nname = 'resumed'\nloadgen = 'rbload'\n"
                     "args = ['--close', '--tls-resume']\n")
        out = os.path.join(TMP, "out")
        cls.proc = rbbench("run", path, "--out", out, "--build", BUILD)
        files = glob.glob(os.path.join(out, "tiny-tls", "*.json"))
        cls.result = None
        if files:
            with open(files[0]) as f:
                cls.result = json.load(f)

    def test_run_ok(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stdout + self.proc.stderr)
        self.assertEqual(schema.validate_result(self.result), [])

    def test_https_and_flags(self):
        for c in self.result["configurations"]:
            cmd = c["loadgen_command"]
            self.assertTrue(cmd[-1].startswith("https://127.0.0.1:"), cmd)
            for f in ("--cacert", "--tls-min", "--tls13-ciphersuites"):
                self.assertIn(f, cmd)
            self.assertIn("--tls-cert", c["server"]["command"])
            self.assertGreater(c["summary"]["requests"], 0)
            self.assertEqual(c["summary"]["errors"], 0)
            tls = c["server"]["tls"]
            self.assertIn("OpenSSL", tls["openssl"])
            self.assertIs(tls["ktls"], False)
            self.assertIn("user space", tls["path"])
            rt = c["repetitions"][0].get("tls")
            self.assertIsNotNone(rt, "rbload's JSON tls object not kept")
            self.assertIn("1.3", str(rt.get("version")))
            self.assertIs(rt.get("ktls"), False)

    def test_resumption_recorded(self):
        c = next(c for c in self.result["configurations"] if c["case"] == "resumed")
        self.assertGreater(c["repetitions"][0]["tls"].get("resumed") or 0, 0,
                           c["repetitions"][0]["tls"])
        # the certificate was made in the run directory and not kept with the results
        self.assertEqual(glob.glob(os.path.join(TMP, "out", "**", "*.pem"), recursive=True), [])


def main():
    global BUILD, TMP
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("unittest_args", nargs="*")
    a = ap.parse_args()
    BUILD = os.path.abspath(a.build)
    TMP = tempfile.mkdtemp(prefix="rbbench-tls-test-")
    prog = unittest.main(argv=[sys.argv[0], "-v"] + a.unittest_args, exit=False)
    res = prog.result
    if res.errors or res.failures:
        print(f"test output kept in {TMP}", file=sys.stderr)
        return 1
    shutil.rmtree(TMP, ignore_errors=True)
    return 0 if res.testsRun > len(res.skipped) else 77


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Unit tests of rbbench's host view, on fixture text (no process, no socket, under a second):
the /proc parsers and the deltas of the `host` object (bench/rbbench_lib/hostcounters.py), the
host limits (hostlimits.py), the rbload flag check, the background settle count, the teardown
rule of the summary, the suite keys of the host suite and the schema of the `host` object.

usage: tests/bench/test_hostcounters.py [unittest args]   (ctest: rbbench_hostcounters)"""

import copy
import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(ROOT, "bench"))

from rbbench_lib import background, hostcounters as hc, hostlimits as hl  # noqa: E402
from rbbench_lib import loadgens, measure, schema, suite  # noqa: E402
from rbbench_lib.common import SuiteError  # noqa: E402

# ---- fixtures: what kernel 6.x prints (trimmed) ----------------------------------------------

STAT_0 = """\
cpu  260400 426555 469397 524542 100783 0 122854 995 0 0
cpu0 1000 10 2000 5000 30 0 400 5 0 0
cpu1 3000 0 1000 7000 20 2 100 0 0 0
intr 22060517 0 0 0 1918 783
ctxt 44160960
btime 1764800000
processes 123456
softirq 530616672 0 900596 4 521245731
"""
STAT_1 = """\
cpu  260600 426555 469597 524742 100783 0 122954 995 0 0
cpu0 1100 10 2150 5050 30 0 480 5 0 0
cpu1 3040 0 1100 7010 20 3 120 1 0 0
intr 22070517 0 0 0 1918 783
ctxt 44170960
"""
SNMP_0 = """\
Ip: Forwarding DefaultTTL InReceives
Ip: 1 64 1000
Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors
Tcp: 1 200 120000 -1 107114 106811 286 34569 7 527174075 532668747 180647 0 18314 0
Udp: InDatagrams NoPorts
Udp: 5 0
"""
SNMP_1 = """\
Ip: Forwarding DefaultTTL InReceives
Ip: 1 64 2000
Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors
Tcp: 1 200 120000 -1 107178 106875 286 34569 71 527274075 532768747 180659 0 18314 0
Udp: InDatagrams NoPorts
Udp: 5 0
"""
NETSTAT_0 = """\
TcpExt: SyncookiesSent ListenOverflows ListenDrops TW TCPTimeouts TCPAbortOnData TCPAbortOnClose TCPAbortOnMemory TCPBacklogDrop TCPOFOQueue
TcpExt: 0 5 5 89448 353 12 30 0 0 4294967290
IpExt: InNoRoutes InOctets
IpExt: 0 123456
MPTcpExt: MPCapableSYNRX
MPTcpExt: 0
"""
NETSTAT_1 = """\
TcpExt: SyncookiesSent ListenOverflows ListenDrops TW TCPTimeouts TCPAbortOnData TCPAbortOnClose TCPAbortOnMemory TCPBacklogDrop TCPOFOQueue
TcpExt: 0 8 8 89500 353 12 94 0 0 10
IpExt: InNoRoutes InOctets
IpExt: 0 223456
MPTcpExt: MPCapableSYNRX
MPTcpExt: 0
"""
SOCKSTAT_0 = """\
sockets: used 11
TCP: inuse 1 orphan 0 tw 20075 alloc 1 mem 0
UDP: inuse 0 mem 0
UDPLITE: inuse 0
RAW: inuse 0
FRAG: inuse 0 memory 0
"""
SOCKSTAT_1 = """\
sockets: used 140
TCP: inuse 129 orphan 2 tw 20100 alloc 131 mem 167
UDP: inuse 0 mem 0
FRAG: inuse 0 memory 0
"""
SOCKSTAT_PEAK = "sockets: used 999\nTCP: inuse 700 orphan 9 tw 20500 alloc 705 mem 900\n"
PROC_TCP = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:A3F1 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1
   1: 0100007F:A3F1 0200007F:8001 01 00000000:00000000 00:00000000 00000000     0        0 2 1
   2: 0100007F:A3F1 0300007F:8002 01 00000000:00000000 00:00000000 00000000     0        0 3 1
   3: 0200007F:8001 0100007F:A3F1 01 00000000:00000000 00:00000000 00000000     0        0 4 1
   4: 0100007F:A3F1 0300007F:8003 06 00000000:00000000 00:00000000 00000000     0        0 5 1
"""
LIMITS = """\
Limit                     Soft Limit           Hard Limit           Units
Max processes             94000                94000                processes
Max open files            20000                524288               files
Max locked memory         8388608              8388608              bytes
"""


def sample(stat, snmp, netstat, sock, t):
    files = {hc.FILES["stat"]: stat, hc.FILES["snmp"]: snmp, hc.FILES["netstat"]: netstat,
             hc.FILES["sockstat"]: sock}
    return hc.sample(read=files.__getitem__, clock=lambda: t)


def nonnegative(obj, path="host"):
    """Every number in obj is >= 0: the list of paths that are not."""
    bad = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            bad += nonnegative(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            bad += nonnegative(v, f"{path}[{i}]")
    elif isinstance(obj, (int, float)) and not isinstance(obj, bool) and obj < 0:
        bad.append(path)
    return bad


class Parsers(unittest.TestCase):
    def test_stat(self):
        s = hc.parse_stat(STAT_0)
        self.assertEqual(sorted(s["cpus"]), [0, 1])  # the aggregate "cpu" line is left out
        self.assertEqual(s["cpus"][0], {"user": 1000, "nice": 10, "system": 2000, "idle": 5000,
                                        "iowait": 30, "irq": 0, "softirq": 400, "steal": 5})
        self.assertEqual((s["ctxt"], s["intr"]), (44160960, 22060517))
        # an old kernel without the steal column; no ctxt line
        s = hc.parse_stat("cpu3 1 2 3 4 5 6 7\n")
        self.assertEqual(s["cpus"][3]["steal"], 0)
        self.assertIsNone(s["ctxt"])

    def test_pairs(self):
        p = hc.parse_pairs(SNMP_0)
        self.assertEqual(p["Tcp"]["ActiveOpens"], 107114)
        self.assertEqual(p["Tcp"]["MaxConn"], -1)
        self.assertEqual(p["Udp"], {"InDatagrams": 5, "NoPorts": 0})
        n = hc.parse_pairs(NETSTAT_0)
        self.assertEqual(set(n), {"TcpExt", "IpExt", "MPTcpExt"})
        self.assertEqual(n["TcpExt"]["ListenOverflows"], 5)
        # a header whose value line is missing or belongs to another group is skipped
        p = hc.parse_pairs("Tcp: A B\nUdp: C\nUdp: 3\n")
        self.assertEqual(p, {"Udp": {"C": 3}})
        self.assertEqual(hc.parse_pairs(""), {})

    def test_sockstat(self):
        s = hc.parse_sockstat(SOCKSTAT_1)
        self.assertEqual(s["TCP"], {"inuse": 129, "orphan": 2, "tw": 20100, "alloc": 131,
                                    "mem": 167})
        self.assertEqual(s["sockets"], {"used": 140})
        self.assertEqual(s["FRAG"], {"inuse": 0, "memory": 0})


class Deltas(unittest.TestCase):
    def setUp(self):
        self.a = sample(STAT_0, SNMP_0, NETSTAT_0, SOCKSTAT_0, 100.0)
        self.b = sample(STAT_1, SNMP_1, NETSTAT_1, SOCKSTAT_1, 102.5)
        w = hc.Watcher(read={hc.FILES["sockstat"]: SOCKSTAT_PEAK,
                             hc.FILES["snmp"]: SNMP_1}.__getitem__)
        w.poll()
        self.h = hc.delta(self.a, self.b, [0], [1], 100, w.peaks, 4096)

    def test_cpu_split_per_set(self):
        srv, load = self.h["cpu"]["server"], self.h["cpu"]["load"]
        self.assertEqual(srv["cpus"], [0])
        self.assertAlmostEqual(srv["user_s"], 1.0)
        self.assertAlmostEqual(srv["system_s"], 1.5)
        self.assertAlmostEqual(srv["softirq_s"], 0.8)
        self.assertAlmostEqual(srv["idle_s"], 0.5)
        self.assertAlmostEqual(load["user_s"], 0.4)
        self.assertAlmostEqual(load["irq_s"], 0.01)
        self.assertAlmostEqual(load["steal_s"], 0.01)
        both = hc.delta(self.a, self.b, [0, 1], [1], 100)["cpu"]["server"]
        self.assertAlmostEqual(both["user_s"], 1.4)
        self.assertEqual(self.h["window_s"], 2.5)
        self.assertEqual((self.h["ctxt"], self.h["intr"]), (10000, 10000))

    def test_tcp_counters_by_their_names(self):
        t = self.h["tcp"]
        self.assertEqual(t["ActiveOpens"], 64)
        self.assertEqual(t["RetransSegs"], 12)
        for k in hc.TCP_CONSTANTS + hc.TCP_GAUGES:  # not counters: no delta
            self.assertNotIn(k, t)
        e = self.h["tcp_ext"]
        self.assertEqual(e["ListenOverflows"], 3)
        self.assertEqual(e["TW"], 52)
        self.assertEqual(e["TCPAbortOnClose"], 64)
        self.assertNotIn("InOctets", e)  # IpExt is not TcpExt

    def test_wrap_is_clamped_and_named(self):
        self.assertEqual(self.h["tcp_ext"]["TCPOFOQueue"], 0)  # 4294967290 -> 10: wrapped
        self.assertIn("TcpExt.TCPOFOQueue", self.h["clamped"])
        # a reset of everything (a sample taken backwards): all zero, all named, none negative
        h = hc.delta(self.b, self.a, [0], [1], 100)
        self.assertEqual(nonnegative(h), [])
        self.assertIn("ctxt", h["clamped"])
        self.assertIn("Tcp.ActiveOpens", h["clamped"])
        self.assertIn("cpu0.user", h["clamped"])
        self.assertEqual(h["window_s"], 0.0)

    def test_gauges_start_end_max(self):
        g = self.h["gauges"]
        self.assertEqual(g["tcp_inuse"], {"start": 1, "end": 129, "max": 700})
        self.assertEqual(g["tcp_mem_pages"], {"start": 0, "end": 167, "max": 900})
        self.assertEqual(g["sockets_used"]["max"], 999)
        self.assertEqual(g["tcp_curr_estab"], {"start": 7, "end": 71, "max": 71})
        self.assertEqual(self.h["page_size"], 4096)

    def test_alerts(self):
        self.assertEqual(self.h["alerts"], {"RetransSegs": 12, "ListenOverflows": 3,
                                            "ListenDrops": 3, "TCPAbortOnClose": 64})
        self.assertTrue(hc.is_alert("TCPAbortOnLinger"))
        self.assertFalse(hc.is_alert("TCPTimeouts"))

    def test_everything_nonnegative_and_schema(self):
        self.assertEqual(nonnegative(self.h), [])
        self.assertEqual(schema.validate(self.h, schema.HOST), [])
        bad = copy.deepcopy(self.h)
        bad["tcp"]["ActiveOpens"] = -1
        bad["cpu"]["load"]["user_s"] = -0.5
        errs = schema.validate(bad, schema.HOST)
        self.assertTrue(any("ActiveOpens" in e for e in errs), errs)
        self.assertTrue(any("user_s" in e for e in errs), errs)

    def test_unreadable_files(self):
        empty = hc.sample(read=lambda path: "", clock=lambda: 1.0)
        h = hc.delta(empty, empty, [0], [1], 100)
        self.assertEqual((h["tcp"], h["tcp_ext"], h["gauges"]), ({}, {}, {}))
        self.assertIsNone(h["ctxt"])
        self.assertEqual(h["cpu"]["server"]["user_s"], 0.0)
        self.assertEqual(schema.validate(h, schema.HOST), [])


class Summary(unittest.TestCase):
    def rep(self, alerts, requests=1000):
        h = hc.delta(sample(STAT_0, SNMP_0, NETSTAT_0, SOCKSTAT_0, 0.0),
                     sample(STAT_1, SNMP_1, NETSTAT_1, SOCKSTAT_1, 1.0), [0], [1], 100)
        h["alerts"] = alerts
        return {"requests": requests, "host": h, "server_cpu_s": 0.5, "load_cpu_s": 0.25,
                "connections_opened": 500, "connections_per_s": 500.0}

    def test_teardown_aborts_are_not_trouble(self):
        reps = [self.rep({"TCPAbortOnClose": 40, "TCPAbortOnData": 24}),
                self.rep({"TCPAbortOnClose": 64, "RetransSegs": 2})]
        s = measure.host_summary(reps, open_conns=64)
        self.assertEqual(s["alerts"], {"RetransSegs": 2})
        self.assertEqual(s["teardown_aborts"], 128)
        # more aborts than connections open at the end: trouble
        s = measure.host_summary([self.rep({"TCPAbortOnClose": 65})], open_conns=64)
        self.assertEqual(s["alerts"], {"TCPAbortOnClose": 65})
        self.assertEqual(s["teardown_aborts"], 0)

    def test_service_demand(self):
        s = measure.host_summary([self.rep({})], 1)
        self.assertAlmostEqual(s["server_user_us_per_request"]["median"], 1000.0)  # 1 s / 1000
        self.assertAlmostEqual(s["load_softirq_us_per_request"]["median"], 200.0)
        self.assertAlmostEqual(s["server_cpu_us_per_connection"]["median"], 1000.0)
        self.assertEqual(s["connections_per_s"]["median"], 500.0)

    def test_connection_rate_source(self):
        r = {"connections_opened": 300, "duration_s": 3.0}
        self.assertEqual(measure.connection_rate(r), {"connections_per_s": 100.0,
                                                      "connections_counted_by": "rbload"})
        r = {"host": {"tcp": {"ActiveOpens": 50}, "window_s": 2.0}}
        self.assertEqual(measure.connection_rate(r)["connections_counted_by"], "ActiveOpens")
        self.assertEqual(measure.connection_rate(r)["connections_per_s"], 25.0)


class Limits(unittest.TestCase):
    LIM = {"load_nofile": 20000, "server_nofile": 20000, "port_range": [32768, 60999],
           "ports_per_address": 28232, "server_max_conns": 65536, "load_threads": 2}

    def test_parsers(self):
        self.assertEqual(hl.parse_port_range("32768\t60999\n"), (32768, 60999))
        self.assertIsNone(hl.parse_port_range("60999 32768"))
        self.assertIsNone(hl.parse_port_range("x"))
        self.assertEqual(hl.parse_nofile(LIMITS), 20000)
        self.assertIsNone(hl.parse_nofile("Max open files unlimited unlimited files\n"))

    def test_source_addresses(self):
        for spec, n in (("127.0.0.2-127.0.0.9", 8), ("10.0.0.0/29", 8), ("127.0.0.5", 1),
                        ("127.0.0.2,127.0.0.3,10.1.0.0/30", 6), ("::1-::4", 4)):
            with self.subTest(spec=spec):
                self.assertEqual(hl.count_addresses(spec), n)
        for bad in ("127.0.0.9-127.0.0.2", "banana", "127.0.0.1,", "1.2.3.4-::1"):
            with self.subTest(bad=bad):
                self.assertRaises(ValueError, hl.count_addresses, bad)

    def test_max_names_the_limit_that_stopped_it(self):
        d = hl.plan("max", 8, [], self.LIM)
        self.assertEqual(d["connections"], 20000 - hl.SERVER_FD_MARGIN)
        self.assertEqual(d["bound"], "server RLIMIT_NOFILE")
        self.assertIn("RLIMIT_NOFILE (20,000)", d["reason"])
        # plenty of descriptors, one source address: the ports stop it
        lim = dict(self.LIM, load_nofile=1 << 20, server_nofile=1 << 20, load_threads=64,
                   server_max_conns=None)
        d = hl.plan("max", 0, [], lim)
        self.assertEqual((d["bound"], d["connections"]), ("ephemeral ports", 28232 - 1024))
        d = hl.plan("max", 8, [], lim)
        self.assertEqual(d["connections"], 8 * (28232 - 1024))
        # one rbload thread carries them all (its rings are clamped to the kernel's maximum)
        d = hl.plan("max", 8, [], dict(lim, load_threads=1))
        self.assertEqual((d["bound"], d["connections"]), ("ephemeral ports", 8 * (28232 - 1024)))
        # rbload's own maximum, and wrk or h2load, to which it does not apply
        lim_many = dict(lim, ports_per_address=1 << 20)
        d = hl.plan("max", 8, [], lim_many)
        self.assertEqual((d["bound"], d["connections"]), ("rbload maximum", hl.RBLOAD_MAX))
        d = hl.plan("max", 8, [], dict(lim_many, rbload=False))
        self.assertNotEqual(d["bound"], "rbload maximum")
        self.assertNotIn("rbload maximum", d["limits"])

    def test_fixed_count_that_does_not_fit(self):
        d = hl.plan(30000, 0, [], self.LIM)
        self.assertIsNone(d["connections"])
        self.assertEqual(d["bound"], "load generator RLIMIT_NOFILE")
        self.assertIn("30,000 connections do not fit", d["reason"])
        d = hl.plan(64, 0, [], self.LIM)
        self.assertEqual((d["connections"], d["bound"], d["reason"]), (64, None, None))

    def test_background_cut_to_fit(self):
        lim = dict(self.LIM, server_nofile=1256)  # 1,000 connections in all
        d = hl.plan(16, 0, [500, 500], lim)
        self.assertEqual(d["connections"], 16)
        self.assertEqual(d["background"], [492, 492])
        self.assertIn("background cut from 500 + 500 to 492 + 492", d["reason"])
        d = hl.plan(16, 0, [500, 500], self.LIM)
        self.assertEqual((d["background"], d["reason"]), ([500, 500], None))
        d = hl.plan(990, 0, [500, 500], lim)  # room for 10: 5 each
        self.assertEqual(d["background"], [5, 5])
        d = hl.plan(999, 0, [500, 500], lim)  # no room left for the background
        self.assertIsNone(d["connections"])
        self.assertIn("no room for the background", d["reason"])
        d = hl.plan("max", 0, [400, 400], lim)  # max: what the background leaves
        self.assertEqual(d["connections"], 200)
        self.assertIn("beside 800 background connections", d["reason"])
        d = hl.plan("max", 0, [500, 500], lim)
        self.assertIsNone(d["connections"])
        self.assertIn("no connection fits", d["reason"])


class RbloadFlags(unittest.TestCase):
    HELP = ("  -R, --rate R   open loop\n      --close     one request per connection\n"
            "      --body-file FILE  body\n      --json FILE  report (- for stdout)\n")

    def test_help_and_needs(self):
        known = loadgens.flags_in_help(self.HELP)
        self.assertEqual(known, {"--rate", "--close", "--body-file", "--json"})
        p = {"args": ["--close", "--conn-rate", "2000"], "source": "127.0.0.2-127.0.0.9",
             "body_size": 10, "background": [{"args": ["--slow-send", "10", "--timeout", "1h"]}]}
        need = loadgens.flags_needed(p)
        self.assertEqual(need, ["--close", "--conn-rate", "--source", "--body-file",
                                "--slow-send", "--timeout"])
        self.assertEqual([f for f in need if f not in known],
                         ["--conn-rate", "--source", "--slow-send", "--timeout"])

    def test_command_carries_the_new_parameters(self):
        p = {"connections": 8, "pipeline": 1, "load_threads": "auto", "rate": 8,
             "source": "127.0.0.2-127.0.0.9", "args": ["--close"], "headers": []}
        argv, _ = loadgens.command("rbload", p, "http://127.0.0.1:1/x", 1.0, [1], "/b", "/tmp",
                                   "t", body_file="/tmp/body")
        self.assertEqual(argv[argv.index("--source") + 1], "127.0.0.2-127.0.0.9")
        self.assertEqual(argv[argv.index("--body-file") + 1], "/tmp/body")
        self.assertEqual(argv[-2:], ["--close", "http://127.0.0.1:1/x"])
        argv, js = loadgens.background_command({"connections": 500, "args": ["--slow-send", "10"]},
                                               "http://127.0.0.1:1/", 90, [1], "/b", "/tmp", "bg")
        self.assertEqual(argv[:3], ["taskset", "-c", "1"])
        self.assertEqual(argv[argv.index("-c", 3) + 1], "500")
        self.assertEqual(argv[argv.index("-t") + 1], "1")
        self.assertIn("--slow-send", argv)
        self.assertTrue(js.endswith("bg.rbload.json"))


class Background(unittest.TestCase):
    def test_count_established(self):
        self.assertEqual(background.count_established(PROC_TCP, 0xA3F1), 2)
        self.assertEqual(background.count_established(PROC_TCP, 0x8001), 1)
        self.assertEqual(background.count_established("", 80), 0)


class SuiteKeys(unittest.TestCase):
    def load(self, text):
        with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
            f.write("description = 'x'\n" + text)
        try:
            return suite.load(f.name)
        finally:
            os.unlink(f.name)

    def test_host_suite_expands(self):
        s = suite.load("host")
        ids = [c["id"] for c in suite.expand(s)]
        self.assertIn("many c=max p=1", ids)
        self.assertIn("slow-clients c=16 p=1", ids)
        self.assertEqual(len(ids), 10)

    def test_new_keys(self):
        s = self.load("[[case]]\nname='m'\nconnections='max'\nsource='10.0.0.0/29'\n"
                      "rate_per_connection=0.5\nargs=['--close']\nbody_size=100\npath='/echo'\n"
                      "background=[{name='a', connections=5, args=['--x']}]\n")
        c = suite.expand(s)[0]
        self.assertEqual(c["params"]["connections"], "max")
        self.assertEqual(c["params"]["background"][0]["name"], "a")

    def test_errors(self):
        for text, msg in (
                ("[[case]]\nname='m'\nconnections='lots'\n", "not 'lots' (or \"max\""),
                ("[[case]]\nname='m'\nsource='nowhere'\n", "rbload's --source"),
                ("[[case]]\nname='m'\nargs='--close'\n", "a list of rbload arguments"),
                ("[[case]]\nname='m'\nloadgen='wrk'\nargs=['--close']\n", "args needs loadgen"),
                ("[[case]]\nname='m'\nrate=5\nrate_per_connection=1\n", "not both"),
                ("[[case]]\nname='m'\nbackground=[{name='a'}]\n", "connections must be"),
                ("[[case]]\nname='m'\nbackground=[{name='a', connections=1, speed=3}]\n",
                 "unknown key 'speed'"),
                ("[[case]]\nname='m'\nbackground=[{name='a', connections=1}, "
                 "{name='a', connections=2}]\n", "also named 'a'"),
                ("[[case]]\nname='m'\nbody_size=-1\n", "request body size")):
            with self.subTest(msg=msg):
                with self.assertRaises(SuiteError) as cm:
                    self.load(text)
                self.assertIn(msg, str(cm.exception))


if __name__ == "__main__":
    unittest.main()

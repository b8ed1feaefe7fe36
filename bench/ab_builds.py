#!/usr/bin/env python3
"""ab_builds.py: two builds of ringbench side by side, alternating, on one path.

  bench/ab_builds.py --a DIR --b DIR [--what server|load] [--rounds N] [--duration S]
                     [--connections C] [--path /plaintext] [--pipeline 1,16]
                     [--server-cpu N] [--load-cpu N]

--what server: build A's and build B's rbserver run at once (one worker each, pinned to the
  server CPU, on two ports); B's rbload drives each in turn. Reports the servers' CPU time
  per request (from /proc/PID/stat).
--what load: B's rbserver; build A's and build B's rbload drive it in turn. Reports the load
  generators' CPU time per request (wait4, like rbbench).

Each round runs A then B, at each --pipeline depth (default unpipelined and pipelined 16), on
--path (default /plaintext; /bytes/1048576 for streamed bodies), for --duration seconds each: the
machine's slow and fast spells fall on both. The summary gives the medians, the min-max and
B/A. This is the tool for "did this change make it slower" on a noisy 2-CPU host; suites
(bench/rbbench) are the tool for comparing servers and load generators.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time


def cpu_of(pid):
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_server(exe, cpu, port):
    p = subprocess.Popen(["taskset", "-c", str(cpu), exe, "--port", str(port), "--threads", "1",
                          "--bind", "127.0.0.1"], stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 10
    for line in p.stderr:
        if "listening on" in line:
            return p
        if time.time() > deadline:
            break
    p.kill()
    sys.exit(f"ab_builds: {exe} did not start listening")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--a", required=True, help="build directory A (with bin/)")
    ap.add_argument("--b", required=True, help="build directory B")
    ap.add_argument("--what", choices=("server", "load"), default="server")
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--duration", type=int, default=5, help="seconds per run (default 5)")
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--path", default="/plaintext", help="request path (default /plaintext)")
    ap.add_argument("--pipeline", default="1,16",
                    help="comma list of pipeline depths (default 1,16)")
    ap.add_argument("--server-cpu", type=int, default=0)
    ap.add_argument("--load-cpu", type=int, default=1)
    a = ap.parse_args()
    if not a.path.startswith("/"):
        sys.exit(f"ab_builds: --path {a.path!r}: allowed: a path starting with /")
    try:
        depths = [int(x) for x in a.pipeline.split(",")]
        if not depths or any(not 1 <= d <= 1024 for d in depths):
            raise ValueError
    except ValueError:
        sys.exit(f"ab_builds: --pipeline {a.pipeline!r}: allowed: a comma list of 1 to 1024")
    for d in (a.a, a.b):
        for exe in ("rbserver", "rbload"):
            if not os.access(os.path.join(d, "bin", exe), os.X_OK):
                sys.exit(f"ab_builds: {d}/bin/{exe}: not found (build it first)")
    builds = {"A": a.a, "B": a.b}
    servers = {}
    if a.what == "server":
        for i, k in enumerate("AB"):
            servers[k] = start_server(os.path.join(builds[k], "bin", "rbserver"), a.server_cpu,
                                      18400 + i)
    else:
        s = start_server(os.path.join(a.b, "bin", "rbserver"), a.server_cpu, 18400)
        servers = {"A": s, "B": s}
    ports = {k: 18400 + (i if a.what == "server" else 0) for i, k in enumerate("AB")}
    out = {}
    tmp = tempfile.mkdtemp(prefix="ab_builds.")
    try:
        for r in range(a.rounds):
            for k in "AB":
                for p in depths:
                    load = os.path.join(builds[k] if a.what == "load" else a.b, "bin", "rbload")
                    js = os.path.join(tmp, "r.json")
                    before = resource.getrusage(resource.RUSAGE_CHILDREN)
                    s0 = cpu_of(servers[k].pid)
                    subprocess.run(["taskset", "-c", str(a.load_cpu), load, "-c",
                                    str(a.connections), "-t", "1", "-p", str(p), "-d",
                                    f"{a.duration}s", "--json", js,
                                    f"http://127.0.0.1:{ports[k]}{a.path}"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
                    after = resource.getrusage(resource.RUSAGE_CHILDREN)
                    s1 = cpu_of(servers[k].pid)
                    with open(js, encoding="utf-8") as f:
                        rep = json.load(f)
                    n = rep["requests"]
                    load_us = (after.ru_utime - before.ru_utime + after.ru_stime -
                               before.ru_stime) * 1e6 / n
                    srv_us = (s1 - s0) * 1e6 / n
                    us = srv_us if a.what == "server" else load_us
                    out.setdefault((k, p), []).append((us, rep["requests_per_s"]))
                    print(f"round {r + 1}/{a.rounds} {k} p={p:<2} {a.what} CPU-us/req {us:.3f}"
                          f"  {rep['requests_per_s']:,.0f} req/s", flush=True)
    finally:
        for s in set(servers.values()):
            s.terminate()
            s.wait()
    print(f"\n{a.what} CPU-us/req on {a.path}, median (min-max) over {a.rounds} rounds; "
          f"A={a.a} B={a.b}")
    for p in depths:
        va = [x[0] for x in out[("A", p)]]
        vb = [x[0] for x in out[("B", p)]]
        ra = statistics.median(x[1] for x in out[("A", p)])
        rb = statistics.median(x[1] for x in out[("B", p)])
        print(f"  p={p:<2} A {statistics.median(va):.3f} ({min(va):.3f}-{max(va):.3f})"
              f"  B {statistics.median(vb):.3f} ({min(vb):.3f}-{max(vb):.3f})"
              f"  B/A {statistics.median(vb) / statistics.median(va):.3f}"
              f"  (min B/A {min(vb) / min(va):.3f}; req/s B/A {rb / ra:.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Open N idle keep-alive connections to 127.0.0.1:PORT and hold them (for bench/server/run.sh),
or, with --pid, measure the server's memory per idle connection.

With --request, each connection first sends one GET /plaintext and reads its response, so the
server has handled a request on it (per-connection buffers exist); without it, the connections
never send a byte.

Without --pid: prints "READY <n>" once all are open (and answered), then sleeps until killed
(bench/server/run.sh reads the server's RSS itself).

With --pid PID (the server's process): first --warmup requests over 4 connections, closed again
(so memory the server touches once whatever the connection count, such as rbserver's receive
buffer ring, is in the baseline), then the baseline VmRSS, then the N connections, then VmRSS
again once it is stable (the same reading twice, 0.5 s apart, at most 10 s); prints one line

  idle_conns: N connections (--request|never sent): VmRSS A -> B kB: X bytes per connection

and exits, closing the connections. No timing is measured.

Example (Release build, one worker pinned to CPU 0):
  taskset -c 0 build/bin/rbserver --port 8090 --bind 127.0.0.1 --threads 1 --max-conns 32768 &
  bench/server/idle_conns.py --port 8090 --count 10000 --request --pid $!
"""
import argparse
import resource
import signal
import socket
import sys
import time

ap = argparse.ArgumentParser(
    description=__doc__.split("\n\n")[0],
    epilog="See the module text (head of this file) for the measuring mode's procedure.")
ap.add_argument("--port", type=int, required=True, help="the server's port on 127.0.0.1")
ap.add_argument("--count", type=int, default=10000, help="connections to open (default 10000)")
ap.add_argument("--request", action="store_true",
                help="send one GET /plaintext on each connection and read the answer first")
ap.add_argument("--pid", type=int,
                help="measure: the server's PID; print bytes of VmRSS per connection and exit")
ap.add_argument("--warmup", type=int, default=4096,
                help="with --pid: requests sent before the baseline (default 4096)")
a = ap.parse_args()

soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft < a.count + 100:
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, a.count + 1000), hard))

REQ = (b"GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1\r\n"
       b"Accept: text/plain,text/html;q=0.9,application/xhtml+xml;q=0.9,application/xml;q=0.8,*/*;q=0.7\r\n"
       b"Connection: keep-alive\r\n\r\n")


def ask(s, i):
    """One GET /plaintext on s, its response read whole."""
    s.sendall(REQ)
    data = b""
    while not data.endswith(b"Hello, World!"):
        chunk = s.recv(4096)
        if not chunk:
            raise RuntimeError(f"connection {i} closed before the response ended")
        data += chunk
    if not data.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(f"connection {i}: {data[:40]!r}")


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for PID {pid}")


def stable_rss_kb(pid):
    prev = -1
    for _ in range(20):
        time.sleep(0.5)
        cur = rss_kb(pid)
        if cur == prev:
            break
        prev = cur
    return cur


if a.pid:
    warm = [socket.create_connection(("127.0.0.1", a.port), timeout=10) for _ in range(4)]
    for i in range(a.warmup):
        ask(warm[i % 4], i)
    for s in warm:
        s.close()
    rss0 = stable_rss_kb(a.pid)

socks = []
deadline = time.monotonic() + 120
try:
    for i in range(a.count):
        s = socket.create_connection(("127.0.0.1", a.port), timeout=10)
        socks.append(s)
        if a.request:
            ask(s, i)
        if time.monotonic() > deadline:
            raise RuntimeError("took longer than 120 s")
except Exception as e:  # report how far we got, hold what is open
    print(f"stopped after {len(socks)} connections: {e}", flush=True)

if a.pid:
    rss1 = stable_rss_kb(a.pid)
    n = len(socks)
    per = round((rss1 - rss0) * 1024 / n) if n else 0
    kind = "--request" if a.request else "never sent"
    print(f"idle_conns: {n} connections ({kind}): VmRSS {rss0} -> {rss1} kB: "
          f"{per} bytes per connection", flush=True)
    for s in socks:
        s.close()
    sys.exit(0 if n == a.count else 1)

print(f"READY {len(socks)}", flush=True)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
while True:
    signal.pause()

#!/usr/bin/env python3
"""Open N idle keep-alive connections to 127.0.0.1:PORT and hold them (for bench/server/run.sh).

With --request, each connection first sends one GET /plaintext and reads its response, so the
server has handled a request on it (per-connection buffers exist); without it, the connections
never send a byte. Prints "READY <n>" once all are open (and answered), then sleeps until killed.
"""
import argparse
import resource
import signal
import socket
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--count", type=int, default=10000)
ap.add_argument("--request", action="store_true")
a = ap.parse_args()

soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft < a.count + 100:
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, a.count + 1000), hard))

REQ = (b"GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1\r\n"
       b"Accept: text/plain,text/html;q=0.9,application/xhtml+xml;q=0.9,application/xml;q=0.8,*/*;q=0.7\r\n"
       b"Connection: keep-alive\r\n\r\n")
socks = []
deadline = time.monotonic() + 120
try:
    for i in range(a.count):
        s = socket.create_connection(("127.0.0.1", a.port), timeout=10)
        socks.append(s)
        if a.request:
            s.sendall(REQ)
            data = b""
            while not data.endswith(b"Hello, World!"):
                chunk = s.recv(4096)
                if not chunk:
                    raise RuntimeError(f"connection {i} closed before the response ended")
                data += chunk
            if not data.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(f"connection {i}: {data[:40]!r}")
        if time.monotonic() > deadline:
            raise RuntimeError("took longer than 120 s")
except Exception as e:  # report how far we got, hold what is open
    print(f"stopped after {len(socks)} connections: {e}", flush=True)
print(f"READY {len(socks)}", flush=True)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
while True:
    signal.pause()

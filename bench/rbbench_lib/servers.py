"""Server adapters: rbserver, nginx, h2o, and rbfloor (bench/server/floor_server.c: not an HTTP
server but the kernel floor under rbserver: it answers every request end with a canned
/plaintext response and parses nothing). Each is started pinned, as our child (so its PID and
CPU time are ours to read), on a free loopback port, and checked before it is measured.

nginx and h2o reuse bench/server/nginx.conf.in and h2o.conf.in (one `return 200`-style
/plaintext location); with a file root (a suite's [files]) they use nginx-static.conf.in and
h2o-static.conf.in instead, which serve that same directory as rbserver's --root.
worker_processes / num-threads follow the configuration's threads.

A server name may also be a suite's variant ([servers.NAME]: a program run with extra
environment, e.g. rbserver with RB_FAULTS=no-zerocopy): name is what the results call it,
program what runs."""

import http.client
import os
import re
import signal
import socket
import ssl
import subprocess
import time

from . import procs
from .common import BENCH_DIR, RunError, which

TEMPLATES = os.path.join(BENCH_DIR, "server")
INSTALL_HINT = {"nginx": "apt-get install nginx-light", "h2o": "apt-get install h2o"}


def available(name, build_dir, static=False, tls=False):
    """None when the server (a program of suite.SERVERS) can run, else the reason it cannot
    (one line). static: it must serve a file root (the *-static.conf.in template); tls: over
    HTTPS (the *-tls.conf.in template)."""
    if name in ("rbserver", "rbfloor"):
        exe = os.path.join(build_dir, "bin", name)
        return None if os.access(exe, os.X_OK) else f"{exe} not built"
    if not which(name):
        return f"{name} not installed ({INSTALL_HINT[name]})"
    if tls and static:
        return f"{name}: no template for static files over HTTPS"
    tpl = os.path.join(TEMPLATES, f"{name}{'-static' if static else ''}"
                       f"{'-tls' if tls else ''}.conf.in")
    if not os.path.isfile(tpl):
        return f"{tpl} missing"
    return None


def _tls_context():
    """The pre-flight's client context for HTTPS: the throwaway certificate is not checked
    here (the load generators check it: rbload --cacert)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def http_get(port, path, headers=(), timeout=3.0, body=None, tls=False):
    """One GET (a POST of body when one is given) on a fresh connection (HTTPS when tls):
    {status, bytes, content_type, etag, last_modified, body (the first 4 KiB)} or {error}."""
    try:
        c = http.client.HTTPSConnection("127.0.0.1", port, timeout=timeout,
                                        context=_tls_context()) if tls else \
            http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        hdrs = {}
        for h in headers:
            k, v = h.split(":", 1)
            hdrs[k.strip()] = v.strip()
        c.request("GET" if body is None else "POST", path, body=body, headers=hdrs)
        r = c.getresponse()
        body = r.read()
        out = {"status": r.status, "bytes": len(body),
               "content_type": r.getheader("Content-Type"), "etag": r.getheader("ETag"),
               "last_modified": r.getheader("Last-Modified")}
        c.close()
        return out
    except (OSError, http.client.HTTPException, ssl.SSLError) as e:
        return {"error": f"{type(e).__name__}: {e}"}


def response_size(port, path, headers=(), timeout=3.0):
    """The bytes on the wire of one response to a GET (status line, header block and body),
    on a fresh connection: what a load generator reads per response when every answer is this
    one. None when it cannot be read. A 1xx, 204 or 304 answer has no body, whatever its
    Content-Length says; chunked answers are not expected here (None)."""
    req = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
    req += "".join(h.split(":", 1)[0].strip() + ": " + h.split(":", 1)[1].strip() + "\r\n"
                   for h in headers)
    req += "\r\n"
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(req.encode("latin-1"))
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = s.recv(65536)
                if not chunk:
                    return None
                data += chunk
            head, _ = data.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split()[1])
            fields = {l.split(":", 1)[0].strip().lower(): l.split(":", 1)[1].strip()
                      for l in lines[1:] if ":" in l}
            if "chunked" in fields.get("transfer-encoding", "").lower():
                return None
            body = 0 if status in (204, 304) or status < 200 else \
                int(fields.get("content-length", "0"))
            return len(head) + 4 + body
    except (OSError, ValueError, IndexError):
        return None


class Server:
    """One running server instance: name (a program of suite.SERVERS or a suite's variant of
    one), the program it runs, extra environment, threads, parser variant, CPUs, root
    directory."""

    def __init__(self, name, threads, parser, cpus, build_dir, rundir, root=None, program=None,
                 env=None, tls=None):
        self.name = name
        self.program = program or name
        self.env = dict(env or {})
        self.threads = threads
        self.parser = parser
        self.cpus = cpus
        self.build_dir = build_dir
        self.rundir = rundir
        self.root = root
        self.tls = tls  # (certificate, key) PEM paths: HTTPS
        self.port = None
        self.proc = None
        self.argv = None
        self.log_path = os.path.join(rundir, "server.log")

    def label(self):
        s = f"{self.name} t={self.threads}"
        if self.env:
            s += " (" + " ".join(f"{k}={v}" for k, v in self.env.items()) + ")"
        return s + (f" parser={self.parser}" if self.parser != "default" else "")

    def _argv(self):
        p = str(self.port)
        if self.program == "rbserver":
            argv = [os.path.join(self.build_dir, "bin", "rbserver"), "--port", p, "--bind",
                    "127.0.0.1", "--threads", str(self.threads), "--max-conns", "65536"]
            if self.parser != "default":
                argv += ["--parser", self.parser]
            if self.root:
                argv += ["--root", self.root]
            if self.tls:
                # what nginx-tls.conf.in pins, so wrk and h2load (which offer OpenSSL's
                # default suites, AES-256-GCM first) get the same suite from both
                argv += ["--tls-cert", self.tls[0], "--tls-key", self.tls[1],
                         "--tls-min", "1.3", "--tls13-ciphersuites", "TLS_AES_128_GCM_SHA256"]
            return argv
        if self.parser != "default":
            raise RunError(f"{self.name} has no parser variants (parser = \"{self.parser}\")")
        if self.program == "rbfloor":
            if self.threads != 1:
                raise RunError(f"rbfloor has one thread (threads = {self.threads})")
            if self.root:
                raise RunError("rbfloor serves no files: it answers /plaintext only")
            if self.tls:
                raise RunError("rbfloor has no HTTPS")
            return [os.path.join(self.build_dir, "bin", "rbfloor"), "--port", p, "--bind",
                    "127.0.0.1"]
        if self.program == "nginx":
            tpl = "nginx-static.conf.in" if self.root else \
                "nginx-tls.conf.in" if self.tls else "nginx.conf.in"
            with open(os.path.join(TEMPLATES, tpl)) as f:
                conf = f.read()
            if self.tls:
                conf = conf.replace("@CERT@", self.tls[0]).replace("@KEY@", self.tls[1])
            conf = (conf.replace("@PORT@", p).replace("@RUNDIR@", self.rundir)
                    .replace("@WORKER_CONNECTIONS@", "65536")
                    .replace("@ROOT@", self.root or ""))
            conf = re.sub(r"^worker_processes\s+\d+;", f"worker_processes {self.threads};",
                          conf, flags=re.M)
            path = os.path.join(self.rundir, "nginx.conf")
            with open(path, "w") as f:
                f.write(conf)
            return ["nginx", "-c", path, "-p", self.rundir, "-e",
                    os.path.join(self.rundir, "nginx-error.log")]
        if self.program == "h2o":
            www = os.path.join(self.rundir, "www")
            os.makedirs(www, exist_ok=True)
            with open(os.path.join(www, "plaintext"), "w") as f:
                f.write("Hello, World!")
            tpl = "h2o-static.conf.in" if self.root else \
                "h2o-tls.conf.in" if self.tls else "h2o.conf.in"
            with open(os.path.join(TEMPLATES, tpl)) as f:
                conf = f.read()
            if self.tls:
                conf = conf.replace("@CERT@", self.tls[0]).replace("@KEY@", self.tls[1])
            conf = conf.replace("@HANDLER@", f"        file.file: {www}/plaintext")
            conf = conf.replace("@PORT@", p).replace("@RUNDIR@", self.rundir)
            conf = conf.replace("@ROOT@", self.root or "")
            conf = re.sub(r"^num-threads:\s*\d+", f"num-threads: {self.threads}", conf, flags=re.M)
            path = os.path.join(self.rundir, "h2o.conf")
            with open(path, "w") as f:
                f.write(conf)
            return ["h2o", "-c", path]
        raise RunError(f"unknown server {self.name}")

    def start(self):
        os.makedirs(self.rundir, exist_ok=True)
        os.chmod(self.rundir, 0o755)  # nginx's worker runs as nobody
        last = None
        self.exit_status = None
        for _ in range(3):  # a port taken between free_port() and bind: try another
            self.port = procs.free_port()
            self.argv = procs.pinned(self._argv(), self.cpus)
            log = open(self.log_path, "w")
            self.proc = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL,
                                         env=dict(os.environ, **self.env) if self.env else None)
            log.close()
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                r = http_get(self.port, "/plaintext", timeout=1, tls=bool(self.tls))
                if r.get("status") == 200:
                    self.pins = procs.cpus_allowed(self.proc.pid)
                    return
                if self.proc.poll() is not None:
                    self.exit_status = self.proc.returncode
                    break
                time.sleep(0.05)
            self.stop()
            last = self._log_tail()
            if "in use" not in last:
                break
        raise RunError(f"{self.label()} did not start"
                       + (f" (exit status {self.exit_status})" if self.exit_status is not None
                          else "") + f" (command: {' '.join(self.argv)}); its log ends:\n{last}")

    def _log_tail(self, lines=8):
        try:
            with open(self.log_path) as f:
                text = f.read().splitlines()
        except OSError:
            return ""
        return "\n".join(text[-lines:])

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def ticks(self):
        return procs.tree_ticks(self.proc.pid)

    def stop(self):
        if self.proc is None:
            return
        # nginx: QUIT is its graceful stop; rbserver and h2o stop on TERM
        procs.stop(self.proc, signal.SIGQUIT if self.program == "nginx" else signal.SIGTERM)
        self.proc = None

"""Server adapters: rbserver, nginx, h2o, and rbfloor (bench/server/floor_server.c: not an HTTP
server but the kernel floor under rbserver: it answers every request end with a canned
/plaintext response and parses nothing). Each is started pinned, as our child (so its PID and
CPU time are ours to read), on a free loopback port, and checked before it is measured.

nginx and h2o reuse bench/server/nginx.conf.in and h2o.conf.in (one `return 200`-style
/plaintext location); worker_processes / num-threads follow the configuration's threads."""

import http.client
import os
import re
import signal
import subprocess
import time

from . import procs
from .common import BENCH_DIR, RunError, which

TEMPLATES = os.path.join(BENCH_DIR, "server")
INSTALL_HINT = {"nginx": "apt-get install nginx-light", "h2o": "apt-get install h2o"}


def available(name, build_dir):
    """None when the server can run, else the reason it cannot (one line)."""
    if name in ("rbserver", "rbfloor"):
        exe = os.path.join(build_dir, "bin", name)
        return None if os.access(exe, os.X_OK) else f"{exe} not built"
    if not which(name):
        return f"{name} not installed ({INSTALL_HINT[name]})"
    tpl = os.path.join(TEMPLATES, f"{name}.conf.in")
    if not os.path.isfile(tpl):
        return f"{tpl} missing"
    return None


def http_get(port, path, headers=(), timeout=3.0, body=None):
    """One GET (a POST of body when one is given) on a fresh connection: {status, bytes,
    content_type} or {error}."""
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        hdrs = {}
        for h in headers:
            k, v = h.split(":", 1)
            hdrs[k.strip()] = v.strip()
        c.request("GET" if body is None else "POST", path, body=body, headers=hdrs)
        r = c.getresponse()
        body = r.read()
        out = {"status": r.status, "bytes": len(body),
               "content_type": r.getheader("Content-Type")}
        c.close()
        return out
    except (OSError, http.client.HTTPException) as e:
        return {"error": f"{type(e).__name__}: {e}"}


class Server:
    """One running server instance: name, threads, parser variant, CPUs, root directory."""

    def __init__(self, name, threads, parser, cpus, build_dir, rundir, root=None):
        self.name = name
        self.threads = threads
        self.parser = parser
        self.cpus = cpus
        self.build_dir = build_dir
        self.rundir = rundir
        self.root = root
        self.port = None
        self.proc = None
        self.argv = None
        self.log_path = os.path.join(rundir, "server.log")

    def label(self):
        s = f"{self.name} t={self.threads}"
        return s + (f" parser={self.parser}" if self.parser != "default" else "")

    def _argv(self):
        p = str(self.port)
        if self.name == "rbserver":
            argv = [os.path.join(self.build_dir, "bin", "rbserver"), "--port", p, "--bind",
                    "127.0.0.1", "--threads", str(self.threads), "--max-conns", "65536"]
            if self.parser != "default":
                argv += ["--parser", self.parser]
            if self.root:
                argv += ["--root", self.root]
            return argv
        if self.parser != "default":
            raise RunError(f"{self.name} has no parser variants (parser = \"{self.parser}\")")
        if self.name == "rbfloor":
            if self.threads != 1:
                raise RunError(f"rbfloor has one thread (threads = {self.threads})")
            if self.root:
                raise RunError("rbfloor serves no files: it answers /plaintext only")
            return [os.path.join(self.build_dir, "bin", "rbfloor"), "--port", p, "--bind",
                    "127.0.0.1"]
        if self.name == "nginx":
            with open(os.path.join(TEMPLATES, "nginx.conf.in")) as f:
                conf = f.read()
            conf = (conf.replace("@PORT@", p).replace("@RUNDIR@", self.rundir)
                    .replace("@WORKER_CONNECTIONS@", "65536"))
            conf = re.sub(r"^worker_processes\s+\d+;", f"worker_processes {self.threads};",
                          conf, flags=re.M)
            path = os.path.join(self.rundir, "nginx.conf")
            with open(path, "w") as f:
                f.write(conf)
            return ["nginx", "-c", path, "-p", self.rundir, "-e",
                    os.path.join(self.rundir, "nginx-error.log")]
        if self.name == "h2o":
            www = os.path.join(self.rundir, "www")
            os.makedirs(www, exist_ok=True)
            with open(os.path.join(www, "plaintext"), "w") as f:
                f.write("Hello, World!")
            with open(os.path.join(TEMPLATES, "h2o.conf.in")) as f:
                conf = f.read()
            conf = conf.replace("@HANDLER@", f"        file.file: {www}/plaintext")
            conf = conf.replace("@PORT@", p).replace("@RUNDIR@", self.rundir)
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
        for _ in range(3):  # a port taken between free_port() and bind: try another
            self.port = procs.free_port()
            self.argv = procs.pinned(self._argv(), self.cpus)
            log = open(self.log_path, "w")
            self.proc = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)
            log.close()
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                r = http_get(self.port, "/plaintext", timeout=1)
                if r.get("status") == 200:
                    self.pins = procs.cpus_allowed(self.proc.pid)
                    return
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
            self.stop()
            last = self._log_tail()
            if "in use" not in last:
                break
        raise RunError(f"{self.label()} did not start (command: {' '.join(self.argv)}); "
                       f"its log ends:\n{last}")

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
        procs.stop(self.proc, signal.SIGQUIT if self.name == "nginx" else signal.SIGTERM)
        self.proc = None

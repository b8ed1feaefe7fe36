"""Processes: pinning with taskset, CPU time from /proc, CPU busy time, ports, stopping."""

import os
import signal
import socket
import subprocess
import tempfile
import time

from .common import RunError, cpu_list_str, which

CLK_TCK = os.sysconf("SC_CLK_TCK")


def pinned(argv, cpus):
    """argv run under taskset -c LIST (the affinity is inherited by every thread it makes)."""
    if not which("taskset"):
        raise RunError("taskset not found: apt-get install util-linux")
    return ["taskset", "-c", cpu_list_str(cpus)] + list(argv)


def default_split(allowed, server_cpus=None, load_cpus=None):
    """Disjoint CPU sets for the server and the load generator: the first half of the allowed
    CPUs (rounded up) for the server, the rest for the load generator; one CPU shares."""
    if server_cpus is None and load_cpus is None:
        if len(allowed) == 1:
            return list(allowed), list(allowed)
        half = (len(allowed) + 1) // 2
        return allowed[:half], allowed[half:]
    if server_cpus is None:
        server_cpus = [c for c in allowed if c not in load_cpus] or list(allowed)
    if load_cpus is None:
        load_cpus = [c for c in allowed if c not in server_cpus] or list(allowed)
    return server_cpus, load_cpus


def children(pid):
    """Direct children of pid (nginx's workers)."""
    kids = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    kids += [int(x) for x in f.read().split()]
            except OSError:
                pass
    except OSError:
        return []
    return kids


def proc_ticks(pid):
    """(utime, stime) in ticks of one process, all its threads; (0, 0) if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
    except OSError:
        return 0, 0
    fields = s[s.rindex(")") + 2:].split()
    return int(fields[11]), int(fields[12])


def tree_ticks(pid):
    """(utime, stime) of a process and its children, in ticks."""
    u, s = proc_ticks(pid)
    for k in children(pid):
        ku, ks = proc_ticks(k)
        u += ku
        s += ks
    return u, s


def cpu_busy_ticks(cpus):
    """Busy ticks (all but idle and iowait) of the given CPUs, summed, from /proc/stat."""
    want = {f"cpu{c}" for c in cpus}
    total = 0
    with open("/proc/stat") as f:
        for line in f:
            p = line.split()
            if p and p[0] in want:
                v = [int(x) for x in p[1:]]
                total += sum(v[:8]) - v[3] - v[4]
    return total


def cpus_allowed(pid):
    """The Cpus_allowed_list of every thread of pid and its children, e.g. '0' or '0,1'."""
    lists = set()
    for p in [pid] + children(pid):
        try:
            for t in os.listdir(f"/proc/{p}/task"):
                try:
                    with open(f"/proc/{p}/task/{t}/status") as f:
                        for line in f:
                            if line.startswith("Cpus_allowed_list:"):
                                lists.add(line.split(":", 1)[1].strip())
                except OSError:
                    pass
        except OSError:
            pass
    return ",".join(sorted(lists))


def free_port():
    """A TCP port on 127.0.0.1 nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(proc, sig=signal.SIGTERM, grace=5.0):
    """Stops a child we started: sig, then SIGKILL after grace seconds. Returns its status."""
    if proc.poll() is not None:
        return proc.returncode
    try:
        proc.send_signal(sig)
    except ProcessLookupError:
        pass
    try:
        return proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


def run_measured(argv, timeout, stdout_path=None, env=None, on_poll=None):
    """Runs argv to completion (our child, so wait4 gives its rusage). Returns (status, output
    text, user_s, sys_s, elapsed_s, max_rss_bytes); status None when it was killed for running
    past timeout; max_rss_bytes the peak VmHWM seen (None if never read). on_poll() is called
    every 100 ms while it runs (the host counters' gauges)."""
    t0 = time.monotonic()
    # a file, not a pipe: polling wait4 must not leave a full pipe blocking the child
    out = open(stdout_path, "w+") if stdout_path else tempfile.TemporaryFile("w+")
    try:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, text=True, env=env,
                                stdin=subprocess.DEVNULL)
    except OSError as e:
        raise RunError(f"cannot run {argv[0]}: {e}") from None
    killed = False
    deadline = t0 + timeout
    hwm = 0
    polls = 0
    try:
        while True:
            pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            # Peak RSS from the process's own VmHWM (every 100 ms: it only grows), not wait4's
            # ru_maxrss, which counts the forked Python image the child started from.
            if polls % 10 == 0:
                hwm = max(hwm, _vm_hwm(proc.pid))
                if on_poll:
                    on_poll()
            polls += 1
            if time.monotonic() > deadline:
                proc.kill()
                killed = True
                pid, status, ru = os.wait4(proc.pid, 0)
                break
            time.sleep(0.01)
    except BaseException:  # interrupted: take the child down with us
        proc.kill()
        os.wait4(proc.pid, 0)
        out.close()
        raise
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.monotonic() - t0
    out.seek(0)
    text = out.read()
    out.close()
    return ((None if killed else proc.returncode), text, ru.ru_utime, ru.ru_stime, elapsed,
            hwm or None)


def _vm_hwm(pid):
    """VmHWM (peak resident set) of a running process in bytes; 0 when unreadable. Under
    taskset the pid is the tool's own once taskset has exec'd it."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0

"""The progress line on stderr: what runs now and roughly how long is left."""

import sys
import time


class Progress:
    def __init__(self, suite, total_steps, estimate_s):
        self.suite = suite
        self.total = total_steps
        self.estimate = estimate_s  # seconds the whole run should take, by plan
        self.done_est = 0.0         # planned seconds of the steps finished
        self.t0 = time.monotonic()
        self.step = 0
        self.tty = sys.stderr.isatty()
        self.width = 0

    def left(self):
        """Seconds left: the plan's remainder, scaled by how the plan has held so far."""
        elapsed = time.monotonic() - self.t0
        rest = max(0.0, self.estimate - self.done_est)
        if self.done_est > 1:
            rest *= elapsed / self.done_est
        return rest

    def start(self, what, planned_s):
        self.step += 1
        left = self.left()
        line = (f"rbbench {self.suite}: [{self.step}/{self.total}] {what} "
                f"(~{_fmt(left)} left)")
        self._show(line)
        self.planned = planned_s

    def finish(self):
        self.done_est += self.planned

    def note(self, line):
        """A line that stays (a skipped peer, an error)."""
        self._clear()
        print(line, file=sys.stderr, flush=True)

    def _show(self, line):
        if self.tty:
            pad = max(0, self.width - len(line))
            sys.stderr.write("\r" + line + " " * pad)
            sys.stderr.flush()
            self.width = len(line)
        else:
            print(line, file=sys.stderr, flush=True)

    def _clear(self):
        if self.tty and self.width:
            sys.stderr.write("\r" + " " * self.width + "\r")
            self.width = 0

    def close(self):
        self._clear()
        total = time.monotonic() - self.t0
        print(f"rbbench {self.suite}: done in {_fmt(total)}", file=sys.stderr, flush=True)


def _fmt(s):
    s = int(round(s))
    return f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"

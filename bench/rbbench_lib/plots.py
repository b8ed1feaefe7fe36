"""gnuplot PNG plots of a result (Debian's gnuplot-nox): the latency percentile spectrum of each
configuration (log x in 1/(1-p), HdrHistogram style), throughput against connections, pipeline
depth, response size and server threads for the sweeps, throughput and CPU per request per
configuration, the parser variants side by side, and the host view (hostplots: connections and
p99 over time, the CPU split per request). Each plot keeps its .gp script and .dat
files beside the PNG, so it can be redrawn or restyled by hand."""

import os
import subprocess

from . import hostplots
from .common import which
from .loadgens import read_hgrm

AXES = (("connections", "connections", True), ("pipeline", "pipeline depth", True),
        ("size", "response body bytes", True), ("threads", "server threads", False))
SERIES_KEYS = ("case", "server", "loadgen", "parser", "threads", "connections", "pipeline", "size")


def terminal():
    out = subprocess.run(["gnuplot", "-e", "set terminal"], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, check=False).stdout
    return "pngcairo" if "pngcairo" in out else "png"


def _q(s):
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"') + '"'


class Plotter:
    def __init__(self, result, artefacts):
        self.r = result
        self.dir = artefacts
        self.made = []      # (title, png file name relative to the artefacts directory)
        self.problems = []
        self.term = None

    def make(self):
        if not which("gnuplot"):
            self.problems.append("gnuplot not installed (apt-get install gnuplot-nox): no plots")
            return self.made
        self.term = terminal()
        if self.r["kind"] == "parser":
            self.parser_bars()
            return self.made
        ok = [c for c in self.r["configurations"] if c["repetitions"]]
        for c in ok:
            self.spectrum(c)
        for key, label, logx in AXES:
            self.sweep(ok, key, label, logx)
        if len(ok) >= 2:
            self.per_config(ok)
        hostplots.timelines(self, ok)
        hostplots.cpu_split(self, ok)
        return self.made

    def _gnuplot(self, stem, title, body, size="900,560"):
        png = f"{stem}.png"
        gp = os.path.join(self.dir, f"{stem}.gp")
        head = (f"set terminal {self.term} size {size} noenhanced font \"sans,10\"\n"
                f"set output {_q(png)}\nset title {_q(title)}\nset grid\nset key outside right top\n")
        with open(gp, "w") as f:
            f.write(head + body)
        r = subprocess.run(["gnuplot", os.path.basename(gp)], cwd=self.dir, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, check=False)
        path = os.path.join(self.dir, png)
        if r.returncode != 0 or not os.path.exists(path) or os.path.getsize(path) == 0:
            self.problems.append(f"gnuplot failed on {stem}.gp: " +
                                 " | ".join(r.stdout.strip().splitlines()[-3:]))
            return
        self.made.append((title, png))

    # ---- latency spectrum -----------------------------------------------------------------

    def spectrum(self, c):
        files = []
        for rep in c["repetitions"]:
            if not rep.get("hgrm"):
                continue
            path = os.path.join(self.dir, rep["hgrm"])
            if not os.path.exists(path):
                continue
            pts = [(1 / (1 - p), us / 1000) for p, us in read_hgrm(path) if p < 1]
            if not pts:
                continue
            dat = rep["hgrm"].rsplit(".hgrm", 1)[0] + ".spectrum.dat"
            with open(os.path.join(self.dir, dat), "w") as f:
                f.write("# 1/(1-p)  latency_ms\n")
                for x, y in pts:
                    f.write(f"{x:.6g} {y:.6g}\n")
            files.append((rep["rep"], dat))
        if not files:
            return
        stem = "spectrum-" + _slug(c["id"])
        note = "" if c["summary"].get("latency_valid", True) else \
            " (wrk batch pipelining: not per-request latency)"
        body = ("set logscale x\nset xrange [1:*]\nset xlabel \"percentile\"\n"
                "set ylabel \"latency (ms)\"\nset yrange [0:*]\n"
                "set xtics (\"0%%\" 1, \"50%%\" 2, \"90%%\" 10, \"99%%\" 100, "
                "\"99.9%%\" 1000, \"99.99%%\" 10000, \"99.999%%\" 100000, "
                "\"99.9999%%\" 1000000)\n"
                "plot " + ", ".join(f"{_q(d)} using 1:2 with lines lw 2 title \"rep {n}\""
                                    for n, d in files) + "\n")
        self._gnuplot(stem, f"latency by percentile: {c['id']}{note}", body)

    # ---- sweeps ---------------------------------------------------------------------------

    def sweep(self, configs, key, label, logx):
        vals = {c["params"].get(key) for c in configs}
        if len(vals) < 2 or None in vals:
            return
        groups = {}
        for c in configs:
            if not c["summary"].get("requests_per_s"):
                continue
            rest = tuple((k, c["case"] if k == "case" else c["params"].get(k))
                         for k in SERIES_KEYS if k != key)
            groups.setdefault(rest, []).append(c)
        # keep only the fields that tell the series apart
        series = [(g, cs) for g, cs in groups.items() if len(cs) >= 2]
        if not series:
            return
        differ = [i for i in range(len(SERIES_KEYS) - 1)
                  if len({g[i][1] for g, _ in series}) > 1]
        plots = []
        stem = f"sweep-{key}"
        for n, (g, cs) in enumerate(series):
            cs.sort(key=lambda c: c["params"][key])
            dat = f"{stem}.{n}.dat"
            with open(os.path.join(self.dir, dat), "w") as f:
                f.write(f"# {key} req/s_median min max\n")
                for c in cs:
                    s = c["summary"]["requests_per_s"]
                    f.write(f"{c['params'][key]} {s['median']:.6g} {s['min']:.6g} {s['max']:.6g}\n")
            name = " ".join(str(g[i][1]) if g[i][0] == "case" else f"{g[i][0]}={g[i][1]}"
                            for i in differ) or "requests/s"
            plots.append(f"{_q(dat)} using 1:2:3:4 with yerrorlines lw 2 title {_q(name)}")
        use_log = logx and all(v > 0 for v in vals)
        body = (("set logscale x 2\n" if use_log else "") +
                f"set xlabel {_q(label)}\nset ylabel \"requests/s (median, min-max)\"\n"
                "set yrange [0:*]\nset format y \"%.1s%c\"\n"
                "plot " + ", ".join(plots) + "\n")
        self._gnuplot(stem, f"{self.r['suite']}: throughput against {label}", body)

    # ---- per configuration ------------------------------------------------------------------

    def per_config(self, configs):
        dat = "per-config.dat"
        with open(os.path.join(self.dir, dat), "w") as f:
            f.write("# id rps_median rps_min rps_max server_us load_us\n")
            for c in configs:
                s = c["summary"]
                rps = s["requests_per_s"] or {"median": 0, "min": 0, "max": 0}
                sv = (s["server_cpu_us_per_request"] or {}).get("median", 0) or 0
                lv = (s["load_cpu_us_per_request"] or {}).get("median", 0) or 0
                label = c["id"] + (" [ERROR]" if c["status"] == "error" else "")
                f.write(f"{_q(label)} {rps['median']:.6g} {rps['min']:.6g} {rps['max']:.6g} "
                        f"{sv:.6g} {lv:.6g}\n")
        width = max(900, 60 * len(configs) + 300)
        common = ("set style data histograms\nset style fill solid 0.8 border -1\n"
                  "set xtics rotate by -35 left\nset yrange [0:*]\nset bmargin 10\n")
        self._gnuplot("throughput", f"{self.r['suite']}: requests/s per configuration",
                      common + "set style histogram errorbars gap 1 lw 1\n"
                      "set ylabel \"requests/s (median, min-max)\"\nset format y \"%.1s%c\"\n"
                      f"plot {_q(dat)} using 2:3:4:xtic(1) title \"requests/s\"\n",
                      size=f"{width},600")
        self._gnuplot("cpu-per-request", f"{self.r['suite']}: CPU time per request (median)",
                      common + "set style histogram clustered gap 1\n"
                      "set ylabel \"CPU microseconds per request\"\n"
                      f"plot {_q(dat)} using 5:xtic(1) title \"server\", "
                      f"'' using 6 title \"load generator\"\n", size=f"{width},600")

    # ---- parser ------------------------------------------------------------------------------

    def parser_bars(self):
        cs = self.r["configurations"]
        variants = []
        messages = []
        for c in cs:
            v, m = c["params"]["variant"], c["params"]["message"]
            if v not in variants:
                variants.append(v)
            if m not in messages:
                messages.append(m)
        by = {(c["params"]["variant"], c["params"]["message"]): c for c in cs}
        dat = "parser.dat"
        with open(os.path.join(self.dir, dat), "w") as f:
            f.write("# message " + " ".join(f"{v}_gbps {v}_min {v}_max" for v in variants) + "\n")
            for m in messages:
                row = [_q(m)]
                for v in variants:
                    c = by.get((v, m))
                    if c:
                        s = c["summary"]["gb_per_s"]
                        row += [f"{s['median']:.6g}", f"{s['min']:.6g}", f"{s['max']:.6g}"]
                    else:
                        row += ["NaN", "NaN", "NaN"]
                f.write(" ".join(row) + "\n")
        plots = [f"{_q(dat)} using {2 + 3 * i}:{3 + 3 * i}:{4 + 3 * i}"
                 f"{':xtic(1)' if i == 0 else ''} title {_q(v)}" for i, v in enumerate(variants)]
        body = ("set style data histograms\nset style histogram errorbars gap 1 lw 1\n"
                "set style fill solid 0.8 border -1\nset yrange [0:*]\n"
                "set ylabel \"GB/s (median, min-max over repetitions)\"\n"
                "plot " + ", ".join(plots) + "\n")
        self._gnuplot("parser-variants", f"{self.r['suite']}: parser variants by message", body,
                      size="1000,560")


def _slug(s):
    return "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in s.replace("=", ""))

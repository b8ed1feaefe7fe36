"""Plots of the host view, drawn by plots.Plotter: connections opened per second and p99
latency over time (rbload's per-second `series`, first repetition of each configuration),
and the CPU split per request (stacked bars: server and load CPUs × user, system, softirq)."""

import json
import os


def _series(plotter, c):
    """The first repetition's rbload per-second series, or []."""
    for rep in c["repetitions"]:
        raw = rep.get("raw")
        if not raw:
            continue
        try:
            with open(os.path.join(plotter.dir, raw)) as f:
                return json.load(f).get("series") or []
        except (OSError, ValueError):
            return []
    return []


def _q(s):
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"') + '"'


def timelines(plotter, configs):
    conn_lines, lat_lines = [], []
    fallback = False
    last = 1
    for n, c in enumerate(configs):
        series = _series(plotter, c)
        if not series:
            continue
        has_conn = any("connections" in p for p in series)
        last = max([last] + [p.get("t") or 0 for p in series])
        closes = "--close" in (c["params"].get("args") or [])
        dat = f"timeline.{n}.dat"
        with open(os.path.join(plotter.dir, dat), "w") as f:
            f.write("# t connections_opened requests p50_us p99_us\n")
            for p in series:
                conns = p.get("connections")
                if conns is None and closes:
                    conns = p.get("requests")  # --close: one connection per request
                f.write(f"{p.get('t')} {conns if conns is not None else 'NaN'} "
                        f"{p.get('requests', 'NaN')} {p.get('p50_us', 'NaN')} "
                        f"{p.get('p99_us', 'NaN')}\n")
        if has_conn or closes:
            fallback |= not has_conn
            conn_lines.append(f"{_q(dat)} using 1:2 with linespoints lw 2 title {_q(c['id'])}")
        lat_lines.append(f"{_q(dat)} using 1:($5/1000) with linespoints lw 2 title {_q(c['id'])}")
    height = "700" if len(configs) > 6 else "560"
    xaxis = "set xrange [0:*]\n" + ("set xtics 1\n" if last <= 20 else "")
    if conn_lines:
        note = " (--close runs: requests, one connection each)" if fallback else ""
        plotter._gnuplot("timeline-connections",
                         f"{plotter.r['suite']}: connections opened per second{note}",
                         xaxis + "set xlabel \"second of the measured window\"\n"
                         "set ylabel \"connections opened\"\nset yrange [0:*]\n"
                         "set format y \"%.1s%c\"\nplot " + ", ".join(conn_lines) + "\n",
                         size=f"1000,{height}")
    if lat_lines:
        plotter._gnuplot("timeline-latency", f"{plotter.r['suite']}: p99 latency per second",
                         xaxis + "set xlabel \"second of the measured window\"\n"
                         "set ylabel \"p99 latency (ms, log)\"\nset logscale y\n"
                         "plot " + ", ".join(lat_lines) + "\n", size=f"1000,{height}")


def cpu_split(plotter, configs):
    rows = []
    for c in configs:
        h = c["summary"].get("host")
        if not h:
            continue
        for side, label in (("server", "server"), ("load", "load gen")):
            vals = [(h.get(f"{side}_{f}_us_per_request") or {}).get("median")
                    for f in ("user", "system", "softirq")]
            if any(v is None for v in vals):
                continue
            rows.append((f"{c['id']} · {label}", vals))
    if not rows:
        return
    dat = "cpu-split.dat"
    with open(os.path.join(plotter.dir, dat), "w") as f:
        f.write("# configuration·side user_us system_us softirq_us (per request, median)\n")
        for label, (u, s, si) in rows:
            f.write(f"{_q(label)} {u:.6g} {s:.6g} {si:.6g}\n")
    width = max(900, 40 * len(rows) + 300)
    plotter._gnuplot("cpu-split", f"{plotter.r['suite']}: CPU per request by kind "
                     "(pinned CPU sets, /proc/stat)",
                     "set style data histograms\nset style histogram rowstacked\n"
                     "set style fill solid 0.8 border -1\nset boxwidth 0.7\n"
                     "set xtics rotate by -35 left\nset bmargin 12\nset yrange [0:*]\n"
                     "set ylabel \"CPU microseconds per request\"\n"
                     f"plot {_q(dat)} using 2:xtic(1) title \"user\", '' using 3 title \"system\", "
                     "'' using 4 title \"softirq\"\n", size=f"{width},620")

#!/usr/bin/env python3
"""Draws the figures of a `mechanics reproduce` output folder.

    plot_gallery.py DIR [NAME]

For each DIR/<name>.plot.json (or only NAME's) it reads the traces the spec
names (CSV written by mech_trace_save: "# key=value" lines, a header, rows)
and writes DIR/<name>.png: one panel per spec panel, theory as lines,
experiment as markers (error bars from "<column>_se" when present); the
k-th theory and the k-th experiment curve of a panel share a colour. The
result DIR/<name>.json (if present) adds the checks as a footer.

Exit codes: 0 drawn, 2 bad usage or input, 3 matplotlib missing.
"""
import csv
import glob
import json
import math
import os
import sys

MAX_MARKERS = 60  # markers drawn per long curve (the CSV keeps all points)
THIN_ABOVE = 300  # curves with more points are time series: thin their markers
FOOTER_LINE = 0.13  # inches per footer line (7 pt monospace)


def fail(message, code=2):
    print("plot_gallery: " + message, file=sys.stderr)
    sys.exit(code)


def read_trace(path):
    """Columns of a trace CSV as {name: [float]}."""
    with open(path, newline="") as f:
        lines = [line for line in f if not line.startswith("#")]
    rows = list(csv.reader(lines))
    if not rows:
        fail("%s: no header" % path)
    header, body = rows[0], rows[1:]
    cols = {name: [] for name in header}
    for row in body:
        for name, value in zip(header, row):
            cols[name].append(float(value))
    return cols


def thin(xs, ys, es):
    if len(xs) <= THIN_ABOVE:
        return xs, ys, es
    step = math.ceil(len(xs) / MAX_MARKERS)
    return xs[::step], ys[::step], es[::step] if es else None


def finite_pairs(xs, ys, es):
    keep = [i for i in range(len(xs)) if math.isfinite(xs[i]) and math.isfinite(ys[i])]
    return ([xs[i] for i in keep], [ys[i] for i in keep],
            [es[i] for i in keep] if es else None)


def footer(result_path):
    if not os.path.exists(result_path):
        return ""
    with open(result_path) as f:
        res = json.load(f)
    parts = []
    for c in res.get("checks", []):
        value = c["value"]
        parts.append("%s %s: %.3g %s %.3g" % (
            "PASS" if c["pass"] else "FAIL", c["metric"],
            value if value is not None else float("nan"), c["comparison"], c["tolerance"]))
    mode = "quick" if res.get("quick") else "full"
    head = "%s (%s mode, seed %s, %.1f s)" % (res.get("reference", ""), mode,
                                              res.get("seed"), res.get("seconds") or 0)
    return "\n".join([head] + parts)


def draw(plt, folder, spec_path):
    with open(spec_path) as f:
        spec = json.load(f)
    name = spec["name"]
    panels = spec["panels"]
    ncols = 2 if len(panels) == 4 else min(3, len(panels))
    nrows = math.ceil(len(panels) / ncols)
    text = footer(os.path.join(folder, name + ".json"))
    n_lines = text.count("\n") + 1 if text else 0
    fig, axes = plt.subplots(nrows, ncols, figsize=(max(5.2 * ncols, 7.5), 4.2 * nrows + FOOTER_LINE * n_lines + 0.1),
                             squeeze=False)
    traces = {}
    for ax, panel in zip(axes.flat, panels):
        counts = {"theory": 0, "experiment": 0}
        for s in panel["series"]:
            path = os.path.join(folder, s["file"])
            if path not in traces:
                if not os.path.exists(path):
                    fail("%s: missing data file %s" % (spec_path, path))
                traces[path] = read_trace(path)
            cols = traces[path]
            for key in ("x", "y"):
                if s[key] not in cols:
                    fail("%s: %s has no column %r" % (spec_path, s["file"], s[key]))
            kind = s["kind"]
            colour = "C%d" % (counts.get(kind, 0) % 10)
            counts[kind] = counts.get(kind, 0) + 1
            xs, ys = cols[s["x"]], cols[s["y"]]
            es = cols.get(s["y"] + "_se")
            xs, ys, es = finite_pairs(xs, ys, es)
            if kind == "theory":
                ax.plot(xs, ys, "-", color=colour, lw=1.6, label=s["label"])
            else:
                xs, ys, es = thin(xs, ys, es)
                ax.errorbar(xs, ys, yerr=es, fmt="o", ms=3.5, mfc="none", color=colour,
                            lw=0.8, capsize=1.5, label=s["label"])
        ax.set_title(panel["title"], fontsize=10)
        ax.set_xlabel(panel["xlabel"])
        ax.set_ylabel(panel["ylabel"])
        ax.set_xscale(panel["xscale"])
        ax.set_yscale(panel["yscale"])
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7, loc="best")
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    fig.suptitle("%s: %s" % (name, spec.get("summary", "")), fontsize=11)
    if text:
        fig.text(0.01, 0.005, text, fontsize=7, family="monospace", va="bottom")
    bottom = (FOOTER_LINE * n_lines + 0.05) / fig.get_size_inches()[1] if text else 0.02
    fig.tight_layout(rect=(0, bottom, 1, 0.95))
    out = os.path.join(folder, name + ".png")
    fig.savefig(out, dpi=110)
    plt.close(fig)
    print("plot_gallery: wrote " + out, file=sys.stderr)


def main(argv):
    if len(argv) not in (2, 3):
        fail("usage: plot_gallery.py DIR [NAME]")
    folder = argv[1]
    if len(argv) == 3:
        specs = [os.path.join(folder, argv[2] + ".plot.json")]
        if not os.path.exists(specs[0]):
            fail("no figure spec %s" % specs[0])
    else:
        specs = sorted(glob.glob(os.path.join(folder, "*.plot.json")))
        if not specs:
            fail("no *.plot.json in %s (run 'mechanics reproduce ... --out %s' first)"
                 % (folder, folder))
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        fail("matplotlib is not available (%s); on Debian: apt-get install python3-matplotlib"
             % e, code=3)
    for spec in specs:
        draw(plt, folder, spec)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

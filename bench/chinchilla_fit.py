#!/usr/bin/env python3
"""Times the full Chinchilla grid fit (4500 L-BFGS starts, Huber loss on
log L, delta 1e-3, five highest-loss runs dropped) in libmechanics against
scipy.optimize.minimize(method='L-BFGS-B') on the same objective and grid.

    /usr/bin/python3 bench/chinchilla_fit.py [--stride S] [--numeric-grad]

--stride S runs scipy on every S-th grid start only and scales its time by
S (the C fit always runs the full grid). Times are reported as CPU time of
this process (robust to other load on the machine) and as wall time. --numeric-grad lets scipy
difference the objective itself, as the published replication did;
without it scipy gets the analytic gradient too. The library is
build-release/lib/libmechanics.so.0 unless MECHANICS_LIBRARY is set."""
import argparse
import csv
import itertools
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("MECHANICS_LIBRARY",
                      os.path.join(ROOT, "build-release", "lib", "libmechanics.so.0"))
sys.path.insert(0, os.path.join(ROOT, "bindings", "python"))

import numpy as np  # noqa: E402
from scipy.optimize import minimize  # noqa: E402

import mechanics  # noqa: E402

DATA = os.path.join(ROOT, "tests", "data", "chinchilla_svg_extracted.csv")
DELTA = 1e-3


def load():
    with open(DATA, newline="") as f:
        rows = list(csv.DictReader(f))
    n = np.array([float(r["Model Size"]) for r in rows])
    c = np.array([float(r["Training FLOP"]) for r in rows])
    loss = np.array([float(r["loss"]) for r in rows])
    return n, c / (6 * n), loss


def scipy_objective(log_n, log_d, log_loss, with_grad):
    def f(p):
        a, b, e, alpha, beta = p
        t = np.stack([a - alpha * log_n, b - beta * log_d, np.full_like(log_n, e)])
        top = t.max(axis=0)
        w = np.exp(t - top)
        s = w.sum(axis=0)
        r = top + np.log(s) - log_loss
        value = np.where(np.abs(r) <= DELTA, 0.5 * r * r, DELTA * (np.abs(r) - 0.5 * DELTA)).sum()
        if not with_grad:
            return value
        h = np.clip(r, -DELTA, DELTA) / s
        g = np.array([(h * w[0]).sum(), (h * w[1]).sum(), (h * w[2]).sum(),
                      -(h * w[0] * log_n).sum(), -(h * w[1] * log_d).sum()])
        return value, g
    return f


def grid():
    ab = np.arange(0, 30, 5)
    ex = np.arange(0, 2.5, 0.5)
    e = np.arange(-1, 1.5, 0.5)
    for alpha, beta, e0, a, b in itertools.product(ex, ex, e, ab, ab):
        yield [a, b, e0, alpha, beta]


def describe(name, E, A, B, alpha, beta):
    print(f"{name:>22}: E {E:.4f}  A {A:7.1f}  B {B:7.1f}  alpha {alpha:.4f}  beta {beta:.4f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stride", type=int, default=1)
    ap.add_argument("--numeric-grad", action="store_true")
    args = ap.parse_args()

    n, d, loss = load()
    t0, c0 = time.perf_counter(), time.process_time()
    fit = mechanics.laws.fit_chinchilla(n, d, loss, drop_highest=5)
    t_c, c_c = time.perf_counter() - t0, time.process_time() - c0
    describe("libmechanics", *(fit[k] for k in ("E", "A", "B", "alpha", "beta")))

    keep = loss < np.sort(loss)[-5]
    f = scipy_objective(np.log(n[keep]), np.log(d[keep]), np.log(loss[keep]),
                        not args.numeric_grad)
    starts = list(grid())[::args.stride]
    best = None
    t0, c0 = time.perf_counter(), time.process_time()
    for p0 in starts:
        r = minimize(f, p0, jac=not args.numeric_grad, method="L-BFGS-B")
        if best is None or r.fun < best.fun:
            best = r
    scale = 4500 / len(starts)
    t_py, c_py = (time.perf_counter() - t0) * scale, (time.process_time() - c0) * scale
    a, b, e, alpha, beta = best.x
    describe("scipy L-BFGS-B", np.exp(e), np.exp(a), np.exp(b), alpha, beta)

    grad = "finite differences" if args.numeric_grad else "analytic gradient"
    scaled = f" ({len(starts)} starts, scaled to 4500)" if args.stride > 1 else ""
    print(f"libmechanics: {c_c:.3f} s CPU ({t_c:.3f} s wall) for 4500 starts")
    print(f"scipy L-BFGS-B, {grad}: {c_py:.1f} s CPU ({t_py:.1f} s wall){scaled}")
    print(f"ratio (CPU time): {100 * c_c / c_py:.2f}% of scipy's time ({c_py / c_c:.0f}x faster)")
    print(f"ratio (wall time): {100 * t_c / t_py:.2f}%")


if __name__ == "__main__":
    main()

import csv
import math
import os

import pytest

import mechanics
from conftest import needs

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "..", "tests", "data",
                    "chinchilla_svg_extracted.csv")


def runs():
    with open(DATA, newline="") as f:
        rows = list(csv.DictReader(f))
    n = [float(r["Model Size"]) for r in rows]
    d = [float(r["Training FLOP"]) / (6.0 * float(r["Model Size"])) for r in rows]
    return n, d, [float(r["loss"]) for r in rows]


@needs("mech_fit_chinchilla")
def test_real_data_lands_on_the_published_replication():
    n, d, loss = runs()
    fit = mechanics.laws.fit_chinchilla(n, d, loss, drop_highest=5, bootstrap=8)
    # Besiroglu et al. 2024: E 1.82, alpha 0.348, beta 0.366 (about 1%),
    # A 482 +- 125, B 2085 +- 1293 (one standard error)
    assert abs(fit["E"] / 1.82 - 1) < 0.01
    assert abs(fit["alpha"] / 0.348 - 1) < 0.01
    assert abs(fit["beta"] / 0.366 - 1) < 0.01
    assert abs(fit["A"] - 482) < 125 and abs(fit["B"] - 2085) < 1293
    assert fit["n_used"] == 240 and fit["n_starts"] == 4500 and fit["bootstrap"] == 8
    for p in ("E", "A", "B", "alpha", "beta"):
        assert fit[f"se_{p}"] > 0 and fit[f"lo_{p}"] <= fit[f"hi_{p}"]


@needs("mech_fit_chinchilla", "mech_chinchilla_compute_optimal", "mech_chinchilla_loss")
def test_compute_optimal_minimizes_the_loss_at_fixed_compute():
    fit = {"E": 1.7, "A": 400.0, "B": 1800.0, "alpha": 0.34, "beta": 0.28}
    c = 5.76e23
    n_opt, d_opt = mechanics.laws.compute_optimal(fit, c)
    assert math.isclose(6 * n_opt * d_opt, c, rel_tol=1e-12)

    def at(log_n):
        n = math.exp(log_n)
        return mechanics.laws.chinchilla_loss(fit, n, c / (6 * n))

    # golden section over log N; the loss is flat at the optimum, so
    # comparisons resolve N to ~1e-7 relative: check 1e-4
    lo, hi, r = 0.0, math.log(c / 6), (math.sqrt(5) - 1) / 2
    while hi - lo > 1e-9:
        a, b = hi - r * (hi - lo), lo + r * (hi - lo)
        lo, hi = (lo, b) if at(a) < at(b) else (a, hi)
    assert math.isclose(math.exp((lo + hi) / 2), n_opt, rel_tol=1e-4)
    assert d_opt / n_opt > 1  # tokens per parameter


@needs("mech_varpro_chinchilla", "mech_fit_chinchilla_from")
def test_varpro_recovers_a_noiseless_law_and_seeds_the_huber_fit():
    law = {"E": 1.7, "A": 400.0, "B": 1800.0, "alpha": 0.34, "beta": 0.28}
    n = [7e7 * 3 ** (i // 6) for i in range(30)]
    d = [2e9 * 2.5 ** (i % 6) for i in range(30)]
    loss = [mechanics.laws.chinchilla_loss(law, a, b) for a, b in zip(n, d)]
    vp = mechanics.laws.varpro_chinchilla(n, d, loss)
    for k, v in law.items():  # noiseless: limited by the 1e-10 gradient test
        assert math.isclose(vp[k], v, rel_tol=1e-5)
    assert "se_E" not in vp
    huber = mechanics.laws.fit_chinchilla_from(n, d, loss, vp)
    assert huber["n_starts"] == 1 and math.isclose(huber["alpha"], 0.34, rel_tol=1e-4)


@needs("mech_fit_power_law", "mech_fit_broken_power_law")
def test_power_laws_recover_exact_parameters():
    x = [10 ** (3 * i / 29) for i in range(30)]
    fit = mechanics.laws.fit_power_law(x, [0.5 + 3 * v ** -0.7 for v in x])
    assert math.isclose(fit["alpha"], 0.7, rel_tol=1e-9)
    assert math.isclose(fit["E"], 0.5, rel_tol=1e-9)
    assert math.isclose(fit["A"], 3.0, rel_tol=1e-9)
    fit = mechanics.laws.fit_power_law(x, [2 * v ** -1.3 for v in x], offset=False)
    assert fit["E"] == 0 and math.isclose(fit["alpha"], 1.3, rel_tol=1e-9)
    xb = 123.4
    x = [10 ** (4 * i / 39) for i in range(40)]
    y = [5 * v ** -0.3 if v <= xb else 5 * xb ** 0.8 * v ** -1.1 for v in x]
    fit = mechanics.laws.fit_broken_power_law(x, y)
    assert math.isclose(fit["alpha1"], 0.3, rel_tol=1e-8)
    assert math.isclose(fit["alpha2"], 1.1, rel_tol=1e-8)
    assert math.isclose(fit["x_break"], xb, rel_tol=1e-6)


@needs("mech_fit_chinchilla", "mech_chinchilla_compute_optimal")
def test_bad_input_raises():
    n, d, loss = runs()
    with pytest.raises(mechanics.InvalidArgumentError):
        mechanics.laws.fit_chinchilla(n[:4], d[:4], loss[:4])
    with pytest.raises(mechanics.RangeError):
        mechanics.laws.fit_chinchilla(n, d, loss, delta=0.0)
    with pytest.raises(mechanics.ShapeError):
        mechanics.laws.fit_chinchilla(n, d[:-1], loss)
    with pytest.raises(mechanics.NonFiniteError):
        mechanics.laws.fit_chinchilla([math.nan] + n[1:], d, loss)
    with pytest.raises(mechanics.RangeError):
        mechanics.laws.fit_chinchilla([-1.0] + n[1:], d, loss)
    law = {"E": 1.7, "A": 400.0, "B": 1800.0, "alpha": 0.34, "beta": 0.28}
    with pytest.raises(mechanics.RangeError):
        mechanics.laws.compute_optimal(law, -1.0)
    with pytest.raises(KeyError):
        mechanics.laws.compute_optimal({"E": 1.0}, 1e21)

"""mechanics.metrics through ctypes, against numpy written from the formulas."""
import math

import pytest

import mechanics
from mechanics import metrics
from conftest import needs

np = pytest.importorskip("numpy")

# Tolerance: each compared quantity is a sum of O(n p) products of O(1)
# entries computed in a different order by numpy and by the library.
TOL = 1e-10


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


@needs("mech_cka")
def test_cka_against_numpy():
    x, y = rand(20, 4, seed=1), rand(20, 3, seed=2)
    xc, yc = x - x.mean(0), y - y.mean(0)
    want = np.linalg.norm(yc.T @ xc) ** 2 / (np.linalg.norm(xc.T @ xc) * np.linalg.norm(yc.T @ yc))
    assert abs(metrics.cka(x, y) - want) < TOL
    assert abs(metrics.cka(x, x, estimator="unbiased") - 1.0) < 1e-12
    with pytest.raises(mechanics.RangeError):
        metrics.cka(x[:3], y[:3], estimator="unbiased")
    with pytest.raises(mechanics.ShapeError):
        metrics.cka(x, y[:5])


@needs("mech_cka_permutation_test")
def test_permutation_p_value():
    x = rand(15, 3, seed=3)
    with mechanics.Rng(seed=5) as rng:
        value, p = metrics.cka_permutation_test(x, x, rng, 19)
    assert abs(value - 1.0) < 1e-12 and p == pytest.approx(1 / 20)


@needs("mech_matrix_spectrum")
def test_spectrum_and_power_law():
    a = rand(9, 6, seed=4)
    res, s = metrics.matrix_spectrum(a)
    want = np.linalg.svd(a, compute_uv=False)
    assert np.allclose(np.asarray(s), want, atol=TOL)
    lam = want ** 2
    assert res["stable_rank"] == pytest.approx(lam.sum() / lam[0], abs=TOL)
    assert res["participation_ratio"] == pytest.approx(lam.sum() ** 2 / (lam ** 2).sum(), abs=TOL)
    pr, er = metrics.effective_rank(lam)
    assert pr == pytest.approx(res["participation_ratio"], abs=TOL)
    fit = metrics.power_law_fit(np.arange(1.0, 31.0), min_tail=30)
    assert fit["alpha"] == pytest.approx(1 + 30 / np.log(np.arange(1.0, 31.0)).sum(), abs=TOL)
    fit, eig = metrics.weight_power_law(a, min_tail=3)
    assert np.allclose(np.asarray(eig), lam, atol=TOL) and fit["n_tail"] >= 3


@needs("mech_neural_collapse")
def test_neural_collapse_etf():
    c, p = 3, 4
    m = np.zeros((c, p))
    m[:, :c] = math.sqrt(c / (c - 1)) * (np.eye(c) - 1 / c)
    labels = np.arange(30, dtype=np.int64) % c
    h = m[labels] + 1e-7 * rand(30, p, seed=6)
    res = metrics.neural_collapse(h, labels, c, w=m)
    assert res["nc1"] < 1e-10 and res["nc3"] < 1e-10 and res["nc4"] == 0.0
    assert res["cos_mean"] == pytest.approx(-0.5, abs=1e-6)
    with pytest.raises(mechanics.RangeError):
        metrics.neural_collapse(h, labels, c + 1)


@needs("mech_nfa_correlation")
def test_nfa_and_kernels():
    w1 = rand(5, 4, seed=7)
    assert metrics.nfa_correlation(w1, 3.0 * w1.T @ w1)[0] == pytest.approx(1.0, abs=1e-12)
    g = rand(10, 4, seed=8)
    assert np.allclose(np.asarray(metrics.agop(g)), g.T @ g / 10, atol=TOL)
    y = rand(6, seed=9)
    assert metrics.kernel_target_alignment(np.outer(y, y), y) == pytest.approx(1.0, abs=1e-12)
    k = rand(6, 6, seed=10)
    assert metrics.kernel_distance(k, 2 * k) == pytest.approx(0.0, abs=1e-14)


@needs("mech_information_plane_binned")
def test_information_plane():
    t = np.arange(12.0).reshape(12, 1)
    labels = np.arange(12, dtype=np.int64) % 3
    res = metrics.information_plane_binned(t, labels, 3, n_bins=12)
    assert res["i_xt"] == pytest.approx(math.log(12)) and res["i_ty"] == pytest.approx(math.log(3))
    res = metrics.information_plane_kde(t, labels, 3, noise_var=1e-6)
    assert res["i_xt"] == pytest.approx(math.log(12)) and res["i_ty"] == pytest.approx(math.log(3))

import math

import numpy as np
import pytest
import scipy.linalg

import mechanics
from mechanics import theory


def relu_kernels_numpy(x1, x2, depth, sw2, sb2):
    """Arc-cosine recursion written out in numpy (Cho & Saul 2009)."""
    d = x1.shape[1]
    k12 = sw2 * x1 @ x2.T / d + sb2
    k11 = sw2 * (x1 * x1).sum(1) / d + sb2
    k22 = sw2 * (x2 * x2).sum(1) / d + sb2
    theta = k12.copy()
    for _ in range(depth):
        norm = np.sqrt(np.outer(k11, k22))
        ang = np.arccos(np.clip(k12 / norm, -1, 1))
        e_pp = norm * (np.sin(ang) + (math.pi - ang) * np.cos(ang)) / (2 * math.pi)
        e_dd = (math.pi - ang) / (2 * math.pi)
        theta = sw2 * e_pp + sb2 + sw2 * theta * e_dd
        k12 = sw2 * e_pp + sb2
        k11 = sw2 * k11 / 2 + sb2  # E[relu(u)^2] = k/2
        k22 = sw2 * k22 / 2 + sb2
    return k12, theta


def test_nngp_ntk_relu_matches_arc_cosine_recursion():
    rng = np.random.default_rng(0)
    x1, x2 = rng.standard_normal((5, 3)), rng.standard_normal((4, 3))
    for depth, sb2 in [(0, 0.0), (1, 0.0), (2, 0.3), (3, 0.1)]:
        nngp, ntk = theory.nngp_ntk(x1, x2, depth=depth, sigma_w2=2.0, sigma_b2=sb2)
        k_ref, t_ref = relu_kernels_numpy(x1, x2, depth, 2.0, sb2)
        np.testing.assert_allclose(np.asarray(nngp), k_ref, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(np.asarray(ntk), t_ref, rtol=1e-12, atol=1e-14)
    # x2 = None is x2 = x1 (symmetric)
    nngp, ntk = theory.nngp_ntk(x1)
    k_ref, t_ref = relu_kernels_numpy(x1, x1, 1, 2.0, 0.0)
    np.testing.assert_allclose(np.asarray(ntk), t_ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(np.asarray(nngp), np.asarray(nngp).T, atol=0)


def test_nngp_erf_closed_form_and_shape_errors():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 2))
    nngp, _ = theory.nngp_ntk(x, depth=1, activation="erf", sigma_w2=1.5, sigma_b2=0.2)
    k = 1.5 * x @ x.T / 2 + 0.2
    d = np.diag(k)
    ref = 1.5 * (2 / math.pi) * np.arcsin(2 * k / np.sqrt(np.outer(1 + 2 * d, 1 + 2 * d))) + 0.2
    np.testing.assert_allclose(np.asarray(nngp), ref, rtol=1e-12)
    with pytest.raises(mechanics.ShapeError):
        theory.nngp_ntk(x, rng.standard_normal((3, 3)))
    with pytest.raises(ValueError):
        theory.nngp_ntk(x, activation="nope")
    with pytest.raises(mechanics.RangeError):
        theory.nngp_ntk(x, sigma_w2=-1.0)


def test_gaussian_expectation_against_gauss_hermite():
    # 2-D Gauss-Hermite (probabilists') over u = a z1, v = b (r z1 + s z2);
    # tanh's poles at i pi/2 slow the convergence: 80 nodes are off by 5e-10
    # relative, 250 agree with the library to ~1e-14
    z, w = np.polynomial.hermite_e.hermegauss(250)
    w = w / w.sum()
    k11, k12, k22 = 1.3, 0.4, 0.8
    a, b = math.sqrt(k11), math.sqrt(k22)
    r = k12 / (a * b)
    u = a * z[:, None] + 0 * z[None, :]
    v = b * (r * z[:, None] + math.sqrt(1 - r * r) * z[None, :])
    ww = np.outer(w, w)
    ref = (ww * np.tanh(u) * np.tanh(v)).sum()
    got = theory.gaussian_expectation(k11, k12, k22, activation="tanh")
    assert got == pytest.approx(ref, rel=1e-10)
    ref_d = (ww / np.cosh(u) ** 2 / np.cosh(v) ** 2).sum()
    got_d = theory.gaussian_expectation(k11, k12, k22, activation="tanh", which="dphi_dphi")
    assert got_d == pytest.approx(ref_d, rel=1e-10)
    # relu closed form (arc-cosine) against the quadrature path
    closed = theory.gaussian_expectation(k11, k12, k22, "relu")
    quad = theory.gaussian_expectation(k11, k12, k22, "relu", nodes=64)
    assert closed == pytest.approx(quad, rel=1e-12)
    with pytest.raises(mechanics.RangeError):
        theory.gaussian_expectation(1.0, 2.0, 1.0)  # not a covariance


def test_linearized_against_expm_and_matrix_power():
    rng = np.random.default_rng(2)
    n, m = 6, 3
    x, xt = rng.standard_normal((n, 4)), rng.standard_normal((m, 4))
    _, th = theory.nngp_ntk(x, sigma_b2=0.1)
    _, tht = theory.nngp_ntk(xt, x, sigma_b2=0.1)
    th, tht = np.asarray(th), np.asarray(tht)
    y, f0, f0t = rng.standard_normal(n), rng.standard_normal(n), rng.standard_normal(m)
    lin = theory.linearized(th, tht)
    for t in [0.0, 0.7, 5.0]:
        e = scipy.linalg.expm(-th * t / n)
        ft, fs = lin.at_time(t, f0, y, f0t)
        np.testing.assert_allclose(np.asarray(ft), y + e @ (f0 - y), atol=1e-11)
        ref_s = f0t - tht @ np.linalg.solve(th, (np.eye(n) - e) @ (f0 - y))
        np.testing.assert_allclose(np.asarray(fs), ref_s, atol=1e-9)
    eta, k = 0.5 * n / np.linalg.eigvalsh(th).max(), 7
    p = np.linalg.matrix_power(np.eye(n) - eta * th / n, k)
    ft, fs = lin.at_steps(k, eta, f0, y, f0t)
    np.testing.assert_allclose(np.asarray(ft), y + p @ (f0 - y), atol=1e-11)
    ref_s = f0t - tht @ np.linalg.solve(th, (np.eye(n) - p) @ (f0 - y))
    np.testing.assert_allclose(np.asarray(fs), ref_s, atol=1e-9)
    # several outputs keep their layout; f0 None means zero outputs
    y2 = rng.standard_normal((n, 2))
    ft, fs = lin.at_time(1.0, None, y2)
    e = scipy.linalg.expm(-th / n)
    assert np.asarray(ft).shape == (n, 2) and np.asarray(fs).shape == (m, 2)
    np.testing.assert_allclose(np.asarray(ft), y2 - e @ y2, atol=1e-11)
    np.testing.assert_allclose(np.asarray(lin.eigenvalues()), np.linalg.eigvalsh(th),
                               rtol=1e-10)
    # train only
    ft, fs = theory.linearized(th).at_time(2.0, f0, y)
    assert fs is None
    with pytest.raises(mechanics.RangeError):
        lin.at_time(-1.0, f0, y)
    with pytest.raises(mechanics.ShapeError):
        lin.at_time(1.0, f0[:3], y)
    lin.close()


def test_kernel_regression_against_solve():
    rng = np.random.default_rng(4)
    x, xt = rng.standard_normal((7, 3)), rng.standard_normal((2, 3))
    k, _ = theory.nngp_ntk(x, sigma_b2=0.5)
    kt, _ = theory.nngp_ntk(xt, x, sigma_b2=0.5)
    k, kt = np.asarray(k), np.asarray(kt)
    y = rng.standard_normal((7, 3))
    got = np.asarray(theory.kernel_regression(k, kt, y, ridge=0.1))
    np.testing.assert_allclose(got, kt @ np.linalg.solve(k + 0.1 * np.eye(7), y), rtol=1e-10)
    got1 = np.asarray(theory.kernel_regression(k, kt, y[:, 0].copy(), ridge=0.1))
    assert got1.shape == (2,)
    with pytest.raises(mechanics.RangeError):
        theory.kernel_regression(k, kt, y, ridge=-1.0)


def test_rf_eigenlearning_equations_and_krr_limit():
    lam = np.arange(1, 41) ** -1.5
    v = np.arange(1, 41) ** -0.65
    n, k, ridge = 20.0, 30.0, 0.01
    out = theory.rf_eigenlearning(lam, v, n, k, ridge=ridge, noise_var=0.1)
    g, kap = out["gamma"], out["kappa"]
    L = lam / (lam + g)
    assert L.sum() + ridge / kap == pytest.approx(n, rel=1e-12)
    assert L.sum() + k * kap / g == pytest.approx(k, rel=1e-12)
    np.testing.assert_allclose(np.asarray(out["learnabilities"]), L, rtol=1e-14)
    z, q = L.sum(), (L * L).sum()
    e0 = 1 / (1 - (q * (k - 2 * z) + z * z) / (n * (k - q)))
    bias = (1 - L) - kap * L / (lam + g) * k / (k - q)
    assert out["E0"] == pytest.approx(e0, rel=1e-10)
    assert out["test_mse"] == pytest.approx(e0 * ((bias * v * v).sum() + 0.1), rel=1e-10)
    krr = theory.eigenlearning(lam, v, n, ridge=ridge, noise_var=0.1)
    big = theory.rf_eigenlearning(lam, v, n, 1e10, ridge=ridge, noise_var=0.1)
    assert big["test_mse"] == pytest.approx(krr["test_mse"], rel=1e-8)
    assert out["test_mse"] > krr["test_mse"]  # finitely many features cost accuracy
    with pytest.raises(mechanics.RangeError):
        theory.rf_eigenlearning(lam, v, n, n, ridge=0.0)  # interpolation threshold

import math

import numpy as np
import pytest

import mechanics
from mechanics import theory


def test_eigenlearning_single_mode_closed_form():
    # one eigenvalue lam, ridge r: L = lam/(lam+kappa) and L + r/kappa = n
    # give n kappa^2 + (n lam - lam - r) kappa - r lam = 0 (positive root)
    lam, v, n, r = 2.0, 1.5, 0.5, 0.3
    a, b, c = n, n * lam - lam - r, -r * lam
    kappa = (-b + math.sqrt(b * b - 4 * a * c)) / (2 * a)
    L = lam / (lam + kappa)
    e0 = n / (n - L * L)
    out = theory.eigenlearning([lam], [v], n, ridge=r, noise_var=0.1)
    assert set(out) >= {"kappa", "E0", "test_mse", "train_mse", "learnabilities"}
    assert out["kappa"] == pytest.approx(kappa, rel=1e-10)
    assert out["learnabilities"][0] == pytest.approx(L, rel=1e-10)
    assert out["E0"] == pytest.approx(e0, rel=1e-10)
    assert out["test_mse"] == pytest.approx(e0 * ((1 - L) ** 2 * v * v + 0.1), rel=1e-10)
    assert out["train_mse"] == pytest.approx((r / (n * kappa)) ** 2 * out["test_mse"],
                                             rel=1e-10)
    with pytest.raises(mechanics.RangeError):
        theory.eigenlearning([1.0], [1.0], 2.0)  # ridgeless with n >= modes
    with pytest.raises(mechanics.ShapeError):
        theory.eigenlearning([1.0, 0.5], [1.0], 1.0, ridge=0.1)


def test_kernel_eigensystem_and_gcv_against_numpy():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((6, 2))
    k = np.exp(-((x[:, None, :] - x[None, :, :]) ** 2).sum(-1))
    f = np.sin(x[:, 0])
    out = theory.kernel_eigensystem(k, target=f, eigenfunctions=True)
    ref = np.sort(np.linalg.eigvalsh(k / 6))[::-1]
    np.testing.assert_allclose(out["eigenvalues"], ref, rtol=1e-10, atol=1e-14)
    phi = np.asarray(out["eigenfunctions"])
    np.testing.assert_allclose(phi.T @ phi / 6, np.eye(6), atol=1e-9)  # L2(uniform)
    np.testing.assert_allclose(out["coefficients"], phi.T @ f / 6, atol=1e-12)
    y = f + 0.1 * rng.standard_normal(6)
    est = np.asarray(theory.gcv_estimate(k, y, [0.1, 1.0]))
    for r, e in zip([0.1, 1.0], est):
        s = k @ np.linalg.inv(k + r * np.eye(6))
        ref = np.mean((y - s @ y) ** 2) / (1 - np.trace(s) / 6) ** 2
        assert e == pytest.approx(ref, rel=1e-9)


def test_committee_integrals_and_eps_g():
    # scaled_erf: I2 = (2/pi) asin(C12 / sqrt((1+C11)(1+C22)))
    c = [[1.0, 0.3], [0.3, 2.0]]
    i2 = theory.committee_gaussian(c, "i2")
    assert i2 == pytest.approx(2 / math.pi * math.asin(0.3 / math.sqrt(2 * 3)), rel=1e-12)
    assert theory.committee_gaussian(c, "i2", activation="linear") == pytest.approx(0.3)
    # eps_g vanishes for a student equal to the teacher
    t = [[1.0, 0.2], [0.2, 1.0]]
    assert theory.committee_eps_g(t, t, t, [1.0, 1.0], [1.0, 1.0]) == pytest.approx(0, abs=1e-15)
    with pytest.raises(mechanics.RangeError):
        theory.committee_gaussian([[1.0, 2.0], [2.0, 1.0]])


def test_committee_ode_linear_closed_form():
    # K = M = 1 linear student and teacher, v = A = T = 1, no noise:
    # dR/dalpha = lr (1 - R) and, with D = Q - 2R + 1 = 2 eps_g,
    # dD/dalpha = -(2 lr - lr^2) D, so R = 1 - e^{-lr alpha} (R0 = 0) and
    # eps_g = eps_0 e^{-(2 lr - lr^2) alpha}. The integrator runs at 1e-9
    # tolerances, hence rel=1e-7.
    lr, alphas = 0.1, np.array([0.0, 1.0, 5.0])
    out = theory.committee_ode([[0.5]], [[0.0]], [[1.0]], [1.0], [1.0], lr=lr,
                               alphas=alphas, activation="linear")
    eps0 = 0.5 * (0.5 - 0 + 1.0)
    np.testing.assert_allclose(out["eps_g"], eps0 * np.exp(-(2 * lr - lr * lr) * alphas),
                               rtol=1e-7)
    np.testing.assert_allclose(np.asarray(out["R"])[:, 0, 0], 1 - np.exp(-lr * alphas),
                               rtol=1e-7, atol=1e-12)
    assert out["v"].shape == (3, 1) and out["alphas"].tolist() == alphas.tolist()
    np.testing.assert_array_equal(np.asarray(out["v"]), 1.0)  # lr2 = 0: v fixed
    with pytest.raises(mechanics.ShapeError):
        theory.committee_ode([[0.5]], [[0.0, 0.0]], [[1.0]], [1.0], [1.0], 0.1, [1.0])
    with pytest.raises(mechanics.RangeError):
        theory.committee_ode([[0.5]], [[0.0]], [[1.0]], [1.0], [1.0], -0.1, [1.0])

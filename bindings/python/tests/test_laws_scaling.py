"""Power-law scaling models, the learning-rate sweep, stability thresholds,
SDE scaling rules and the critical batch size through the Python binding.
The random-feature width law is checked against a Monte Carlo of the
projection it describes (numpy, when available)."""
import math

import pytest

import mechanics
from conftest import needs

laws = mechanics.laws


@needs("mech_powerlaw_model_curve")
def test_time_curve_at_zero_is_half_zeta_two():
    (loss,) = laws.powerlaw_model_curve("time", 1.0, 1.0, [1e-300]).tolist()
    assert loss == pytest.approx(math.pi ** 2 / 12, rel=1e-10)


@needs("mech_powerlaw_model_exponent")
def test_exponent_of_the_time_law_is_beta():
    fitted, predicted = laws.powerlaw_model_exponent("time", 2.0, 0.7, 1e3, 1e6)
    assert predicted == 0.7
    assert fitted == pytest.approx(0.7, rel=0.01)


@needs("mech_powerlaw_model_curve")
def test_width_law_is_the_random_feature_projection_error():
    np = pytest.importorskip("numpy")
    rng = np.random.default_rng(0)
    alpha, beta, m = 1.5, 0.7, 2000
    k = np.arange(1, m + 1)
    lam, v = k ** -alpha, np.sqrt(k ** -(1 + alpha * beta))
    for n in (10, 40):
        errs = []
        for _ in range(40):
            f = np.sqrt(lam)[:, None] * rng.standard_normal((m, n))
            c, *_ = np.linalg.lstsq(f, v, rcond=None)
            r = v - f @ c
            errs.append(0.5 * r @ r)
        (pred,) = laws.powerlaw_model_curve("width", alpha, beta, [float(n)]).tolist()
        # deterministic equivalent: O(1/N) bias, plus 40-draw Monte Carlo error
        # and the 2000-mode truncation (~1e-3 of the loss)
        assert pred == pytest.approx(np.mean(errs), rel=0.1)


@needs("mech_powerlaw_compute_frontier")
def test_frontier_point_is_a_minimum():
    loss, width = laws.powerlaw_compute_frontier(2.0, 0.7, [1e4])
    (l,), (n,) = loss.tolist(), width.tolist()
    assert laws.powerlaw_model_loss(2.0, 0.7, n, 1e4 / n) == pytest.approx(l, rel=1e-9)
    for f in (0.5, 2.0):
        assert laws.powerlaw_model_loss(2.0, 0.7, f * n, 1e4 / (f * n)) > l


@needs("mech_powerlaw_model_curve")
def test_powerlaw_bad_input():
    with pytest.raises(mechanics.RangeError):
        laws.powerlaw_model_curve("data", 1.0, 1.0, [10.0])
    with pytest.raises(ValueError):
        laws.powerlaw_model_curve("nope", 2.0, 1.0, [10.0])


@needs("mech_lr_sweep_best")
def test_lr_sweep_finds_bowl_minima_and_treats_divergence_as_inf():
    widths, lrs, seeds = [32, 64, 128], [1e-3 * 2 ** i for i in range(10)], [0, 1, 2]

    def train(width, lr, seed):
        opt = 0.02 * 32 / width  # drifts like 1/width
        if lr > 8 * opt:
            raise mechanics.DivergedError("diverged")
        return 1.0 + math.log(lr / opt) ** 2 + 0.1 * (seed - 1)

    out = laws.lr_sweep(widths, lrs, seeds, train)
    for w, best in zip(widths, out["best_lr"].tolist()):
        assert best == pytest.approx(0.02 * 32 / w, rel=1e-12)
    assert out["shift"].tolist() == pytest.approx([0.0, -1.0, -2.0], abs=1e-12)
    assert out["slope"] == pytest.approx(-1.0, abs=1e-12)
    assert math.isinf(out["losses"][2][9][0])


@needs("mech_lr_sweep_best")
def test_lr_sweep_best_shape_check():
    with pytest.raises(mechanics.ShapeError):
        laws.lr_sweep_best([1.0, 2.0], [0.1, 0.2, 0.3], [[[1.0], [0.5], [1.0]]])


@needs("mech_stability_threshold")
def test_stability_thresholds():
    assert laws.stability_threshold("adam", 0.01, 0.9) == pytest.approx(3800.0)
    assert laws.stability_threshold("gd", 0.1) == pytest.approx(20.0)
    assert laws.stability_max_lr("heavy_ball", 10.0, 0.9) == pytest.approx(0.38)
    assert laws.stability_max_lr("nesterov", 1.0, 0.5) == pytest.approx(1.5)
    with pytest.raises(mechanics.InvalidArgumentError):
        laws.stability_threshold("sign", 0.1)


@needs("mech_sde_scale")
def test_sde_scale_rules():
    assert laws.sde_scale("sgd", 4.0, 0.1) == {"lr": pytest.approx(0.4)}
    out = laws.sde_scale("adam", 4.0, 1e-3, beta1=0.9, beta2=0.99, eps=1e-8)
    assert out == {"lr": pytest.approx(2e-3), "beta1": pytest.approx(0.6),
                   "beta2": pytest.approx(0.96), "eps": pytest.approx(5e-9)}
    with pytest.raises(mechanics.RangeError):
        laws.sde_scale("adam", 20.0, 1e-3, beta1=0.9, beta2=0.99, eps=1e-8)
    with pytest.raises(mechanics.UnsupportedError):
        laws.sde_scale("heavy_ball", 2.0, 0.1)


@needs("mech_critical_batch")
def test_critical_batch_from_expectations():
    g2, tr = 0.3, 12.0
    out = laws.critical_batch(g2 + tr / 2, g2 + tr / 64, 2, 64)
    assert out["g_sq"] == pytest.approx(g2, rel=1e-12)
    assert out["tr_sigma"] == pytest.approx(tr, rel=1e-12)
    assert out["b_simple"] == pytest.approx(40.0, rel=1e-12)

import array
import math

import numpy as np
import pytest

import mechanics
from mechanics import Optimizer


def test_sgd_and_heavy_ball_in_place():
    p = np.array([1.0, -2.0, 3.0])
    g = np.array([0.5, 0.5, -1.0])
    with Optimizer("sgd", 3, lr=0.1) as opt:
        assert opt.kind == "sgd" and opt.lr == 0.1
        opt.step(p, g)
        np.testing.assert_array_equal(p, [1.0 - 0.05, -2.0 - 0.05, 3.0 + 0.1])
        assert opt.step_count == 1
    # Polyak: v <- beta v + g; theta <- theta - lr v (reference loop in Python)
    buf = array.array("d", [1.0, 2.0])
    ref, v = [1.0, 2.0], [0.0, 0.0]
    with Optimizer("heavy_ball", 2, lr=0.2, momentum=0.5) as opt:
        for k in range(4):
            grad = [math.sin(k), math.cos(k)]
            opt.step(buf, grad)
            v = [0.5 * vi + gi for vi, gi in zip(v, grad)]
            ref = [r - 0.2 * vi for r, vi in zip(ref, v)]
        assert list(buf) == pytest.approx(ref, rel=1e-15)


def test_adam_matches_reference_and_preconditioner():
    rng = np.random.default_rng(0)
    p = rng.standard_normal(5)
    ref = p.copy()
    m = s = np.zeros(5)
    b1, b2, eps, lr = 0.9, 0.99, 1e-8, 0.01
    with Optimizer("adam", 5, lr=lr, beta1=b1, beta2=b2, eps=eps) as opt:
        for k in range(1, 4):
            g = rng.standard_normal(5)
            opt.step(p, g)
            m = b1 * m + (1 - b1) * g
            s = b2 * s + (1 - b2) * g * g
            ref = ref - lr * (m / (1 - b1 ** k)) / (np.sqrt(s / (1 - b2 ** k)) + eps)
        np.testing.assert_allclose(p, ref, rtol=1e-14, atol=1e-15)
        np.testing.assert_allclose(opt.preconditioner(), np.sqrt(s / (1 - b2 ** 3)) + eps,
                                   rtol=1e-14)
        assert np.all(np.asarray(opt.step_scale()) > 0)
    with Optimizer("sign", 2) as opt, pytest.raises(mechanics.UnsupportedError):
        opt.preconditioner()


def test_schedule_by_name_and_groups():
    with Optimizer("gd", 4, lr=1.0, schedule="cosine", warmup_steps=2,
                   total_steps=10, final_lr_fraction=0.1) as opt:
        assert opt.get("schedule") == "cosine"
        assert opt.lr_at(1) == pytest.approx(0.5)  # warmup k/W
        assert opt.lr_at(6) == pytest.approx(0.1 + 0.9 * (1 + math.cos(math.pi * 0.5)) / 2)
        assert opt.lr_at(11) == pytest.approx(0.1)
        opt.set("schedule", "constant")
        opt.set_groups([0, 1, 4], [2.0, 0.5])
        p = np.zeros(4)
        opt.step(p, np.ones(4))
        np.testing.assert_array_equal(p, [-2.0, -0.5, -0.5, -0.5])


def test_state_round_trip(tmp_path):
    p = np.ones(3)
    with Optimizer("adamw", 3, lr=0.1, weight_decay=0.01) as a:
        a.step(p, np.array([1.0, -1.0, 2.0]))
        blob = a.state
        a.save(tmp_path / "opt.bin")
        q = p.copy()
        a.step(p, np.ones(3))
        with Optimizer("adamw", 3, lr=0.1, weight_decay=0.01) as b:
            b.state = blob
            assert b.step_count == 1
            b.step(q, np.ones(3))
            np.testing.assert_array_equal(p, q)
            b.reset()
            assert b.step_count == 0
            b.load(tmp_path / "opt.bin")
            assert b.step_count == 1
        with Optimizer("adam", 3) as c, pytest.raises(mechanics.FormatError):
            c.state = blob  # another kind


def test_bad_input():
    with pytest.raises(ValueError):
        Optimizer("lbfgs", 3)
    with pytest.raises(mechanics.InvalidArgumentError):
        Optimizer("sgd", 0)
    with pytest.raises(mechanics.RangeError):
        Optimizer("heavy_ball", 3, momentum=1.0)
    with Optimizer("sgd", 2) as opt:
        with pytest.raises(TypeError):
            opt.step([1.0, 2.0], [0.0, 0.0])  # a list cannot be updated in place
        ro = np.zeros(2)
        ro.flags.writeable = False
        with pytest.raises(TypeError):
            opt.step(ro, [0.0, 0.0])
        with pytest.raises(mechanics.ShapeError):
            opt.step(np.zeros(3), np.zeros(3))
        p = np.zeros(2)
        with pytest.raises(mechanics.NonFiniteError):
            opt.step(p, [np.nan, 0.0])
        with pytest.raises(mechanics.InvalidArgumentError):
            opt.set_groups([0, 2, 1], [1.0, 1.0])

import math

import numpy as np
import pytest

import mechanics
from mechanics import Ode


def oscillator(t, y):
    return [y[1], -y[0]]


def test_integrate_and_solve_harmonic_oscillator():
    with Ode(oscillator, 2, rtol=1e-10, atol=1e-12) as ode:
        assert ode.get("method") == "dopri5"
        y1 = ode.integrate(0.0, [1.0, 0.0], math.pi / 2)
        # exact solution (cos t, -sin t); tolerance 1e-10 relative per step
        assert y1.tolist() == pytest.approx([0.0, -1.0], abs=1e-8)
        t = np.linspace(0, 2 * math.pi, 9)
        ys = np.asarray(ode.solve(0.0, np.array([1.0, 0.0]), t))
        np.testing.assert_allclose(ys[:, 0], np.cos(t), atol=1e-8)
        np.testing.assert_allclose(ys[:, 1], -np.sin(t), atol=1e-8)
        st = ode.stats
        assert st["stop"] == "end" and st["outputs"] == 9 and st["accepted"] > 0
        assert st["rhs_evals"] >= 6 * st["accepted"] and not ode.stopped


def test_rk4_by_name_is_fourth_order():
    # exponential decay y' = -y: global error of RK4 scales as h^4
    errs = []
    for h in (0.1, 0.05):
        with Ode(lambda t, y: [-y[0]], 1, method="rk4", h_fixed=h) as ode:
            errs.append(abs(ode.integrate(0.0, [1.0], 1.0)[0] - math.exp(-1.0)))
    assert 12 < errs[0] / errs[1] < 20  # 2^4 = 16


def test_terminal_event_and_observer():
    # falling body y'' = -1 from height 1: hits the ground at sqrt(2)
    with Ode(lambda t, y: [y[1], -1.0], 2) as ode:
        ode.set_event(lambda t, y: y[0], direction=-1, terminal=True)
        y = ode.integrate(0.0, [1.0, 0.0], 10.0)
        assert ode.stopped and ode.stats["stop"] == "event"
        (t_hit, d), = ode.events
        assert t_hit == pytest.approx(math.sqrt(2), rel=1e-9) and d == -1
        assert y[0] == pytest.approx(0.0, abs=1e-9)
        ode.set_event(None)
        seen = []
        ode.set_observer(lambda t, y: seen.append(t) or len(seen) >= 3)
        ode.integrate(0.0, [1.0, 0.0], 10.0)
        assert ode.stopped and len(seen) == 3 and ode.stats["stop"] == "callback"


def test_rhs_exception_and_bad_input():
    def rhs(t, y):
        if t > 0.5:
            raise RuntimeError("model blew up")
        return [1.0]
    with Ode(rhs, 1) as ode:
        with pytest.raises(mechanics.CallbackError) as info:
            ode.integrate(0.0, [0.0], 1.0)
        assert isinstance(info.value.__cause__, RuntimeError)
        with pytest.raises(mechanics.ShapeError):
            ode.integrate(0.0, [0.0, 1.0], 1.0)
        with pytest.raises(mechanics.NonFiniteError):
            ode.integrate(0.0, [math.nan], 1.0)
        with pytest.raises(mechanics.InvalidArgumentError):
            ode.solve(0.0, [0.0], [0.3, 0.1])  # not monotone
    with pytest.raises(mechanics.InvalidArgumentError):
        Ode(rhs, 0)
    with pytest.raises(mechanics.InvalidArgumentError), Ode(rhs, 1, method="rk4") as ode:
        ode.integrate(0.0, [0.0], 1.0)  # RK4 without h_fixed

"""Central flow through ctypes (quick sizes): gradient-flow mode against a
scipy integration of the model's own gradient, sigma^2 against the rate of
change of the sharpness (numpy eigenvalues of finite-difference Hessians
are not needed: the library's eval gives S), the edge-of-stability phase
holding S on 2/eta, and bad input."""
import math

import pytest

import mechanics
from conftest import needs

np = pytest.importorskip("numpy")
integrate = pytest.importorskip("scipy.integrate")


def _problem():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((10, 3))
    y = np.sign(np.sin(3 * x @ np.array([1.0, -0.5, 0.7])))[:, None]
    model = mechanics.Model("mlp", [3, 8, 1], activation="tanh", bias=1)
    return model, x, y


@needs("mech_central_flow_solve")
def test_gradient_flow_mode_matches_solve_ivp():
    model, x, y = _problem()
    w0 = np.array(model.params)
    t = np.array([0.0, 0.5, 1.0])
    out = mechanics.central_flow(model, x, y, 0.1, t, gradient_flow=1, rtol=1e-9,
                                 atol=1e-12)

    def rhs(_, w):
        model.params = w
        return -np.asarray(model.gradient(x, y)[1])

    ref = integrate.solve_ivp(rhs, (0, 1), w0, t_eval=t, rtol=1e-11, atol=1e-13).y.T
    model.params = np.ascontiguousarray(ref[-1])
    # both integrations far tighter than the 1e-7 compared
    assert out["loss"][2] == pytest.approx(model.loss(x, y), rel=1e-7)
    assert np.allclose(np.asarray(out["params"]), ref[-1], atol=1e-7)
    assert list(out["sigma2"]) == [0.0, 0.0, 0.0]
    assert list(out["loss_avg_pred"]) == list(out["loss"])
    assert list(out["time"]) == list(t)
    assert out["stats"]["rhs_evals"] > 0 and math.isnan(out["stats"]["t_enter"])


@needs("mech_central_flow_eval")
def test_sigma2_keeps_sharpness_on_threshold():
    model, x, y = _problem()
    with mechanics.CentralFlow(model, x, y, 0.1, lanczos_tol=1e-13,
                               gradient_flow=1) as probe:
        # gradient flow sharpens from 2.31 to 2.81 over t in [0, 2]
        w = np.array(probe.solve([0.0, 1.0])["params"])
        s0 = probe.eval(w)["sharpness"]
    # threshold 2/eta just under S(w); exact switch (relax 0): dS/dt = 0
    eta = 2 / (0.95 * s0)
    with mechanics.CentralFlow(model, x, y, eta, relax=0.0, lanczos_tol=1e-13) as cf:
        e = cf.eval(w)
        v = np.asarray(e["dwdt"])
        assert e["sigma2"] > 0
        d = 1e-4 / np.linalg.norm(v)
        rate = (cf.eval(w + d * v)["sharpness"] - cf.eval(w - d * v)["sharpness"]) / (2 * d)
        gf_rate = float(np.asarray(e["grad_s"]) @ (v + 0.5 * e["sigma2"] *
                                                     np.asarray(e["grad_s"])))
        # difference error ~1e-8 of the gradient-flow rate (see the C test)
        assert gf_rate > 0 and abs(rate) < 1e-6 * gf_rate


@needs("mech_central_flow_solve")
def test_edge_phase_holds_sharpness_and_trace():
    model, x, y = _problem()
    with mechanics.CentralFlow(model, x, y, 0.1, gradient_flow=1) as probe:
        s0 = probe.eval(model.params)["sharpness"]
    # 2/eta 10% above S(w0); gradient flow would sharpen to 1.2 S(w0) by
    # t = 2. relax = 2: S relaxes onto 2/eta like exp(-2 t/eta)
    eta = 2 / (1.1 * s0)
    trace = mechanics.Trace("time")
    out = mechanics.central_flow(model, x, y, eta, np.linspace(0, 2, 9), trace=trace,
                                 relax=2.0)
    s, s2 = np.asarray(out["sharpness"]), np.asarray(out["sigma2"])
    assert s2[-1] > 0 and out["stats"]["t_enter"] < 2
    assert np.all(s <= 2 / eta * (1 + 1e-6))
    # on the edge and still closing the last ~0.1% (the relaxation's lag)
    assert s[-1] == pytest.approx(2 / eta, rel=2e-3)
    assert np.allclose(np.asarray(out["loss_avg_pred"]),
                       np.asarray(out["loss"]) + s2 / eta, rtol=1e-14)
    assert len(trace) == 9 and "loss_avg_pred" in trace and "sigma2" in trace


@needs("mech_central_flow_create")
def test_bad_input():
    model, x, y = _problem()
    with pytest.raises(mechanics.RangeError):
        mechanics.CentralFlow(model, x, y, 0.0)
    with pytest.raises(mechanics.ShapeError):
        mechanics.CentralFlow(model, np.ascontiguousarray(x[:, :2]), y, 0.1)
    with mechanics.CentralFlow(model, x, y, 0.1) as cf:
        with pytest.raises(mechanics.RangeError):
            cf.set("relax", 5.0)
        with pytest.raises(mechanics.InvalidArgumentError):
            cf.solve([1.0, 0.5])
        with pytest.raises(mechanics.InvalidArgumentError):
            cf.solve([0.0, 1.0], trace=mechanics.Trace("step"))
        with pytest.raises(mechanics.ShapeError):
            cf.eval([0.0])
        cf.set("method", "rk4")
        assert cf.get("method") == "rk4"
        assert cf.solve([0.0, 0.1])["loss"][1] < cf.solve([0.0, 0.1])["loss"][0] + 1e-12

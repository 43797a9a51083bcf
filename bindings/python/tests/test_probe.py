import numpy as np
import pytest

import mechanics
from mechanics import Data, Model, Optimizer, Probe, Run


def test_lanczos_probe_on_numpy_hessian_callback():
    """Acceptance: the Lanczos probe on a numpy Hessian-vector callback gives
    the dense eigenvalues (Lanczos stops at a residual of 1e-10 ||H||)."""
    rng = np.random.default_rng(3)
    a = rng.standard_normal((40, 40))
    h = (a + a.T) / 2
    dense = np.sort(np.linalg.eigvalsh(h))[::-1]
    with Probe("sharpness", k=4) as p:
        out = p.measure_operator(40, lambda v: h @ v)
        got = np.asarray(p.vector("eigenvalues"))
        scale = np.abs(dense).max()
        np.testing.assert_allclose(got, dense[:4], atol=1e-9 * scale)
        assert out["sharpness"] == got[0] and out["converged"] == 4
        vecs = np.asarray(p.vector("eigenvectors")).reshape(4, 40)
        np.testing.assert_allclose(h @ vecs[0], got[0] * vecs[0], atol=1e-9 * scale)
        p.set("which", "smallest")
        p.measure_operator(40, lambda v: h @ v)
        np.testing.assert_allclose(np.asarray(p.vector("eigenvalues")), dense[::-1][:4],
                                   atol=1e-9 * scale)


def test_operator_callback_errors_propagate():
    with Probe("hessian_trace", n_probes=10) as p:
        def bad(v):
            raise RuntimeError("boom")
        with pytest.raises(mechanics.CallbackError):
            p.measure_operator(5, bad)
        with pytest.raises(mechanics.CallbackError, match="shape"):
            p.measure_operator(5, lambda v: np.zeros(4))
        out = p.measure_operator(5, lambda v: np.arange(1.0, 6.0) * v)
        assert abs(out["trace"] - 15) < 1e-12  # Rademacher probes on a diagonal
    with Probe("sharpness", k=6) as p, pytest.raises(mechanics.RangeError):
        p.measure_operator(5, lambda v: v)


def test_model_probes_and_run_columns():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((20, 3))
    y = np.sin(x[:, :1])
    model = Model("mlp", [3, 8, 1], activation="tanh")
    data = Data.from_arrays(x, y)
    sharp = Probe("sharpness", k=2).attach(model, "mse", data)
    out = sharp.measure()
    # dense Hessian from the model's exact HVPs
    n = model.num_params
    hess = np.column_stack([np.asarray(model.hvp(x, y, e)) for e in np.eye(n)])
    dense = np.sort(np.linalg.eigvalsh((hess + hess.T) / 2))[::-1]
    assert abs(out["eig0"] - dense[0]) <= 1e-6 * abs(dense[0])
    assert abs(out["eig1"] - dense[1]) <= 1e-6 * abs(dense[0])
    dist = Probe("distance", name="dist").attach(model, "mse", data)
    run = Run(model, "mse", data, Optimizer("gd", n, lr=0.1), max_steps=10, probe_every=5)
    run.add_probe(sharp).add_probe(dist).execute()
    tr = run.trace
    assert tr.time.tolist() == [0, 5, 10]
    s = np.asarray(tr["sharpness.sharpness"])
    assert np.all(np.isfinite(s)) and s[-1] == sharp["sharpness"]
    d = np.asarray(tr["dist.distance"])
    assert d[0] == 0 and d[2] > d[1] > 0


def test_arrays_way():
    rng = np.random.default_rng(1)
    h = rng.standard_normal((30, 6))
    with Probe("cka") as p:
        assert abs(p.measure_arrays(h, h * 3.0)["cka"] - 1) < 1e-12
    with Probe("weights") as p:
        out = p.measure_arrays(h)
        s = np.linalg.svd(h, compute_uv=False)
        assert abs(out["spectral"] - s[0]) < 1e-12 * s[0]
        np.testing.assert_allclose(np.asarray(p.vector("sv")), s, rtol=1e-12)
    labels = np.arange(30) % 3
    with Probe("neural_collapse") as p:
        out = p.measure_arrays(h, labels=labels)
        ref = mechanics.metrics.neural_collapse(h, labels, 3)
        assert abs(out["nc1"] - ref["nc1"]) <= 1e-12 * abs(ref["nc1"])
    with Probe("sharpness") as p, pytest.raises(mechanics.UnsupportedError):
        p.measure_arrays(h)


def test_probe_options_and_state():
    p = Probe("hessian_density", slq_steps=12, n_probes=3)
    assert p.kind == "hessian_density" and p.get("slq_steps") == 12
    assert p.get("name") == "hessian_density"
    assert "sharpness" in Probe.kinds()
    with pytest.raises(mechanics.StateError):
        p.measure()
    with pytest.raises(mechanics.RangeError):
        p.set("name", "bad name")
    with pytest.raises(ValueError):
        Probe("no_such_probe")
    p.close()

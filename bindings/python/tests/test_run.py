import numpy as np
import pytest

import mechanics
from mechanics import Data, Model, Optimizer, Run
from test_model import NumpyMLP, D, H, O


def test_training_from_numpy_arrays_in_a_few_lines():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((64, 3))
    w = np.array([[0.5, -1.0, 2.0]])
    y = x @ w.T
    model = Model("linear", [3, 1])
    run = Run(model, "mse", Data.from_arrays(x, y), Optimizer("gd", model.num_params, lr=0.5),
              max_steps=200, probe_every=50).execute()
    tr = run.trace
    assert tr.time.tolist() == [0, 50, 100, 150, 200] and run.stop_reason == "max_steps"
    loss = np.asarray(tr["train_loss"])
    # GD on a well-conditioned quadratic converges linearly to the exact fit
    assert loss[-1] < 1e-12 * loss[0]
    np.testing.assert_allclose(model.params, w.ravel(), atol=1e-6)
    assert tr.meta["mode"] == "full_batch"


def test_callback_numpy_network_trains_like_builtin():
    """Acceptance: a callback model wrapping a numpy network trains through
    mech_run and gives the same trace as the equivalent built-in model."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((32, D))
    y = np.sin(x[:, :O])
    traces = []
    with Model("mlp", [D, H, O], activation="tanh") as builtin:
        p = np.asarray(builtin.params).copy()
        ref = NumpyMLP(builtin.layer(0)["weight_mult"], builtin.layer(1)["weight_mult"])
        callback = Model.from_callbacks(p.size, D, O, ref.forward, ref.vjp, ref.jvp,
                                        ref.hvp2, params=p)
        for model in (builtin, callback):
            run = Run(model, "mse", Data.from_arrays(x, y), Optimizer("gd", p.size, lr=0.2),
                      max_steps=30, probe_every=5)
            traces.append(run.execute().take_trace())
        np.testing.assert_allclose(callback.params, builtin.params, rtol=0, atol=1e-10)
    a, b = traces
    assert a.names == b.names and a.time.tolist() == b.time.tolist()
    for col in ("train_loss", "batch_loss", "grad_norm"):
        # the same arithmetic up to summation order inside numpy/BLIS
        np.testing.assert_allclose(np.asarray(b[col]), np.asarray(a[col]), rtol=1e-10,
                                   atol=1e-14, equal_nan=True)
    assert np.asarray(a["train_loss"])[-1] < np.asarray(a["train_loss"])[0]


def test_online_minibatch_observer_and_divergence():
    w = np.array([[1.0, -1.0]])
    with Data.generator("gaussian", 2, teacher=w) as gen:
        model = Model("linear", [2, 1])
        seen = []

        def observe(run, step, t):
            tr = run.trace
            tr.put(tr.add_column("param0"), model.params[0])
            seen.append(step)
            return step >= 20
        run = Run(model, "mse", gen, Optimizer("sgd", 2, lr=0.05), mode="online", batch=4,
                  max_steps=100, probe_every=10, observer=observe)
        run.execute()
        assert run.stopped and run.stop_reason == "callback" and seen == [0, 10, 20]
        # the observer's column holds the parameter at each row; the run
        # stopped at step 20, so the last row has the current value
        assert run.trace["param0"][2] == model.params[0]
        assert run.trace["param0"][0] != run.trace["param0"][2]
        assert run.get("mode") == "online"
        run.close()
    x = np.eye(2) * 10.0
    model = Model("linear", [2, 1])
    model.params = [1.0, 1.0]
    run = Run(model, "mse", Data.from_arrays(x, np.zeros((2, 1))),
              Optimizer("gd", 2, lr=10.0), max_steps=1000)
    with pytest.raises(mechanics.DivergedError):
        run.execute()
    assert run.diverged_step > 0 and run.stop_reason == "diverged"


def test_ensemble_and_bad_input():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((16, 2))
    y = x[:, :1] ** 2
    model = Model("mlp", [2, 8, 1], activation="tanh")
    data = Data.from_arrays(x, y)
    run = Run(model, "mse", data, Optimizer("gd", model.num_params, lr=0.1), max_steps=10,
              probe_every=5)
    with run.ensemble([1, 2, 3]) as ens:
        assert ens.meta["ensemble_size"] == "3" and "train_loss_se" in ens
    with pytest.raises(ValueError):
        Run(model, "mse", data, None, mode="full_batch_gd", max_steps=1)
    with pytest.raises(mechanics.StateError):
        Run(model, "mse", data, None, max_steps=1)  # discrete mode without optimizer
    with pytest.raises(mechanics.StateError):
        Run(model, "mse", data, Optimizer("gd", model.num_params))  # no stop condition


def test_checkpoint_resumes_exactly_and_trace_view_lifetime(tmp_path):
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((24, 3)), rng.standard_normal((24, 1))

    def make():
        model = Model("mlp", [3, 6, 1], activation="tanh")
        data = Data.from_arrays(x, y)
        run = Run(model, "mse", data, Optimizer("adam", model.num_params, lr=0.01),
                  mode="minibatch", batch=8, max_steps=10, probe_every=5)
        return model, run
    model_a, a = make()
    a.execute()
    a.save_checkpoint(tmp_path / "run.ckpt")
    a.execute(max_steps=20)
    model_b, b = make()
    b.load_checkpoint(tmp_path / "run.ckpt")
    assert b.step_count == 10
    b.execute(max_steps=20)
    np.testing.assert_array_equal(model_b.params, model_a.params)  # bit for bit
    assert b.trace["train_loss"].tolist() == a.trace["train_loss"].tolist()
    view = a.trace
    a.close()
    with pytest.raises(mechanics.StateError):
        view["train_loss"]  # the run owned it


def test_gradient_flow_on_time_axis():
    # linear model, gradient flow on (1/2n)|Xw - y|^2 with X^T X / n = I:
    # w(t) = w* + (w(0) - w*) e^{-t}, so the loss decays as e^{-2t}
    x = np.sqrt(2.0) * np.eye(2)
    y = np.array([[1.0], [-1.0]])
    model = Model("linear", [2, 1])
    w0 = np.asarray(model.params).copy()
    w_star = np.array([1.0, -1.0]) / np.sqrt(2.0)
    run = Run(model, "mse", Data.from_arrays(x, y), mode="gradient_flow", max_time=2.0,
              gf_probe_dt=1.0).execute()
    tr = run.trace
    assert tr.axis == "time" and tr.time.tolist() == [0.0, 1.0, 2.0]
    loss = np.asarray(tr["train_loss"])
    np.testing.assert_allclose(loss[1:] / loss[0], np.exp(-2.0 * np.array([1.0, 2.0])),
                               rtol=1e-7)  # GF tolerances 1e-9 / 1e-12
    np.testing.assert_allclose(model.params, w_star + (w0 - w_star) * np.exp(-2.0),
                               rtol=1e-7, atol=1e-10)

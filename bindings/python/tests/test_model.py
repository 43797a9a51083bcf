import numpy as np
import pytest

import mechanics
from mechanics import Model

D, H, O, B = 4, 6, 2, 5


class NumpyMLP:
    """f = a1 W1 tanh(a0 W0 x), written in numpy independently of the
    library; params = [W0 (H x D) row-major, W1 (O x H) row-major]."""

    def __init__(self, a0=1.0, a1=1.0):
        self.a0, self.a1 = a0, a1

    def split(self, p):
        return p[:H * D].reshape(H, D), p[H * D:].reshape(O, H)

    def hidden(self, p, x):
        w0, w1 = self.split(p)
        return w0, w1, np.tanh(self.a0 * x @ w0.T)

    def forward(self, p, x):
        _, w1, h = self.hidden(p, x)
        return self.a1 * h @ w1.T

    def vjp(self, p, x, u):
        _, w1, h = self.hidden(p, x)
        delta = self.a1 * (u @ w1) * (1 - h ** 2)
        return np.concatenate([(self.a0 * delta.T @ x).ravel(), (self.a1 * u.T @ h).ravel()])

    def jvp(self, p, x, v):
        _, w1, h = self.hidden(p, x)
        dw0, dw1 = self.split(v)
        dh = (1 - h ** 2) * (self.a0 * x @ dw0.T)
        return self.a1 * (dh @ w1.T + h @ dw1.T)

    def hvp2(self, p, x, g, v):
        """d/dparams (J^T g) . v with g fixed: the second-order loss term."""
        _, w1, h = self.hidden(p, x)
        dw0, dw1 = self.split(v)
        s = 1 - h ** 2
        dh = s * (self.a0 * x @ dw0.T)
        d_gw1 = self.a1 * g.T @ dh
        d_delta = self.a1 * ((g @ dw1) * s + (g @ w1) * (-2 * h * dh))
        return np.concatenate([(self.a0 * d_delta.T @ x).ravel(), d_gw1.ravel()])


@pytest.fixture
def batch():
    rng = np.random.default_rng(1)
    return rng.standard_normal((B, D)), rng.standard_normal((B, O)), \
        rng.standard_normal(H * D + H * O)


def builtin():
    return Model("mlp", [D, H, O], activation="tanh", init_stream=3)


def test_options_by_name_and_structure():
    with Model("mlp", [3, 8, 8, 2], activation="relu", parametrization="mup",
               base_width=4, output_mult=0.5, bias=1, max_batch=16) as m:
        assert m.kind == "mlp" and m.dims == (3, 2) and m.num_layers == 3
        assert m.get("activation") == "relu" and m.parametrization == "mup"
        assert m.get("output_mult") == 0.5 and m.get("max_batch") == 16
        info = m.layer_info
        assert [(l["rows"], l["cols"]) for l in info] == [(8, 3), (8, 8), (2, 8)]
        assert info[0]["offset"] == 0 and info[0]["bias_offset"] == 24
        assert m.num_params == 8 * 3 + 8 + 8 * 8 + 8 + 2 * 8 + 2
        offsets, mult = m.lr_multipliers("adam")
        assert offsets[0] == 0 and offsets[-1] == m.num_params and len(mult) == 6
        with pytest.raises(mechanics.StateError):
            m.set("bias", 0)  # frozen by setup
    with pytest.raises(ValueError, match="relu"):
        Model("mlp", [3, 4, 1], activation="rectifier")
    with pytest.raises(ValueError):
        Model("transformer", [3, 1])
    with pytest.raises(mechanics.UnsupportedError):
        Model("deep_linear", [3, 4, 1], bias=1)
    with pytest.raises(mechanics.MechanicsError):
        Model("linear", [3, 4, 1])  # linear takes two widths


def test_param_rule_table():
    # SP: 1/fan_in, 1, 1; muP output at width ratio 2 with SGD: 1/(fan_in r), 1, 1/r
    assert mechanics.param_rule("sp", "sgd", "hidden", 64, 64) == \
        {"init_var": 1 / 64, "multiplier": 1.0, "lr_scale": 1.0}
    r = mechanics.param_rule("mup", "sgd", "output", 64, 1, 32, 1)
    assert r["init_var"] == pytest.approx(1 / 128) and r["lr_scale"] == pytest.approx(0.5)
    with pytest.raises(mechanics.RangeError):
        mechanics.param_rule("sp", "sgd", "hidden", 0, 1)


def test_params_forward_gradient_against_numpy(batch):
    x, y, p = batch
    ref = NumpyMLP()
    with builtin() as m:
        m.params = p
        np.testing.assert_array_equal(np.asarray(m.params), p)
        f = np.asarray(m.forward(x))
        np.testing.assert_allclose(f, ref.forward(p, x), rtol=0, atol=1e-13)
        loss, grad = m.gradient(x, y)
        assert loss == pytest.approx(0.5 * np.sum((f - y) ** 2) / B, rel=1e-14)
        np.testing.assert_allclose(grad, ref.vjp(p, x, (f - y) / B), rtol=0, atol=1e-13)
        u = np.ones((B, O))
        np.testing.assert_allclose(m.vjp(x, u), ref.vjp(p, x, u), rtol=0, atol=1e-12)
        np.testing.assert_allclose(m.jvp(x, p), ref.jvp(p, x, p), rtol=0, atol=1e-12)
        # NTK = J J^T from numpy's VJPs of unit output directions
        k = np.asarray(m.ntk(x[:2]))
        jac = np.stack([ref.vjp(p, x[i:i + 1], np.eye(O)[o:o + 1])
                        for i in range(2) for o in range(O)])
        np.testing.assert_allclose(k, jac @ jac.T, rtol=1e-12, atol=1e-12)
        h = m.activations(x, 0)
        np.testing.assert_allclose(h, np.tanh(x @ ref.split(p)[0].T), atol=1e-14)


def test_prepared_hvp_equals_hvp_and_ends_with_a_change(batch):
    x, y, p = batch
    rng = np.random.default_rng(5)
    with builtin() as m:
        vs = rng.standard_normal((3, m.num_params))
        want = [np.asarray(m.hvp(x, y, v)) for v in vs]
        m.hvp_prepare(x, y)
        for v, w in zip(vs, want):
            np.testing.assert_array_equal(m.hvp_apply(v), w)
        m.params = p
        with pytest.raises(mechanics.StateError, match="hvp_prepare first"):
            m.hvp_apply(vs[0])


def test_linear_layers_embed_before_the_mlp():
    # one-hot tokens a, b -> summed embedding (linear) -> relu -> logits,
    # against the same network written in numpy
    p_, d, h = 5, 3, 4
    x = np.zeros((6, 2 * p_))
    a, b = np.arange(6) % p_, (2 * np.arange(6) + 1) % p_
    x[np.arange(6), a] = 1
    x[np.arange(6), p_ + b] = 1
    y = np.eye(p_)[(a + b) % p_]
    with Model("mlp", [2 * p_, d, h, p_], activation="relu", linear_layers=1,
               max_batch=8) as m:
        assert m.get("linear_layers") == 1
        e, w1, w2 = (np.asarray(m.layer_weights(i)) for i in range(3))
        z = (x @ e.T) @ w1.T
        f = np.maximum(z, 0) @ w2.T
        np.testing.assert_allclose(m.forward(x), f, rtol=0, atol=1e-13)
        # softmax cross-entropy gradient of the embedding, by hand
        q = np.exp(f - f.max(1, keepdims=True))
        q /= q.sum(1, keepdims=True)
        df = (q - y) / len(x)
        dz = (df @ w2) * (z > 0)
        ge = (dz @ w1).T @ x
        _, grad = m.gradient(x, y, loss="softmax_ce")
        np.testing.assert_allclose(np.asarray(grad)[:e.size], ge.ravel(), rtol=0, atol=1e-13)
    with pytest.raises(mechanics.InvalidArgumentError, match="no nonlinear hidden layer"):
        Model("mlp", [4, 3, 2], linear_layers=1)


def test_hvp_matches_finite_difference_of_gradient(batch):
    x, y, p = batch
    v = np.linspace(-1, 1, p.size)
    with builtin() as m:
        m.params = p
        hv = np.asarray(m.hvp(x, y, v))
        eps = 1e-5
        m.params = p + eps * v
        gp = np.asarray(m.gradient(x, y)[1])
        m.params = p - eps * v
        gm = np.asarray(m.gradient(x, y)[1])
    # central difference: O(eps^2) truncation, O(1e-16/eps) rounding
    np.testing.assert_allclose(hv, (gp - gm) / (2 * eps), rtol=0, atol=1e-8)


@pytest.mark.parametrize("exact", [True, False])
def test_numpy_callback_mlp_matches_builtin(batch, exact):
    x, y, p = batch
    with builtin() as m:
        m.params = p
        a0, a1 = m.layer(0)["weight_mult"], m.layer(1)["weight_mult"]
        ref = NumpyMLP(a0, a1)
        v = np.cos(np.arange(p.size))
        loss_b, grad_b = m.gradient(x, y)
        hv_b = np.asarray(m.hvp(x, y, v))
    with Model.from_callbacks(p.size, D, O, ref.forward, ref.vjp, ref.jvp,
                              ref.hvp2 if exact else None, params=p) as cb:
        assert cb.kind == "callback" and cb.num_params == p.size
        loss_c, grad_c = cb.gradient(x, y)
        assert loss_c == pytest.approx(loss_b, rel=1e-12)
        np.testing.assert_allclose(grad_c, grad_b, rtol=0, atol=1e-10)
        hv_c = np.asarray(cb.hvp(x, y, v))
        if exact:
            np.testing.assert_allclose(hv_c, hv_b, rtol=0, atol=1e-10)
        else:
            # Gauss-Newton J^T (I/B) J v for the 1/2-MSE loss
            gn = ref.vjp(p, x, ref.jvp(p, x, v) / B)
            np.testing.assert_allclose(hv_c, gn, rtol=0, atol=1e-10)
            assert np.abs(hv_c - hv_b).max() > 1e-6  # the exact HVP differs


def test_callback_exception_is_chained():
    def forward(p, x):
        raise ZeroDivisionError("boom")

    def zeros(*args):
        return np.zeros(1)

    with Model.from_callbacks(1, 1, 1, forward, zeros, zeros) as cb:
        with pytest.raises(mechanics.CallbackError) as info:
            cb.forward([[1.0]])
        assert isinstance(info.value.__cause__, ZeroDivisionError)
        with pytest.raises(mechanics.CallbackError) as info:
            # a wrong result shape is reported the same way
            cb.jvp([[1.0], [2.0]], [1.0])
        assert isinstance(info.value.__cause__, ValueError)


def test_save_load_and_bad_input(tmp_path, batch):
    x, y, p = batch
    with builtin() as m:
        m.params = p
        m.save(tmp_path / "m.bin")
        with Model.load(tmp_path / "m.bin") as back:
            np.testing.assert_array_equal(back.params, m.params)
            assert back.get("activation") == "tanh"
        with pytest.raises(mechanics.ShapeError):
            m.forward(np.zeros((2, D + 1)))
        with pytest.raises(mechanics.ShapeError):
            m.params = np.zeros(3)
        with pytest.raises(mechanics.NonFiniteError):
            m.params = np.full(p.size, np.nan)
        with pytest.raises(ValueError):
            m.gradient(x, y, loss="hinge")
    with pytest.raises(mechanics.FileIOError):
        Model.load(tmp_path / "absent.bin")

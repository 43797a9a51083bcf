"""Linear-network solvers through ctypes, against independent numpy/scipy
integrations and optimizations of the same settings."""
import pytest

import mechanics
from conftest import needs

np = pytest.importorskip("numpy")
integrate = pytest.importorskip("scipy.integrate")
optimize = pytest.importorskip("scipy.optimize")


@needs("mech_saxe_modes")
@pytest.mark.parametrize("depth", [2, 3, 4])
def test_saxe_modes_against_solve_ivp(depth):
    s, u0, t = np.array([2.0, 1.0, 0.5]), 0.01, np.linspace(0, 12, 25)

    def rhs(_, u):
        return depth * u ** (2 - 2 / depth) * (s - u)

    ref = integrate.solve_ivp(rhs, (0, 12), [u0] * 3, t_eval=t, rtol=1e-12, atol=1e-14).y.T
    u, rep = mechanics.saxe_modes(s, u0, t, depth=depth, report=True)
    # both integrations at rtol ~1e-12 (depth 2 is the closed form)
    assert np.asarray(u).shape == (25, 3)
    assert np.allclose(np.asarray(u), ref, rtol=1e-8, atol=1e-12)
    assert rep["error_estimate"] < 1e-8


@needs("mech_saxe_learning_time", "mech_saxe_schedule", "mech_saxe_loss")
def test_learning_time_schedule_and_loss():
    s, u0 = np.array([3.0, 1.0]), np.array([1e-3, 1e-3])
    t_half = np.asarray(mechanics.theory_deep.saxe_schedule(s, u0))
    assert np.allclose(t_half, np.log(s / u0 - 1) / (2 * s), rtol=1e-13)
    t = np.asarray(mechanics.theory_deep.saxe_learning_time(s, u0, 0.9 * s, depth=3))
    u = np.asarray(mechanics.saxe_modes(s, u0, [t[0]], depth=3))
    assert u[0, 0] == pytest.approx(2.7, rel=1e-8)
    loss = mechanics.theory_deep.saxe_loss(s, [[0.0, 0.0], [3.0, 1.0]], y_sq=11.0)
    assert list(loss) == pytest.approx([0.5 * 10 + 0.5, 0.5])


@needs("mech_deep_linear_flow")
def test_matrix_flow_against_solve_ivp():
    rng = np.random.default_rng(3)
    widths = [3, 4, 2]
    x = rng.standard_normal((20, 3)) * [1.0, 2.0, 0.5]
    y = rng.standard_normal((20, 2))
    sxx, syx, y_sq = x.T @ x / 20, y.T @ x / 20, np.mean(np.sum(y ** 2, axis=1))
    w0 = rng.standard_normal(3 * 4 + 4 * 2) * 0.5

    def rhs(_, w):
        w1, w2 = w[:12].reshape(4, 3), w[12:].reshape(2, 4)
        e = syx - w2 @ w1 @ sxx
        return np.concatenate([(w2.T @ e).ravel(), (e @ w1.T).ravel()])

    t = np.linspace(0, 3, 7)
    ref = integrate.solve_ivp(rhs, (0, 3), w0, t_eval=t, rtol=1e-12, atol=1e-14).y.T
    w, loss = mechanics.theory_deep.deep_linear_flow(widths, sxx, syx, w0, t, y_sq=y_sq)
    assert np.allclose(np.asarray(w), ref, rtol=0, atol=1e-7)
    for i in range(len(t)):
        W = ref[i, 12:].reshape(2, 4) @ ref[i, :12].reshape(4, 3)
        assert loss[i] == pytest.approx(0.5 * np.mean(np.sum((y - x @ W.T) ** 2, axis=1)),
                                        rel=1e-7)


@needs("mech_linreg_modes")
def test_linreg_modes_against_gd_loop():
    lam, ws, w0 = np.array([2.0, 0.5, 0.1]), np.array([1.0, -1.0, 3.0]), np.zeros(3)
    ridge, eta, noise = 0.2, 0.4, 0.01
    steps = np.arange(0.0, 30.0)
    loss, per_mode, obj = mechanics.linreg_modes(lam, ws, w0, steps, ridge=ridge,
                                                 noise_var=noise, eta=eta)
    w = w0.copy()
    for k in steps:
        assert loss[int(k)] == pytest.approx(0.5 * np.sum(lam * (w - ws) ** 2) + noise / 2,
                                             rel=1e-12)
        assert obj[int(k)] == pytest.approx(loss[int(k)] + 0.5 * ridge * w @ w, rel=1e-12)
        w = w - eta * (lam * (w - ws) + ridge * w)
    assert np.asarray(per_mode).shape == (30, 3)
    # gradient flow: the eta -> 0 limit of GD at t = eta k
    gf, _, _ = mechanics.linreg_modes(lam, ws, w0, [3.0], ridge=ridge)
    gd, _, _ = mechanics.linreg_modes(lam, ws, w0, [30000.0], ridge=ridge, eta=1e-4)
    assert gf[0] == pytest.approx(gd[0], rel=1e-3)


@needs("mech_diagonal_implicit_bias")
@pytest.mark.parametrize("alpha", [0.3, 1.0, 3.0])
def test_implicit_bias_against_slsqp(alpha):
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((3, 6)), rng.standard_normal(3)

    def q(beta):
        z = beta / alpha ** 2
        return alpha ** 2 * np.sum(2 - np.sqrt(4 + z ** 2) + z * np.arcsinh(z / 2))

    ref = optimize.minimize(q, np.linalg.pinv(x) @ y, method="SLSQP",
                            jac=lambda b: np.arcsinh(b / (2 * alpha ** 2)),
                            constraints={"type": "eq", "fun": lambda b: x @ b - y,
                                         "jac": lambda b: x},
                            options={"ftol": 1e-14, "maxiter": 500})
    beta, info = mechanics.diagonal_implicit_bias(x, y, alpha, report=True)
    assert info["residual"] < 1e-10
    # SLSQP converges to ~1e-7 in beta at ftol 1e-14
    assert np.allclose(np.asarray(beta), ref.x, atol=1e-5)
    assert q(np.asarray(beta)) <= q(ref.x) + 1e-10


@needs("mech_saxe_modes", "mech_diagonal_implicit_bias", "mech_linreg_modes")
def test_bad_input_raises():
    with pytest.raises(mechanics.RangeError):
        mechanics.saxe_modes([-1.0], 0.1, [0.0, 1.0])
    with pytest.raises(mechanics.InvalidArgumentError):
        mechanics.saxe_modes([1.0], 0.1, [0.0, 1.0], depth=1)
    with pytest.raises(mechanics.NonFiniteError):
        mechanics.saxe_modes([1.0], float("nan"), [0.0])
    with pytest.raises(mechanics.ShapeError):
        mechanics.saxe_modes([1.0, 2.0], [0.1], [0.0])
    with pytest.raises(mechanics.RangeError):
        mechanics.diagonal_implicit_bias([[1.0, 0.0]], [1.0], 0.0)
    with pytest.raises(mechanics.ShapeError):
        mechanics.diagonal_implicit_bias([[1.0, 0.0]], [1.0, 2.0], 1.0)
    with pytest.raises(mechanics.RangeError):
        mechanics.linreg_modes([1.0], [1.0], [0.0], [0.0], noise_var=-1.0)

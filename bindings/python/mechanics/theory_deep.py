"""Solvers for linear networks (mechanics/deep_linear.h, linreg.h,
diagonal.h): deep linear mode dynamics (Saxe et al. 2014), the matrix
gradient flow of deep linear networks, linear regression per eigenmode, and
the implicit bias of diagonal linear networks (Woodworth et al. 2020).

Inputs are anything arrays.as_input accepts; results are new Arrays. Scalars
are accepted where one value per mode is expected and broadcast."""
import ctypes

from . import _abi
from ._loader import lib
from .arrays import Array, as_input
from .errors import ShapeError, check
from .handle import ctx_handle


def _vector(x, name, n=None):
    """1-d input (a scalar is broadcast to n entries when n is given)."""
    if n is not None and isinstance(x, (int, float)):
        x = [float(x)] * n
    data, shape = as_input(x, name, 1)
    if n is not None and shape[0] != n:
        raise ShapeError(f"{name} has {shape[0]} entries, expected {n}")
    return data, shape[0]


def _report(struct_type):
    rep = struct_type()
    rep.size = ctypes.sizeof(struct_type)
    return rep


def _flow_dict(rep):
    return {"steps": rep.steps, "rhs_evals": rep.rhs_evals,
            "error_estimate": rep.error_estimate}


def saxe_modes(s, u0, t, depth=2, *, report=False):
    """Mode strengths u[i, a] at times t[i] of du/dt = L u^(2-2/L)(s - u) for
    target strengths s (> 0) from u0 (> 0; scalar or one per mode): an Array
    (len(t), len(s)). With report=True: (u, {steps, rhs_evals, error_estimate})."""
    ds, m = _vector(s, "s")
    du, _ = _vector(u0, "u0", m)
    dt, n_t = _vector(t, "t")
    out = Array((n_t, m))
    rep = _report(_abi.mech_flow_report)
    check(lib().mech_saxe_modes(ds, du, m, depth, dt, n_t, out.ctypes_data,
                                ctypes.byref(rep)))
    return (out, _flow_dict(rep)) if report else out


def saxe_loss(s, u, y_sq):
    """Loss 1/2 sum_a (s_a - u[i, a])^2 + 1/2 (y_sq - sum s^2) per row of u
    (whitened inputs; y_sq = E|y|^2)."""
    ds, m = _vector(s, "s")
    du, shape = as_input(u, "u", 2)
    if shape[1] != m:
        raise ShapeError(f"u has {shape[1]} columns, expected {m}")
    out = Array((shape[0],))
    check(lib().mech_saxe_loss(ds, du, m, shape[0], float(y_sq), out.ctypes_data))
    return out


def saxe_learning_time(s, u0, uf, depth=2):
    """Time for each mode to go from u0 to uf (strictly between u0 and s)."""
    ds, m = _vector(s, "s")
    du, _ = _vector(u0, "u0", m)
    dfin, _ = _vector(uf, "uf", m)
    out = Array((m,))
    check(lib().mech_saxe_learning_time(ds, du, dfin, m, depth, out.ctypes_data))
    return out


def saxe_schedule(s, u0, depth=2):
    """Stepwise schedule for small u0: time at which each mode reaches s/2."""
    ds, m = _vector(s, "s")
    du, _ = _vector(u0, "u0", m)
    out = Array((m,))
    check(lib().mech_saxe_schedule(ds, du, m, depth, out.ctypes_data))
    return out


def deep_linear_flow(widths, sigma_xx, sigma_yx, w0, t, *, y_sq=0.0, ctx=None,
                     report=False):
    """Gradient flow of W_{L-1}...W_0 on 1/2 E|y - W x|^2 for any Sigma_xx.
    widths: L + 1 sizes (input first); w0: the initial layers concatenated
    (W_l is widths[l+1] x widths[l], row-major). Returns (w, loss): w an
    Array (len(t), P) and loss (len(t)) (loss is exact only with the true
    y_sq = E|y|^2). With report=True a third item, the convergence dict."""
    widths = [int(w) for w in widths]
    depth = len(widths) - 1
    c_widths = (ctypes.c_size_t * len(widths))(*widths)
    dxx, sxx = as_input(sigma_xx, "sigma_xx", 2)
    dyx, syx = as_input(sigma_yx, "sigma_yx", 2)
    if depth >= 1 and (sxx != (widths[0], widths[0]) or syx != (widths[-1], widths[0])):
        raise ShapeError(f"sigma_xx {sxx} / sigma_yx {syx} do not fit widths {widths}")
    n_params = sum(widths[i + 1] * widths[i] for i in range(depth))
    dw0, n_w = _vector(w0, "w0")
    if n_w != n_params:
        raise ShapeError(f"w0 has {n_w} entries, expected {n_params}")
    dt, n_t = _vector(t, "t")
    w = Array((n_t, n_params))
    loss = Array((n_t,))
    rep = _report(_abi.mech_flow_report)
    check(lib().mech_deep_linear_flow(ctx_handle(ctx), depth, c_widths, dxx, dyx,
                                      float(y_sq), dw0, dt, n_t, w.ctypes_data,
                                      loss.ctypes_data, ctypes.byref(rep)))
    return (w, loss, _flow_dict(rep)) if report else (w, loss)


def linreg_modes(lam, w_star, w0, t, *, ridge=0.0, noise_var=0.0, eta=None):
    """Linear regression per eigenmode. Gradient flow at times t, or, with
    eta given, GD with rate eta after t[i] steps (non-negative integers).
    Returns (loss, loss_per_mode, objective): population 1/2-MSE (n,), its
    per-mode terms (n, d), and the trained objective loss + ridge/2 |w|^2."""
    dl, d = _vector(lam, "lambda")
    dws, _ = _vector(w_star, "w_star", d)
    dw0, _ = _vector(w0, "w0", d)
    dt, n = _vector(t, "t")
    loss, per_mode, obj = Array((n,)), Array((n, d)), Array((n,))
    discrete = eta is not None
    check(lib().mech_linreg_modes(dl, dws, dw0, d, float(ridge), float(noise_var), dt, n,
                                  discrete, float(eta) if discrete else 0.0,
                                  per_mode.ctypes_data, loss.ctypes_data, obj.ctypes_data))
    return loss, per_mode, obj


def diagonal_implicit_bias(x, y, alpha, *, ctx=None, report=False):
    """argmin sum alpha^2 q(beta_i/alpha^2) s.t. x beta = y: the limit of
    gradient flow on a diagonal linear network from w+ = w- = alpha. x is
    n x d with full row rank (n <= d). With report=True: (beta,
    {iterations, residual, decrement})."""
    dx, (n, d) = as_input(x, "x", 2)
    dy, _ = _vector(y, "y", n)
    beta = Array((d,))
    rep = _report(_abi.mech_implicit_bias_report)
    check(lib().mech_diagonal_implicit_bias(ctx_handle(ctx), dx, dy, n, d, float(alpha),
                                            beta.ctypes_data, ctypes.byref(rep)))
    info = {"iterations": rep.iterations, "residual": rep.residual,
            "decrement": rep.decrement}
    return (beta, info) if report else beta

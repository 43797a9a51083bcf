"""Scaling-law fits (mechanics/laws.h): the Chinchilla law
L(N, D) = E + A / N^alpha + B / D^beta, its compute-optimal allocation, and
power laws with an offset or a break.

Inputs are anything arrays.as_input accepts (1-d, float64); fits come back
as plain dicts. ctx (a Context or None) supplies the bootstrap's seed."""
import ctypes

from . import _abi
from ._loader import lib
from .arrays import as_input
from .errors import ShapeError, check
from .handle import ctx_handle

_LAW = ("E", "A", "B", "alpha", "beta")
_CHINCHILLA = _LAW + ("objective", "grad_norm", "n_starts", "n_converged", "iterations",
                      "n_used", "bootstrap")
_INTERVALS = tuple(f"{k}_{p}" for p in _LAW for k in ("se", "lo", "hi"))


def _runs(n, d, loss):
    dn, (count,) = as_input(n, "N", 1)
    dd, shape_d = as_input(d, "D", 1)
    dl, shape_l = as_input(loss, "loss", 1)
    if shape_d != (count,) or shape_l != (count,):
        raise ShapeError(f"N, D and loss must have one length, got {count}, "
                         f"{shape_d[0]}, {shape_l[0]}")
    return dn, dd, dl, count


def _fit_dict(r):
    out = {k: getattr(r, k) for k in _CHINCHILLA}
    if r.bootstrap > 0:
        out.update({k: getattr(r, k) for k in _INTERVALS})
    return out


def _law_struct(fit):
    r = _abi.mech_chinchilla_fit(size=ctypes.sizeof(_abi.mech_chinchilla_fit))
    for k in _LAW:
        setattr(r, k, float(fit[k]))
    return r


def fit_chinchilla(N, D, loss, delta=1e-3, bootstrap=0, *, drop_highest=0, ctx=None):
    """Fits the Chinchilla law as published (Huber loss on log L, L-BFGS
    from the 4500-point grid; mech_fit_chinchilla). With bootstrap > 0
    resamples, adds se_<p>, lo_<p>, hi_<p> (standard error and 95%
    percentile interval) for each p in E, A, B, alpha, beta. The
    replication drops the 5 runs with the highest loss: drop_highest=5."""
    dn, dd, dl, count = _runs(N, D, loss)
    r = _abi.mech_chinchilla_fit(size=ctypes.sizeof(_abi.mech_chinchilla_fit))
    check(lib().mech_fit_chinchilla(ctx_handle(ctx), dn, dd, dl, count, drop_highest, delta,
                                    bootstrap, ctypes.byref(r)))
    return _fit_dict(r)


def varpro_chinchilla(N, D, loss, *, ctx=None):
    """Least squares on L by variable projection (mech_varpro_chinchilla):
    a different estimator from fit_chinchilla, and a fast initializer for
    fit_chinchilla_from."""
    dn, dd, dl, count = _runs(N, D, loss)
    r = _abi.mech_chinchilla_fit(size=ctypes.sizeof(_abi.mech_chinchilla_fit))
    check(lib().mech_varpro_chinchilla(ctx_handle(ctx), dn, dd, dl, count, ctypes.byref(r)))
    return _fit_dict(r)


def fit_chinchilla_from(N, D, loss, start, delta=1e-3, *, ctx=None):
    """One Huber-LSE L-BFGS run from start (a dict with E, A, B, alpha, beta)."""
    dn, dd, dl, count = _runs(N, D, loss)
    s = _law_struct(start)
    r = _abi.mech_chinchilla_fit(size=ctypes.sizeof(_abi.mech_chinchilla_fit))
    check(lib().mech_fit_chinchilla_from(ctx_handle(ctx), dn, dd, dl, count, delta,
                                         ctypes.byref(s), ctypes.byref(r)))
    return _fit_dict(r)


def chinchilla_loss(fit, N, D):
    """E + A N^-alpha + B D^-beta for scalar N, D."""
    out = ctypes.c_double()
    check(lib().mech_chinchilla_loss(ctypes.byref(_law_struct(fit)), N, D, ctypes.byref(out)))
    return out.value


def compute_optimal(fit, C):
    """(N_opt, D_opt) minimizing the fitted loss at C = 6 N D FLOP; the
    tokens per parameter are D_opt / N_opt."""
    n_opt, d_opt = ctypes.c_double(), ctypes.c_double()
    check(lib().mech_chinchilla_compute_optimal(ctypes.byref(_law_struct(fit)), C,
                                                ctypes.byref(n_opt), ctypes.byref(d_opt)))
    return n_opt.value, d_opt.value


def _xy(x, y):
    dx, (n,) = as_input(x, "x", 1)
    dy, shape_y = as_input(y, "y", 1)
    if shape_y != (n,):
        raise ShapeError(f"x and y must have one length, got {n} and {shape_y[0]}")
    return dx, dy, n


def fit_power_law(x, y, offset=True):
    """Least squares on y of y = E + A x^-alpha (E = 0 without offset):
    dict with E, A, alpha, rss, evaluations."""
    dx, dy, n = _xy(x, y)
    r = _abi.mech_power_law_fit(size=ctypes.sizeof(_abi.mech_power_law_fit))
    check(lib().mech_fit_power_law(dx, dy, n, bool(offset), ctypes.byref(r)))
    return {k: getattr(r, k) for k in ("E", "A", "alpha", "rss", "evaluations")}


def fit_broken_power_law(x, y):
    """Least squares on log y of the continuous broken power law: dict with
    A, alpha1, alpha2, x_break, rss."""
    dx, dy, n = _xy(x, y)
    r = _abi.mech_broken_power_law_fit(size=ctypes.sizeof(_abi.mech_broken_power_law_fit))
    check(lib().mech_fit_broken_power_law(dx, dy, n, ctypes.byref(r)))
    return {k: getattr(r, k) for k in ("A", "alpha1", "alpha2", "x_break", "rss")}


__all__ = ["chinchilla_loss", "compute_optimal", "fit_broken_power_law", "fit_chinchilla",
           "fit_chinchilla_from", "fit_power_law", "varpro_chinchilla"]

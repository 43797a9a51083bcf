"""Scaling-law fits (mechanics/laws.h): the Chinchilla law
L(N, D) = E + A / N^alpha + B / D^beta, its compute-optimal allocation, and
power laws with an offset or a break; power-law models of scaling
(loss against time, data, width and compute from exact spectral sums);
the learning-rate transfer sweep; stability thresholds, SDE scaling rules
and the critical batch size (mechanics/stability.h).

Inputs are anything arrays.as_input accepts (1-d, float64); fits come back
as plain dicts. ctx (a Context or None) supplies the bootstrap's seed."""
import ctypes

import math

from . import _abi, enums
from ._loader import lib
from .arrays import Array, as_input
from .errors import DivergedError, ShapeError, check
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


def _kind(kind):
    return enums.value("mech_powerlaw_kind", kind, "power-law model kind")


def _optimizer(kind):
    return enums.value("mech_optimizer_kind", kind, "optimizer kind")


def powerlaw_model_curve(kind, alpha, beta, x):
    """Loss of a power-law model (lambda_k = k^-alpha, target share
    k^-(1 + alpha beta)) at each x: kind "time" (gradient-flow time),
    "data" (ridgeless kernel regression on x samples), "width" (x random
    features, unlimited data) or "compute" (the compute-optimal frontier at
    C = x); an Array."""
    dx, (n,) = as_input(x, "x", 1)
    out = Array((n,))
    check(lib().mech_powerlaw_model_curve(_kind(kind), alpha, beta, dx, n, out._data))
    return out


def powerlaw_model_loss(alpha, beta, width, t):
    """Loss of `width` random features after gradient-flow time t."""
    out = ctypes.c_double()
    check(lib().mech_powerlaw_model_loss(alpha, beta, width, t, ctypes.byref(out)))
    return out.value


def powerlaw_compute_frontier(alpha, beta, c):
    """(loss, width_opt) Arrays: the minimum over N of the width-and-time
    loss at compute C = N t for each budget in c, and the minimizing N."""
    dc, (n,) = as_input(c, "c", 1)
    loss, width = Array((n,)), Array((n,))
    check(lib().mech_powerlaw_compute_frontier(alpha, beta, dc, n, loss._data, width._data))
    return loss, width


def powerlaw_model_exponent(kind, alpha, beta, lo, hi):
    """(fitted, predicted): minus the log-log slope of the model's curve
    fitted over [lo, hi], and the asymptotic exponent."""
    f, p = ctypes.c_double(), ctypes.c_double()
    check(lib().mech_powerlaw_model_exponent(_kind(kind), alpha, beta, lo, hi,
                                             ctypes.byref(f), ctypes.byref(p)))
    return f.value, p.value


def lr_sweep_best(widths, lrs, losses):
    """Best learning rate per width from final losses of shape
    (len(widths), len(lrs), n_seeds): dict with best_lr and shift (Arrays,
    one per width; shift in grid steps relative to the first width) and
    slope (of ln best_lr against ln width). NaN/Inf losses count as
    diverged (mech_lr_sweep_best)."""
    dw, (nw,) = as_input(widths, "widths", 1)
    dl, (nl,) = as_input(lrs, "lrs", 1)
    dloss, shape = as_input(losses, "losses", 3)
    if shape[:2] != (nw, nl):
        raise ShapeError(f"losses must have shape ({nw}, {nl}, n_seeds), got {shape}")
    best, shift, slope = Array((nw,)), Array((nw,)), ctypes.c_double()
    check(lib().mech_lr_sweep_best(dw, nw, dl, nl, dloss, shape[2], best._data, shift._data,
                                   ctypes.byref(slope)))
    return {"best_lr": best, "shift": shift, "slope": slope.value}


def lr_sweep(widths, lrs, seeds, train_fn):
    """Runs train_fn(width, lr, seed) -> final loss for every combination
    and returns lr_sweep_best's dict plus "losses" (nested lists
    [width][lr][seed]). A train_fn raising DivergedError, or returning
    NaN/Inf, counts as diverged."""
    losses = []
    for w in widths:
        per_lr = []
        for lr in lrs:
            per_seed = []
            for seed in seeds:
                try:
                    loss = float(train_fn(w, lr, seed))
                except DivergedError:
                    loss = math.inf
                per_seed.append(loss)
            per_lr.append(per_seed)
        losses.append(per_lr)
    out = lr_sweep_best([float(w) for w in widths], [float(lr) for lr in lrs], losses)
    out["losses"] = losses
    return out


def stability_threshold(optimizer, lr, momentum=0.0):
    """Largest stable sharpness (lambda_max of H, or of P^-1 H for the
    adaptive kinds) at learning rate lr; momentum is MOMENTUM or BETA1."""
    out = ctypes.c_double()
    check(lib().mech_stability_threshold(_optimizer(optimizer), lr, momentum,
                                         ctypes.byref(out)))
    return out.value


def stability_max_lr(optimizer, sharpness, momentum=0.0):
    """Largest stable learning rate at a sharpness."""
    out = ctypes.c_double()
    check(lib().mech_stability_max_lr(_optimizer(optimizer), sharpness, momentum,
                                      ctypes.byref(out)))
    return out.value


def sde_scale(optimizer, kappa, lr, beta1=None, beta2=None, eps=None):
    """Hyperparameters for a batch size kappa times larger (linear rule for
    SGD, square-root rule for Adam/AdamW/RMSProp): dict with lr and the
    betas/eps that were given (rescaled)."""
    vals = {k: ctypes.c_double(v) for k, v in
            (("lr", lr), ("beta1", beta1), ("beta2", beta2), ("eps", eps)) if v is not None}

    def ref(k):
        return ctypes.byref(vals[k]) if k in vals else None

    check(lib().mech_sde_scale(_optimizer(optimizer), kappa, ref("lr"), ref("beta1"),
                               ref("beta2"), ref("eps")))
    return {k: v.value for k, v in vals.items()}


def critical_batch(g_small_sq, g_big_sq, b_small, b_big):
    """Gradient noise scale from squared mini-batch gradient norms at two
    batch sizes: dict with b_simple, g_sq (|G|^2) and tr_sigma."""
    b, g, s = ctypes.c_double(), ctypes.c_double(), ctypes.c_double()
    check(lib().mech_critical_batch(g_small_sq, g_big_sq, b_small, b_big, ctypes.byref(b),
                                    ctypes.byref(g), ctypes.byref(s)))
    return {"b_simple": b.value, "g_sq": g.value, "tr_sigma": s.value}


__all__ = ["chinchilla_loss", "compute_optimal", "critical_batch", "fit_broken_power_law",
           "fit_chinchilla", "fit_chinchilla_from", "fit_power_law", "lr_sweep",
           "lr_sweep_best", "powerlaw_compute_frontier", "powerlaw_model_curve",
           "powerlaw_model_exponent", "powerlaw_model_loss", "sde_scale", "stability_max_lr",
           "stability_threshold", "varpro_chinchilla"]

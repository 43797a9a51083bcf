"""Probes of representations and weights on raw arrays (mechanics/metrics.h).

Inputs are anything arrays.as_input accepts (float64; labels int64);
several-number results come back as dicts of the C result struct's fields.
ctx (a Context or None) supplies the thread count. Information-plane
estimates are in nats."""
import ctypes

from . import _abi
from ._loader import lib
from .arrays import Array, as_input
from .errors import ShapeError, check
from .handle import ctx_handle

_ESTIMATORS = {"biased": _abi.MECH_HSIC_BIASED, "unbiased": _abi.MECH_HSIC_UNBIASED}


def _result(struct):
    out = struct()
    out.size = ctypes.sizeof(struct)
    return out


def _fields(res):
    return {name: getattr(res, name) for name, _ in res._fields_ if name != "size"}


def _pair(x, y, fn):
    dx, (n, p1) = as_input(x, "x", 2)
    dy, (ny, p2) = as_input(y, "y", 2)
    if ny != n:
        raise ShapeError(f"{fn}: x has {n} rows but y has {ny}")
    return dx, dy, n, p1, p2


def _estimator(name):
    if name not in _ESTIMATORS:
        raise ValueError(f"estimator must be one of {sorted(_ESTIMATORS)}, got {name!r}")
    return _ESTIMATORS[name]


def _labels(labels, n, fn):
    if labels is None:
        return None
    try:
        data, shape = as_input(labels, "labels", 1, ctypes.c_int64)
    except TypeError:
        # integer buffers of another width (int32, ...): copy them as ints
        values = [int(v) for v in labels]
        if any(v != u for v, u in zip(values, labels)):
            raise TypeError("labels must be integers") from None
        data, shape = (ctypes.c_int64 * len(values))(*values), (len(values),)
    if shape[0] != n:
        raise ShapeError(f"{fn}: {shape[0]} labels for {n} rows")
    return data


def hsic(x, y, *, estimator="biased", ctx=None):
    """Linear-kernel HSIC of x (n x p1) and y (n x p2)."""
    dx, dy, n, p1, p2 = _pair(x, y, "hsic")
    out = ctypes.c_double()
    check(lib().mech_hsic(ctx_handle(ctx), dx, n, p1, dy, p2, _estimator(estimator),
                          ctypes.byref(out)))
    return out.value


def cka(x, y, *, estimator="biased", ctx=None):
    """Linear CKA of x (n x p1) and y (n x p2)."""
    dx, dy, n, p1, p2 = _pair(x, y, "cka")
    out = ctypes.c_double()
    check(lib().mech_cka(ctx_handle(ctx), dx, n, p1, dy, p2, _estimator(estimator),
                         ctypes.byref(out)))
    return out.value


def cka_permutation_test(x, y, rng, n_perm=999, *, estimator="biased", ctx=None):
    """(CKA, permutation p-value) with n_perm row permutations of y drawn
    from rng (an Rng, which advances)."""
    dx, dy, n, p1, p2 = _pair(x, y, "cka_permutation_test")
    value, p = ctypes.c_double(), ctypes.c_double()
    check(lib().mech_cka_permutation_test(ctx_handle(ctx), dx, n, p1, dy, p2,
                                          _estimator(estimator), n_perm, rng.handle,
                                          ctypes.byref(value), ctypes.byref(p)))
    return value.value, p.value


def matrix_spectrum(a, *, center_columns=False, ctx=None):
    """(dict of norms and ranks, singular values) of the matrix a."""
    data, (m, n) = as_input(a, "a", 2)
    s = Array((min(m, n),))
    res = _result(_abi.mech_spectrum_result)
    check(lib().mech_matrix_spectrum(ctx_handle(ctx), data, m, n, center_columns,
                                     s.ctypes_data, ctypes.byref(res)))
    return _fields(res), s


def effective_rank(eigenvalues):
    """(participation ratio, entropy rank) of eigenvalues >= 0."""
    data, (m,) = as_input(eigenvalues, "eigenvalues", 1)
    pr, er = ctypes.c_double(), ctypes.c_double()
    check(lib().mech_effective_rank(data, m, ctypes.byref(pr), ctypes.byref(er)))
    return pr.value, er.value


def power_law_fit(values, *, min_tail=0):
    """Power-law fit (alpha, x_min, ks_distance, n_tail, alpha_se) as a dict."""
    data, (m,) = as_input(values, "values", 1)
    res = _result(_abi.mech_power_law_result)
    check(lib().mech_power_law_fit(data, m, min_tail, ctypes.byref(res)))
    return _fields(res)


def weight_power_law(w, *, min_tail=0, ctx=None):
    """(power-law fit dict, eigenvalues of w^T w) of the weight matrix w."""
    data, (m, n) = as_input(w, "w", 2)
    eig = Array((min(m, n),))
    res = _result(_abi.mech_power_law_result)
    check(lib().mech_weight_power_law(ctx_handle(ctx), data, m, n, min_tail, eig.ctypes_data,
                                      ctypes.byref(res)))
    return _fields(res), eig


def neural_collapse(h, labels, n_classes, w=None, bias=None, *, ctx=None):
    """NC1-NC4 of features h (n x p) as a dict (nc3, nc4 NaN without w)."""
    dh, (n, p) = as_input(h, "h", 2)
    dl = _labels(labels, n, "neural_collapse")
    dw = db = None
    if w is not None:
        dw, shape = as_input(w, "w", 2)
        if shape != (n_classes, p):
            raise ShapeError(f"neural_collapse: w has shape {shape}, expected {(n_classes, p)}")
    if bias is not None:
        db, shape = as_input(bias, "bias", 1)
        if shape != (n_classes,):
            raise ShapeError(f"neural_collapse: bias has shape {shape}, expected ({n_classes},)")
    res = _result(_abi.mech_neural_collapse_result)
    check(lib().mech_neural_collapse(ctx_handle(ctx), dh, n, p, dl, n_classes, dw, db,
                                     ctypes.byref(res)))
    return _fields(res)


def agop(grads, *, ctx=None):
    """Average gradient outer product grads^T grads / n (d x d)."""
    data, (n, d) = as_input(grads, "grads", 2)
    out = Array((d, d))
    check(lib().mech_agop(ctx_handle(ctx), data, n, d, out.ctypes_data))
    return out


def nfa_correlation(w1, agop_matrix, *, ctx=None):
    """(Pearson, cosine) correlation of w1^T w1 (w1: k x d) with the AGOP."""
    dw, (k, d) = as_input(w1, "w1", 2)
    da, shape = as_input(agop_matrix, "agop", 2)
    if shape != (d, d):
        raise ShapeError(f"nfa_correlation: agop has shape {shape}, expected {(d, d)}")
    pearson, cosine = ctypes.c_double(), ctypes.c_double()
    check(lib().mech_nfa_correlation(ctx_handle(ctx), dw, k, d, da, ctypes.byref(pearson),
                                     ctypes.byref(cosine)))
    return pearson.value, cosine.value


def _kernel(k, name):
    data, (n, n2) = as_input(k, name, 2)
    if n != n2:
        raise ShapeError(f"{name} must be square, got {n} x {n2}")
    return data, n


def kernel_target_alignment(k, y, *, centered=False, ctx=None):
    """<K, y y^T>_F / (|K|_F |y y^T|_F); y is n or n x c."""
    dk, n = _kernel(k, "k")
    dy, shape = as_input(y, "y")
    if len(shape) not in (1, 2) or shape[0] != n:
        raise ShapeError(f"kernel_target_alignment: y has shape {shape}, expected ({n},) or ({n}, c)")
    c = shape[1] if len(shape) == 2 else 1
    out = ctypes.c_double()
    check(lib().mech_kernel_target_alignment(ctx_handle(ctx), dk, n, dy, c, centered,
                                             ctypes.byref(out)))
    return out.value


def kernel_distance(k1, k2):
    """1 - <K1, K2>_F / (|K1|_F |K2|_F)."""
    d1, n = _kernel(k1, "k1")
    d2, n2 = _kernel(k2, "k2")
    if n2 != n:
        raise ShapeError(f"kernel_distance: kernels are {n} x {n} and {n2} x {n2}")
    out = ctypes.c_double()
    check(lib().mech_kernel_distance(d1, d2, n, ctypes.byref(out)))
    return out.value


def information_plane_binned(t, labels=None, n_classes=0, *, n_bins=30):
    """Binned I(X;T), I(T;Y) (nats) and the number of distinct patterns."""
    dt, (n, p) = as_input(t, "t", 2)
    res = _result(_abi.mech_information_plane)
    check(lib().mech_information_plane_binned(dt, n, p, _labels(labels, n, "binned"),
                                              n_classes, n_bins, ctypes.byref(res)))
    return _fields(res)


def information_plane_kde(t, labels=None, n_classes=0, *, noise_var=0.1, ctx=None):
    """KDE upper bounds of I(X;T), I(T;Y) in nats with noise variance noise_var."""
    dt, (n, p) = as_input(t, "t", 2)
    res = _result(_abi.mech_information_plane)
    check(lib().mech_information_plane_kde(ctx_handle(ctx), dt, n, p,
                                           _labels(labels, n, "kde"), n_classes, noise_var,
                                           ctypes.byref(res)))
    return _fields(res)

"""Dense linear algebra over row-major float64 arrays (mechanics/linalg.h).

Inputs are anything arrays.as_input accepts; results are new Arrays.
ctx (a Context or None) supplies the thread count."""
import ctypes

from ._loader import lib
from .arrays import Array, as_input
from .errors import ShapeError, check
from .handle import ctx_handle


def gemm(a, b, c=None, *, alpha=1.0, beta=0.0, trans_a=False, trans_b=False, ctx=None):
    """alpha op(a) op(b) + beta c as a new m x n Array (c is not modified)."""
    da, (ra, ca) = as_input(a, "a", 2)
    db, (rb, cb) = as_input(b, "b", 2)
    m, k = (ca, ra) if trans_a else (ra, ca)
    kb, n = (cb, rb) if trans_b else (rb, cb)
    if k != kb:
        raise ShapeError(f"gemm: op(a) is {m} x {k} but op(b) is {kb} x {n}")
    out = Array((m, n))
    if c is not None:
        dc, shape_c = as_input(c, "c", 2)
        if shape_c != (m, n):
            raise ShapeError(f"gemm: c has shape {shape_c}, expected {(m, n)}")
        ctypes.memmove(out.ctypes_data, dc, out.nbytes)
    check(lib().mech_gemm(ctx_handle(ctx), trans_a, trans_b, m, n, k, alpha,
                          da, ca, db, cb, beta, out.ctypes_data, n))
    return out


def _square(a, name):
    data, (r, c) = as_input(a, "a", 2)
    if r != c:
        raise ShapeError(f"{name}: a must be square, got {r} x {c}")
    return data, r


def syev(a, *, vectors=True, ctx=None):
    """Eigenvalues w (ascending) of the symmetric matrix a (lower triangle
    read), and with vectors=True the eigenvectors as columns: (w, v)."""
    data, n = _square(a, "syev")
    w = Array((n,))
    v = Array((n, n)) if vectors else None
    check(lib().mech_syev(ctx_handle(ctx), n, data, n, w.ctypes_data,
                          v.ctypes_data if vectors else None))
    return (w, v) if vectors else w


def svd(a, *, vectors=True, ctx=None):
    """Thin SVD: singular values s (descending); with vectors=True (u, s, vt)."""
    data, (m, n) = as_input(a, "a", 2)
    r = min(m, n)
    s = Array((r,))
    u = Array((m, r)) if vectors else None
    vt = Array((r, n)) if vectors else None
    check(lib().mech_svd(ctx_handle(ctx), m, n, data, n, s.ctypes_data,
                         u.ctypes_data if vectors else None,
                         vt.ctypes_data if vectors else None))
    return (u, s, vt) if vectors else s


def cholesky_solve(a, b, *, ctx=None):
    """x with a x = b for symmetric positive definite a (lower triangle
    read); b is n or n x nrhs, x has b's shape. LinAlgError if a is not
    positive definite."""
    data_a, n = _square(a, "cholesky_solve")
    data_b, shape_b = as_input(b, "b")
    if len(shape_b) not in (1, 2) or shape_b[0] != n:
        raise ShapeError(f"cholesky_solve: b has shape {shape_b}, expected ({n},) or ({n}, k)")
    nrhs = shape_b[1] if len(shape_b) == 2 else 1
    x = Array(shape_b)
    ctypes.memmove(x.ctypes_data, data_b, x.nbytes)
    check(lib().mech_cholesky_solve(ctx_handle(ctx), n, nrhs, data_a, n,
                                    x.ctypes_data, nrhs))
    return x

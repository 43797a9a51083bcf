"""Theory solvers: eigenlearning predictions of kernel ridge regression
(mechanics/eigenlearning.h) and the soft-committee order-parameter ODEs
(mechanics/committee.h). Results are dicts of floats and Arrays."""
import ctypes

from . import _abi, enums
from ._loader import lib
from .arrays import Array, as_input
from .errors import ShapeError, check
from .handle import ctx_handle


def _vector(a, name, n=None):
    data, (m,) = as_input(a, name, 1)
    if n is not None and m != n:
        raise ShapeError(f"{name}: expected {n} entries, got {m}")
    return data, m


def _matrix(a, name, rows, cols):
    data, shape = as_input(a, name)
    if tuple(shape) != (rows, cols):
        raise ShapeError(f"{name}: expected shape ({rows}, {cols}), got {tuple(shape)}")
    return data


def eigenlearning(eigenvalues, coefficients, n, ridge=0.0, noise_var=0.0):
    """Predicted KRR errors from the kernel eigenvalues and the target's
    eigen-coefficients v_i (not squared) with n samples: {'kappa', 'E0',
    'test_mse', 'train_mse', 'learnabilities' (Array), 'sum_learnability',
    'iterations', 'residual'}."""
    de, m = _vector(eigenvalues, "eigenvalues")
    dc, _ = _vector(coefficients, "coefficients", m)
    learn = Array((m,))
    out = _abi.mech_eigenlearning_result(size=ctypes.sizeof(_abi.mech_eigenlearning_result))
    check(lib().mech_eigenlearning(de, dc, m, n, ridge, noise_var, learn.ctypes_data,
                                   ctypes.byref(out)))
    return {"kappa": out.kappa, "E0": out.e0, "test_mse": out.test_mse,
            "train_mse": out.train_mse, "learnabilities": learn,
            "sum_learnability": out.sum_learnability, "iterations": out.iterations,
            "residual": out.residual}


def kernel_eigensystem(kernel, weights=None, target=None, eigenfunctions=False, ctx=None):
    """Eigensystem of a kernel matrix on M points with weights p (None:
    uniform): {'eigenvalues' (descending)} plus 'coefficients' of target
    (M values f*(x_j)) when given and 'eigenfunctions' (M x M, column i is
    phi_i, normalized in L2(p)) when asked."""
    dk, shape = as_input(kernel, "kernel", 2)
    m = shape[0]
    if shape != (m, m):
        raise ShapeError(f"kernel must be square, got {shape}")
    dw = None if weights is None else _vector(weights, "weights", m)[0]
    dt = None if target is None else _vector(target, "target", m)[0]
    vals = Array((m,))
    coef = Array((m,)) if target is not None else None
    funcs = Array((m, m)) if eigenfunctions else None
    check(lib().mech_kernel_eigensystem(ctx_handle(ctx), dk, dw, m, dt, vals.ctypes_data,
                                        coef.ctypes_data if coef is not None else None,
                                        funcs.ctypes_data if funcs is not None else None))
    out = {"eigenvalues": vals}
    if coef is not None:
        out["coefficients"] = coef
    if funcs is not None:
        out["eigenfunctions"] = funcs
    return out


def gcv_estimate(kernel, y, ridges, ctx=None):
    """GCV/KARE estimates of KRR test error, one per ridge (Array)."""
    dk, shape = as_input(kernel, "kernel", 2)
    n = shape[0]
    if shape != (n, n):
        raise ShapeError(f"kernel must be square, got {shape}")
    dy, _ = _vector(y, "y", n)
    dr, k = _vector(ridges, "ridges")
    out = Array((k,))
    check(lib().mech_gcv_estimate(ctx_handle(ctx), dk, n, dy, dr, k, out.ctypes_data))
    return out


def _act(activation):
    return enums.value("mech_committee_act", activation, "committee activation")


def _order_parameters(Q, R, T, v, A):
    """K and M from v and A, then every array checked against them."""
    dv, k = _vector(v, "v")
    da, m = _vector(A, "A")
    return (k, m, _matrix(Q, "Q", k, k), _matrix(R, "R", k, m), _matrix(T, "T", m, m),
            dv, da)


def committee_eps_g(Q, R, T, v, A, activation="scaled_erf"):
    """Generalization error of order parameters Q (K x K), R (K x M),
    T (M x M) with second layers v (K) and A (M)."""
    k, m, dq, dr, dt, dv, da = _order_parameters(Q, R, T, v, A)
    out = ctypes.c_double()
    check(lib().mech_committee_eps_g(_act(activation), k, m, dq, dr, dt, dv, da,
                                     ctypes.byref(out)))
    return out.value


def committee_gaussian(cov, which="i2", activation="scaled_erf"):
    """One Gaussian integral ("i2", "j2", "i3", "i4") over zero-mean
    fields with covariance cov (2x2, 2x2, 3x3, 4x4)."""
    dc, _ = as_input(cov, "cov")
    out = ctypes.c_double()
    check(lib().mech_committee_gaussian(
        _act(activation), enums.value("mech_committee_integral", which, "integral"), dc,
        ctypes.byref(out)))
    return out.value


def committee_ode(Q, R, T, v, A, lr, alphas, lr2=0.0, noise_std=0.0,
                  activation="scaled_erf", weight_decay=0.0, ctx=None):
    """Integrates the online-SGD order-parameter ODEs from (Q, R, v) at
    alpha = 0: {'alphas', 'eps_g' (n_alpha), 'Q' (n_alpha x K x K),
    'R' (n_alpha x K x M), 'v' (n_alpha x K)} at the sorted alphas."""
    k, m, dq, dr, dt, dv, da = _order_parameters(Q, R, T, v, A)
    dal, n = _vector(alphas, "alphas")
    eps, q_out, r_out = Array((n,)), Array((n, k, k)), Array((n, k, m))
    v_out = Array((n, k))
    check(lib().mech_committee_ode(ctx_handle(ctx), _act(activation), k, m, dq, dr, dt, dv,
                                   da, lr, lr2, noise_std, weight_decay, dal, n,
                                   eps.ctypes_data, q_out.ctypes_data, r_out.ctypes_data,
                                   v_out.ctypes_data))
    return {"alphas": Array.copy_of(dal, (n,)), "eps_g": eps, "Q": q_out, "R": r_out,
            "v": v_out}

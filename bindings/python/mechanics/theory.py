"""Theory solvers: eigenlearning predictions of kernel and random-feature
ridge regression (mechanics/eigenlearning.h), infinite-width NNGP/NTK
kernels, linearized training and kernel regression (mechanics/kernels.h),
and the soft-committee order-parameter ODEs (mechanics/committee.h).
Results are dicts of floats and Arrays."""
import ctypes

from . import _abi, enums
from ._loader import lib
from .arrays import Array, as_input
from .errors import ShapeError, check
from .handle import Handle, ctx_handle, new_handle


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


def rf_eigenlearning(eigenvalues, coefficients, n, k, ridge=0.0, noise_var=0.0):
    """Predicted errors of random-feature ridge regression with k features
    whose limiting kernel has the given eigensystem (k -> inf gives
    eigenlearning): {'kappa', 'gamma', 'E0', 'test_mse', 'train_mse',
    'learnabilities' (Array, L_i = lambda_i/(lambda_i + gamma)),
    'sum_learnability', 'iterations', 'residual'}."""
    de, m = _vector(eigenvalues, "eigenvalues")
    dc, _ = _vector(coefficients, "coefficients", m)
    gamma = ctypes.c_double()
    out = _abi.mech_eigenlearning_result(size=ctypes.sizeof(_abi.mech_eigenlearning_result))
    check(lib().mech_rf_eigenlearning(de, dc, m, n, k, ridge, noise_var, ctypes.byref(gamma),
                                      ctypes.byref(out)))
    learn = Array((m,))
    for i in range(m):
        learn._data[i] = de[i] / (de[i] + gamma.value)
    return {"kappa": out.kappa, "gamma": gamma.value, "E0": out.e0,
            "test_mse": out.test_mse, "train_mse": out.train_mse, "learnabilities": learn,
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


# ---------------- infinite-width kernels (mechanics/kernels.h) ----------------

def _points(x, name):
    data, shape = as_input(x, name)
    if len(shape) == 1:
        shape = (shape[0], 1)
    if len(shape) != 2:
        raise ShapeError(f"{name}: expected a 2-D array of points, got shape {shape}")
    return data, shape


def nngp_ntk(x1, x2=None, depth=1, activation="relu", sigma_w2=2.0, sigma_b2=0.0, ctx=None):
    """Infinite-width readout kernels (nngp, ntk) of an MLP with `depth`
    hidden layers between the rows of x1 (n1 x dim) and of x2 (n2 x dim;
    None: x1) as two n1 x n2 Arrays. NTK parametrization: the first layer
    sees sigma_w2 x.x'/dim + sigma_b2 (inputs normalized by their
    dimension); the readout carries the same sigma_w2, sigma_b2."""
    d1, (n1, dim) = _points(x1, "x1")
    d2, n2 = None, n1
    if x2 is not None:
        d2, (n2, dim2) = _points(x2, "x2")
        if dim2 != dim:
            raise ShapeError(f"x2 has {dim2} columns, x1 has {dim}")
    act = enums.value("mech_activation", activation, "activation")
    nngp, ntk = Array((n1, n2)), Array((n1, n2))
    check(lib().mech_nngp_ntk(ctx_handle(ctx), act, depth, sigma_w2, sigma_b2, d1, n1, d2, n2,
                              dim, nngp.ctypes_data, ntk.ctypes_data))
    return nngp, ntk


def gaussian_expectation(k11, k12, k22, activation="relu", which="phi_phi", nodes=0):
    """E[g(u) g(v)] with g = phi (which="phi_phi") or phi' ("dphi_dphi") and
    (u, v) ~ N(0, [[k11, k12], [k12, k22]]). nodes = 0: closed form where
    there is one, else the default quadrature; nodes >= 2: quadrature."""
    out = ctypes.c_double()
    check(lib().mech_gaussian_expectation(
        enums.value("mech_activation", activation, "activation"),
        enums.value("mech_gauss_moment", which, "moment"), k11, k12, k22, nodes,
        ctypes.byref(out)))
    return out.value


def kernel_regression(k_train, k_test_train, y, ridge=0.0, ctx=None):
    """K_test_train (K_train + ridge I)^-1 y: an Array (m,) for y of shape
    (n,), (m, out_dim) for y of shape (n, out_dim). ridge is added to the
    diagonal as is."""
    dk, shape = as_input(k_train, "k_train", 2)
    n = shape[0]
    if shape != (n, n):
        raise ShapeError(f"k_train must be square, got {shape}")
    dy, yshape = as_input(y, "y")
    if yshape[0] != n or len(yshape) > 2:
        raise ShapeError(f"y: expected shape ({n},) or ({n}, out_dim), got {yshape}")
    out_dim = yshape[1] if len(yshape) == 2 else 1
    dkt, tshape = as_input(k_test_train, "k_test_train", 2)
    if tshape[1] != n:
        raise ShapeError(f"k_test_train: expected {n} columns, got shape {tshape}")
    m = tshape[0]
    out = Array((m,) + yshape[1:])
    check(lib().mech_kernel_regression(ctx_handle(ctx), dk, dkt, dy, n, m, out_dim, ridge,
                                       out.ctypes_data))
    return out


class _LinearizedHandle(Handle):
    _prefix = "linearized"


class Linearized:
    """Predictions of a network linearized around its initialization and
    trained on the loss (1/2n) sum (f - y)^2 with NTK theta_train (n x n)
    and theta_test_train (m x n, or None). Use linearized(...) to make one.

    at_time(t, f0_train, y, f0_test) gives (f_train, f_test) after gradient
    flow for time t (t = eta k); at_steps(k, eta, ...) after k GD steps of
    rate eta. f0_train, f0_test (outputs at initialization) may be None
    (zero); y and f0 are (n,) or (n, out_dim), results have the same
    layout; f_test is None without test points. The eigendecomposition of
    theta is kept while the same f0_train, y, f0_test are passed again."""

    def __init__(self, theta_train, theta_test_train=None, ctx=None):
        dt, shape = as_input(theta_train, "theta_train", 2)
        n = shape[0]
        if shape != (n, n):
            raise ShapeError(f"theta_train must be square, got {shape}")
        self.n, self.m = n, 0
        self._theta = dt
        self._theta_test = None
        if theta_test_train is not None:
            self._theta_test, tshape = as_input(theta_test_train, "theta_test_train", 2)
            if tshape[1] != n:
                raise ShapeError(f"theta_test_train: expected {n} columns, got {tshape}")
            self.m = tshape[0]
        self._ctx = ctx
        self._handle, self._key, self._layout = None, None, None

    def _prepare(self, f0_train, y, f0_test):
        dy, yshape = as_input(y, "y")
        if yshape[0] != self.n or len(yshape) > 2:
            raise ShapeError(f"y: expected shape ({self.n},) or ({self.n}, out_dim), "
                             f"got {yshape}")
        out_dim = yshape[1] if len(yshape) == 2 else 1

        def optional(a, name, rows):
            if a is None:
                return None
            data, shape = as_input(a, name)
            if _prod_shape(shape) != rows * out_dim or shape[0] != rows:
                raise ShapeError(f"{name}: expected {rows} rows like y, got shape {shape}")
            return data

        df0 = optional(f0_train, "f0_train", self.n)
        df0t = optional(f0_test, "f0_test", self.m) if self.m else None
        key = (bytes(dy), None if df0 is None else bytes(df0),
               None if df0t is None else bytes(df0t), out_dim)
        if key != self._key:
            ptr = new_handle(_abi.mech_linearized, lib().mech_linearized_create,
                             ctx_handle(self._ctx), self._theta, self._theta_test, self.n,
                             self.m, df0, df0t, dy, out_dim)
            if self._handle is not None:
                self._handle.close()
            self._handle, self._key, self._layout = _LinearizedHandle(ptr), key, yshape[1:]
        return self._handle

    def _outputs(self):
        ft = Array((self.n,) + self._layout)
        fs = Array((self.m,) + self._layout) if self.m else None
        return ft, fs

    def at_time(self, t, f0_train, y, f0_test=None):
        h = self._prepare(f0_train, y, f0_test)
        ft, fs = self._outputs()
        check(lib().mech_linearized_at_time(h.handle, t, ft.ctypes_data,
                                            fs.ctypes_data if fs is not None else None))
        return ft, fs

    def at_steps(self, k, eta, f0_train, y, f0_test=None):
        h = self._prepare(f0_train, y, f0_test)
        ft, fs = self._outputs()
        check(lib().mech_linearized_at_steps(h.handle, k, eta, ft.ctypes_data,
                                             fs.ctypes_data if fs is not None else None))
        return ft, fs

    def eigenvalues(self):
        """Eigenvalues of theta_train, ascending (an Array of n)."""
        h = self._prepare(None, [0.0] * self.n, None)
        out = Array((self.n,))
        check(lib().mech_linearized_eigenvalues(h.handle, out.ctypes_data, self.n))
        return out

    def close(self):
        if self._handle is not None:
            self._handle.close()
        self._handle, self._key = None, None


def _prod_shape(shape):
    out = 1
    for s in shape:
        out *= s
    return out


def linearized(theta_train, theta_test_train=None, ctx=None):
    """A Linearized predictor from the NTK on the training points (n x n)
    and between test and training points (m x n, or None)."""
    return Linearized(theta_train, theta_test_train, ctx)

import array

import pytest

import mechanics
from conftest import needs

np = pytest.importorskip("numpy")

# Tolerances: every result is a backward-stable LAPACK/BLAS computation on
# O(1) entries of matrices of size <= 7, so errors are a small multiple of
# n * eps * ||A|| ~ 1e-14; 1e-10 leaves room for conditioning of the tests'
# random matrices (condition numbers checked < 1e3 below where it matters).
TOL = 1e-10


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


@needs("mech_gemm")
@pytest.mark.parametrize("ta,tb", [(False, False), (True, False), (False, True), (True, True)])
def test_gemm_against_numpy(ta, tb):
    a = rand(5, 3, seed=1) if not ta else rand(3, 5, seed=1)
    b = rand(3, 4, seed=2) if not tb else rand(4, 3, seed=2)
    c = rand(5, 4, seed=3)
    got = mechanics.gemm(a, b, c, alpha=0.5, beta=-2.0, trans_a=ta, trans_b=tb)
    want = 0.5 * (a.T if ta else a) @ (b.T if tb else b) - 2.0 * c
    assert np.allclose(np.asarray(got), want, rtol=0, atol=TOL)
    assert np.array_equal(c, rand(5, 4, seed=3))  # c itself untouched


@needs("mech_gemm")
def test_gemm_accepts_array_array_and_checks_inner_dimension():
    a = memoryview(array.array("d", [1, 2, 3, 4, 5, 6])).cast("B").cast("d", (2, 3))
    got = mechanics.gemm(a, [[1.0], [1.0], [1.0]])
    assert got.tolist() == [[6.0], [15.0]]
    with pytest.raises(mechanics.ShapeError):
        mechanics.gemm(a, a)


@needs("mech_syev")
def test_syev_against_numpy():
    x = rand(6, 6, seed=4)
    a = x + x.T
    w, v = mechanics.syev(a)
    w, v = np.asarray(w), np.asarray(v)
    assert np.allclose(w, np.linalg.eigvalsh(a), rtol=0, atol=TOL)
    assert np.allclose(a @ v, v * w, rtol=0, atol=TOL)
    assert np.allclose(v.T @ v, np.eye(6), rtol=0, atol=TOL)
    assert np.allclose(np.asarray(mechanics.syev(a, vectors=False)), w, rtol=0, atol=TOL)


@needs("mech_svd")
@pytest.mark.parametrize("shape", [(7, 4), (4, 7)])
def test_svd_against_numpy(shape):
    a = rand(*shape, seed=5)
    u, s, vt = (np.asarray(t) for t in mechanics.svd(a))
    assert np.allclose(s, np.linalg.svd(a, compute_uv=False), rtol=0, atol=TOL)
    assert np.allclose(u * s @ vt, a, rtol=0, atol=TOL)


@needs("mech_cholesky_solve")
def test_cholesky_solve_against_numpy():
    x = rand(5, 5, seed=6)
    a = x @ x.T + 5 * np.eye(5)  # SPD, condition number well below 1e3
    assert np.linalg.cond(a) < 1e3
    b = rand(5, 2, seed=7)
    got = np.asarray(mechanics.cholesky_solve(a, b))
    assert np.allclose(got, np.linalg.solve(a, b), rtol=0, atol=TOL)
    one = np.asarray(mechanics.cholesky_solve(a, b[:, 0].copy()))
    assert one.shape == (5,) and np.allclose(one, got[:, 0], rtol=0, atol=TOL)

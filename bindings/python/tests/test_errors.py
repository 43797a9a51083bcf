import ctypes
import math

import pytest

import mechanics
from mechanics import _abi
from mechanics.errors import ERRORS, error_for
from conftest import needs


def test_every_error_status_has_its_own_class():
    codes = [v for v in _abi.ENUMS["mech_status"].values() if v < 0]
    assert sorted(ERRORS) == sorted(codes)
    assert len(set(ERRORS.values())) == len(codes)
    for code in codes:
        with pytest.raises(ERRORS[code]) as info:
            mechanics.check(code)
        assert info.value.status == code
        assert isinstance(info.value, mechanics.MechanicsError)


def test_non_errors_pass_through():
    assert mechanics.check(_abi.MECH_OK) == _abi.MECH_OK
    assert mechanics.check(_abi.MECH_STOPPED) == _abi.MECH_STOPPED


def test_unknown_status_gives_base_class():
    e = error_for(-999, "x")
    assert type(e) is mechanics.MechanicsError and e.status == -999


def test_builtin_bases():
    assert issubclass(mechanics.RangeError, ValueError)
    assert issubclass(mechanics.OutOfMemoryError, MemoryError)
    assert issubclass(mechanics.FileIOError, OSError)
    assert issubclass(mechanics.NotFoundError, LookupError)
    assert issubclass(mechanics.VersionMismatchError, ImportError)
    e = error_for(_abi.MECH_EIO, "disk full")
    assert str(e) == "MECH_EIO: disk full" and e.message == "disk full"


def test_range_error_from_library_keeps_handle_usable():
    with mechanics.Context(threads=3) as ctx:
        with pytest.raises(mechanics.RangeError) as info:
            ctx.threads = 0
        assert "threads" in info.value.message
        assert info.value.message == mechanics.lib().mech_last_error().decode()
        assert ctx.last_error == info.value.message
        assert ctx.threads == 3


def test_not_found():
    with mechanics.Context() as ctx, pytest.raises(mechanics.NotFoundError, match="nope"):
        ctx.get("nope")


def test_invalid_argument_from_null_name():
    key = ctypes.c_int()
    with pytest.raises(mechanics.InvalidArgumentError, match="NULL"):
        mechanics.check(mechanics.lib().mech_option_lookup(
            _abi.MECH_KIND_CTX, None, ctypes.byref(key)))


def test_invalid_argument_from_wrong_option_type():
    # threads is an integer option: the f64 setter is refused by the library
    with mechanics.Context() as ctx, pytest.raises(mechanics.InvalidArgumentError):
        mechanics.check(mechanics.lib().mech_ctx_set_f64(ctx.handle, _abi.MECH_CTX_THREADS, 2.0))


@needs("mech_rng_normal", "mech_rng_below")
def test_rng_errors():
    with mechanics.Rng(seed=1) as rng:
        with pytest.raises(mechanics.NonFiniteError):
            rng.normal(4, mean=math.nan)
        with pytest.raises(mechanics.RangeError):
            rng.normal(4, sd=-1.0)
        with pytest.raises(mechanics.InvalidArgumentError):
            rng.below(0)


def test_closed_handle_is_state_error():
    ctx = mechanics.Context()
    ctx.close()
    with pytest.raises(mechanics.StateError, match="closed"):
        ctx.seed


@needs("mech_cholesky_solve")
def test_linalg_error_not_positive_definite():
    with pytest.raises(mechanics.LinAlgError):
        mechanics.cholesky_solve([[1.0, 2.0], [2.0, 1.0]], [1.0, 1.0])


@needs("mech_gemm")
def test_shape_error_from_library():
    a = (ctypes.c_double * 4)()
    # lda = 1 < k = 2 columns: the library must refuse before BLIS sees it
    with pytest.raises(mechanics.ShapeError):
        mechanics.check(mechanics.lib().mech_gemm(None, False, False, 2, 2, 2, 1.0,
                                                  a, 1, a, 2, 0.0, a, 2))

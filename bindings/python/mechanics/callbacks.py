"""Python callables called from C (model, teacher, ODE callbacks).

C cannot unwind a Python exception: a thunk made by Guard.wrap stores it and
returns -1 (the library's "abort"); Guard.call then raises CallbackError
chained to the original exception (`raise ... from exc`), or re-raises
KeyboardInterrupt/SystemExit as they are. Arrays the library lends to a
callback are wrapped without copying: numpy arrays when numpy is installed
(read-only for inputs), typed memoryviews otherwise; they are valid only
during the call."""
import ctypes

from . import _abi
from ._loader import lib
from .arrays import _prod, as_input
from .errors import CallbackError, ShapeError, check

try:
    import numpy as _np
except ImportError:
    _np = None


class Guard:
    """Catches exceptions of callbacks; one per handle. The thunks capture
    the guard, not the handle object, so no reference cycle delays cleanup."""

    def __init__(self):
        self.raised = None

    def wrap(self, fn):
        """A function for a CFUNCTYPE: fn's result (None -> 0), or -1 after
        storing the exception fn raised."""
        def thunk(*args):
            try:
                result = fn(*args)
                return 0 if result is None else int(result)
            except BaseException as e:  # must not unwind into C
                self.raised = e
                return -1
        return thunk

    def call(self, cfn, *args):
        """cfn(*args) -> status; raises what a callback raised during it."""
        self.raised = None
        status = cfn(*args)
        exc, self.raised = self.raised, None
        if exc is not None and status < 0:
            if not isinstance(exc, Exception):
                raise exc
            message = (lib().mech_last_error() or b"").decode("utf-8", "replace")
            raise CallbackError(f"{message} ({type(exc).__name__}: {exc})",
                                _abi.MECH_ECALLBACK) from exc
        return check(status)


def view(ptr, shape, writable=False):
    """The n-d array at ptr (a ctypes POINTER(c_double)), not copied."""
    n = _prod(shape)
    if _np is not None:
        a = _np.ctypeslib.as_array(ptr, shape=tuple(shape))
        if not writable:
            a.flags.writeable = False
        return a
    buf = (ctypes.c_double * n).from_address(ctypes.addressof(ptr.contents))
    mv = memoryview(buf).cast("B").cast("d", tuple(shape))
    return mv if writable else mv.toreadonly()


def store(ptr, shape, result, what):
    """Copies a callback's result (anything arrays.as_input takes) to ptr."""
    if result is None:
        raise TypeError(f"{what} returned None; return an array of shape {tuple(shape)}")
    if _np is not None and not isinstance(result, (list, tuple)):
        result = _np.ascontiguousarray(result, dtype=_np.float64)
    data, got = as_input(result, what)
    if _prod(got) != _prod(shape) or (len(got) > 1 and tuple(got) != tuple(shape)):
        raise ShapeError(f"{what} returned shape {tuple(got)}, expected {tuple(shape)}",
                         _abi.MECH_ESHAPE)
    ctypes.memmove(ptr, data, _prod(shape) * ctypes.sizeof(ctypes.c_double))

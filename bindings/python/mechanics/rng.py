"""Rng: counter-based random streams (Philox4x32-10)."""
import ctypes

from . import _abi
from ._loader import lib
from .arrays import Array
from .errors import check
from .handle import Handle, ctx_handle, new_handle


class Rng(Handle):
    """Rng(ctx=None, stream=0) draws stream `stream` of the context's seed;
    Rng(seed=s, stream=k) uses an explicit seed."""

    _prefix = "rng"

    def __init__(self, ctx=None, stream=0, *, seed=None):
        if seed is not None and ctx is not None:
            raise ValueError("give ctx or seed, not both")
        if seed is None:
            ptr = new_handle(_abi.mech_rng, lib().mech_rng_create, ctx_handle(ctx), stream)
        else:
            ptr = new_handle(_abi.mech_rng, lib().mech_rng_create_seeded, seed, stream)
        super().__init__(ptr)

    @classmethod
    def _adopt(cls, ptr):
        obj = cls.__new__(cls)
        Handle.__init__(obj, ptr)
        return obj

    def split(self, child_id):
        """An independent child stream; this generator is not advanced."""
        out = _abi.mech_rng()
        check(lib().mech_rng_split(self.handle, child_id, ctypes.byref(out)))
        return self._adopt(out)

    def _fill(self, fn, n, ctype, *args):
        out = Array((n,), ctype)
        check(fn(self.handle, out.ctypes_data, n, *args))
        return out

    def uniform(self, n):
        """n doubles uniform in [0, 1)."""
        return self._fill(lib().mech_rng_uniform, n, ctypes.c_double)

    def normal(self, n, mean=0.0, sd=1.0):
        """n normal doubles."""
        return self._fill(lib().mech_rng_normal, n, ctypes.c_double, mean, sd)

    def u32(self, n):
        """n raw 32-bit words."""
        return self._fill(lib().mech_rng_u32, n, ctypes.c_uint32)

    def below(self, bound):
        """A uniform integer in [0, bound)."""
        out = ctypes.c_uint64()
        check(lib().mech_rng_below(self.handle, bound, ctypes.byref(out)))
        return out.value

    @property
    def position(self):
        """Words drawn so far; assigning it replays the stream from there."""
        out = ctypes.c_uint64()
        check(lib().mech_rng_get_position(self.handle, ctypes.byref(out)))
        return out.value

    @position.setter
    def position(self, value):
        check(lib().mech_rng_set_position(self.handle, value))

    @property
    def identity(self):
        """(seed, stream)."""
        seed, stream = ctypes.c_uint64(), ctypes.c_uint64()
        check(lib().mech_rng_identity(self.handle, ctypes.byref(seed), ctypes.byref(stream)))
        return seed.value, stream.value

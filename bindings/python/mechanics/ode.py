"""Ode: ODE integrators for y' = f(t, y) with a Python right-hand side
(mechanics/ode.h).

rhs(t, y) returns dy/dt (any array of dim floats; y is a read-only view
valid during the call: numpy array if numpy is installed, else a
memoryview). A NaN or Inf in the result asks for a smaller step. An
exception aborts the call with CallbackError chained to it."""
import ctypes
import math

from . import _abi, enums
from ._loader import lib
from .arrays import Array, as_input
from .callbacks import Guard, store, view
from .errors import ShapeError, check
from .handle import Handle, ctx_handle

_STATS = {member[len("MECH_ODE_STAT_"):].lower(): value
          for member, value in _abi.ENUMS["mech_ode_stat"].items()}


class Ode(Handle):
    """Ode(rhs, dim, ctx=None, **options): options by name method ("dopri5"
    or "rk4"), rtol, atol, h_init, h_max, h_fixed, max_steps."""

    _prefix = "ode"
    _enum_options = {"method": "mech_ode_method"}

    def __init__(self, rhs, dim, ctx=None, **options):
        self._guard = Guard()
        self.dim = dim
        self.stopped = False  # whether the last call ended with MECH_STOPPED

        def c_rhs(t, y, dydt, _ud):
            store(dydt, (dim,), rhs(t, view(y, (dim,))), "rhs")
        self._rhs = _abi.mech_ode_rhs_fn(self._guard.wrap(c_rhs))
        self._observer = self._event = None
        out = _abi.mech_ode()
        check(lib().mech_ode_create(ctypes.byref(out), ctx_handle(ctx), dim, self._rhs, None))
        super().__init__(out)
        try:
            self._set_all(options)
        except BaseException:
            self.close()
            raise

    def set_observer(self, fn):
        """fn(t, y) after every accepted step; a true (> 0) result stops the
        call cleanly. None removes it."""
        dim = self.dim

        def c_obs(t, y, _ud):
            return 1 if fn(t, view(y, (dim,))) else 0
        thunk = _abi.mech_ode_observer_fn(self._guard.wrap(c_obs)) if fn is not None \
            else _abi.mech_ode_observer_fn()
        check(lib().mech_ode_set_observer(self.handle, thunk, None))
        self._observer = thunk

    def set_event(self, g, direction=0, terminal=False, capacity=16):
        """Scalar event function g(t, y) -> float; events are its sign
        changes (direction +1 rising, -1 falling, 0 both); terminal stops at
        the first; up to capacity event times are kept (see events)."""
        dim = self.dim

        def c_event(t, y, g_out, _ud):
            g_out[0] = float(g(t, view(y, (dim,))))
        thunk = _abi.mech_ode_event_fn(self._guard.wrap(c_event)) if g is not None \
            else _abi.mech_ode_event_fn()
        check(lib().mech_ode_set_event(self.handle, thunk, direction, terminal, capacity,
                                       None))
        self._event = thunk

    def _y0(self, y0):
        data, shape = as_input(y0, "y0", 1)
        if shape[0] != self.dim:
            raise ShapeError(f"y0: expected {self.dim} entries, got {shape[0]}")
        return data

    def integrate(self, t0, y0, t1):
        """The state at t1 (Array), or at the stop time when an event or
        the observer stopped the call (see stats["t_last"], stopped)."""
        out = Array((self.dim,))
        status = self._guard.call(lib().mech_ode_integrate, self.handle, t0, self._y0(y0),
                                  t1, out.ctypes_data)
        self.stopped = status == _abi.MECH_STOPPED
        return out

    def solve(self, t0, y0, t_out):
        """States at the times t_out (monotone away from t0), an
        len(t_out) x dim Array. After a stop only the first
        stats["outputs"] rows are filled (the rest NaN)."""
        dt, (n,) = as_input(t_out, "t_out", 1)
        out = Array((n, self.dim))
        out.ctypes_data[:] = [math.nan] * out.size
        status = self._guard.call(lib().mech_ode_solve, self.handle, t0, self._y0(y0), dt, n,
                                  out.ctypes_data)
        self.stopped = status == _abi.MECH_STOPPED
        return out

    @property
    def stats(self):
        """Statistics of the last call: accepted, rejected, rhs_evals,
        events, outputs (ints), stop (name: "end", "event", "callback",
        "error"), t_last, h_last, err_last, t_event."""
        out, value = {}, ctypes.c_double()
        for name, key in _STATS.items():
            check(lib().mech_ode_get_stat(self.handle, key, ctypes.byref(value)))
            v = value.value
            if name == "stop":
                v = enums.name("mech_ode_stop", int(v))
            elif name in ("accepted", "rejected", "rhs_evals", "events", "outputs"):
                v = int(v)
            out[name] = v
        return out

    @property
    def events(self):
        """[(t, direction), ...] of the last call's stored events."""
        value, t, d = ctypes.c_double(), ctypes.c_double(), ctypes.c_int()
        check(lib().mech_ode_get_stat(self.handle, _abi.MECH_ODE_STAT_EVENTS,
                                      ctypes.byref(value)))
        out = []
        for i in range(int(value.value)):
            if lib().mech_ode_get_event(self.handle, i, ctypes.byref(t), ctypes.byref(d)) < 0:
                break  # beyond the capacity: counted, not stored
            out.append((t.value, d.value))
        return out

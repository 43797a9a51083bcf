"""Central flow of full-batch GD at the edge of stability, one unstable
direction (mechanics/central_flow.h; Cohen et al. 2025).

central_flow(model, x, y, eta, times) integrates
  dw/dt = -[grad L + sigma^2/2 grad S],  sigma^2 keeping S = lambda_max(H)
on 2/eta once it gets there (0 before), from the model's parameters, and
returns the predicted time-averaged GD loss L + sigma^2/eta, L(w), S and
sigma^2 at the times (t = eta k for GD step k). gradient_flow=True gives
plain gradient flow on the same machinery. CentralFlow is the handle for
repeated solves and point evaluations."""
import ctypes

from . import _abi, enums
from ._loader import lib
from .arrays import Array, as_input
from .errors import ShapeError
from .handle import Handle, ctx_handle, new_handle

_STATS = {member[len("MECH_CENTRAL_FLOW_STAT_"):].lower(): value
          for member, value in _abi.ENUMS["mech_central_flow_stat"].items()}


class CentralFlow(Handle):
    """CentralFlow(model, x, y, eta, loss="mse", ctx=None, **options): the
    solver on the full batch (x: n x in_dim, y: n x out_dim; copied).
    Options by name: method ("dopri5" or "rk4"), rtol, atol, h_fixed,
    fd_step, lanczos_tol, relax, gradient_flow. The model is kept alive by
    the handle and left with its parameters unchanged by every call."""

    _prefix = "central_flow"
    _enum_options = {"method": "mech_ode_method"}

    def __init__(self, model, x, y, eta, loss="mse", ctx=None, **options):
        dx, batch = model._x(x)
        dy = model._rows(y, batch, "y")
        super().__init__(new_handle(_abi.mech_central_flow, lib().mech_central_flow_create,
                                    ctx_handle(ctx), model.handle,
                                    enums.value("mech_loss", loss, "loss"), dx, dy, batch,
                                    float(eta)))
        self._model, self._ctx = model, ctx
        try:
            self._set_all(options)
        except BaseException:
            self.close()
            raise

    @property
    def num_params(self):
        return lib().mech_central_flow_num_params(self.handle)

    def _call(self, fn, *args):
        return self._model._guard.call(fn, self.handle, *args)

    def solve(self, times, trace=None):
        """Integrates from the model's parameters; returns a dict of Arrays
        (one entry per time): time, loss_avg_pred (L + sigma^2/eta), loss
        (L(w)), sharpness, sigma2, and params (the state at the last time).
        trace: an optional Trace on the "time" axis to append rows to."""
        dt, shape = as_input(times, "times", 1)
        n_t = shape[0]
        out = {name: Array((n_t,)) for name in ("loss_avg_pred", "loss", "sharpness",
                                                 "sigma2")}
        self._call(lib().mech_central_flow_solve, dt, n_t, out["loss_avg_pred"].ctypes_data,
                   out["loss"].ctypes_data, out["sharpness"].ctypes_data,
                   out["sigma2"].ctypes_data, None if trace is None else trace.handle)
        out["time"] = Array.copy_of(dt, (n_t,))
        out["params"] = self.params
        return out

    @property
    def params(self):
        """The state kept by the last solve (the parameters at create before
        any solve)."""
        w = Array((self.num_params,))
        self._call(lib().mech_central_flow_get_params, w.ctypes_data, self.num_params)
        return w

    def eval(self, w):
        """The flow at parameters w: dict with loss, sharpness, sigma2
        (floats), grad_s (grad S) and dwdt (the velocity), both Arrays."""
        dw, shape = as_input(w, "w", 1)
        if shape[0] != self.num_params:
            raise ShapeError(f"w: expected {self.num_params} entries, got {shape[0]}")
        loss, s, s2 = ctypes.c_double(), ctypes.c_double(), ctypes.c_double()
        gs, v = Array((self.num_params,)), Array((self.num_params,))
        self._call(lib().mech_central_flow_eval, dw, ctypes.byref(loss), ctypes.byref(s),
                   ctypes.byref(s2), gs.ctypes_data, v.ctypes_data)
        return {"loss": loss.value, "sharpness": s.value, "sigma2": s2.value,
                "grad_s": gs, "dwdt": v}

    @property
    def stats(self):
        """Statistics of the last call: rhs_evals, hvps, steps (ints),
        t_enter (first output time on the edge; NaN if none), t_end."""
        out, value = {}, ctypes.c_double()
        for name, key in _STATS.items():
            self._call(lib().mech_central_flow_get_stat, key, ctypes.byref(value))
            v = value.value
            out[name] = int(v) if name in ("rhs_evals", "hvps", "steps") else v
        return out


def central_flow(model, x, y, eta, times, loss="mse", *, ctx=None, trace=None,
                 **options):
    """Central flow (or, with gradient_flow=True, gradient flow) of `model`
    on the full batch (x, y) for GD step size eta, from the model's current
    parameters, reported at `times` (t = eta k). Returns the dict of
    CentralFlow.solve plus "stats". Options as for CentralFlow."""
    with CentralFlow(model, x, y, eta, loss=loss, ctx=ctx, **options) as cf:
        out = cf.solve(times, trace=trace)
        out["stats"] = cf.stats
    return out

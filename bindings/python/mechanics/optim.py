"""Optimizer: update rules and learning-rate schedules over flat parameter
arrays (mechanics/optim.h). step() updates a writable float64 buffer in
place (a numpy array, array.array('d'), an Array, a memoryview of one)."""
import ctypes
import os

from . import _abi, enums
from ._loader import lib
from .arrays import Array, as_input
from .errors import ShapeError, check
from .handle import Handle, Option, ctx_handle, new_handle


def _writable(params, n):
    """The ctypes view of a writable float64 buffer of n entries (in place)."""
    if isinstance(params, (list, tuple)):
        raise TypeError("params must be a writable buffer (numpy array, array.array('d'), "
                        "Array), not a list: the update happens in place")
    if not isinstance(params, Array) and memoryview(params).readonly:
        raise TypeError("params is read-only; the update happens in place")
    data, shape = as_input(params, "params")
    if len(data) != n:
        raise ShapeError(f"params: expected {n} entries, got shape {shape}")
    return data


class Optimizer(Handle):
    """Optimizer(kind, n_params, ctx=None, groups=None, **options): kind
    "gd", "sgd", "heavy_ball", "nesterov", "adam", "adamw", "rmsprop",
    "sign"; options by name (lr, momentum, beta1, beta2, eps, weight_decay,
    clip_norm, schedule ("constant", "warmup_linear", "cosine", "wsd",
    "step", "inv_sqrt"), warmup_steps, total_steps, final_lr_fraction,
    decay_fraction, step_size, gamma). groups=(offsets, multipliers) as
    set_groups. The state is allocated at construction; options and groups
    may change between steps."""

    _prefix = "optimizer"
    _enum_options = {"schedule": "mech_lr_schedule"}
    lr = Option("lr")

    def __init__(self, kind, n_params, ctx=None, groups=None, **options):
        super().__init__(new_handle(
            _abi.mech_optimizer, lib().mech_optimizer_create, ctx_handle(ctx),
            enums.value("mech_optimizer_kind", kind, "optimizer kind"), n_params))
        self.n_params = n_params
        self._kind = enums.name("mech_optimizer_kind",
                                enums.value("mech_optimizer_kind", kind))
        try:
            self._set_all(options)
            if groups is not None:
                self.set_groups(*groups)
            check(lib().mech_optimizer_setup(self.handle))
        except BaseException:
            self.close()
            raise

    @property
    def kind(self):
        return self._kind

    def set_groups(self, offsets, multipliers):
        """Parameter groups [offsets[j], offsets[j+1]) with learning-rate
        multipliers (e.g. Model.lr_multipliers(...))."""
        offsets = [int(o) for o in offsets]
        dm, (n,) = as_input(multipliers, "multipliers", 1)
        if len(offsets) != n + 1:
            raise ShapeError(f"{n} multipliers need {n + 1} offsets, got {len(offsets)}")
        arr = (ctypes.c_size_t * len(offsets))(*offsets)
        check(lib().mech_optimizer_set_groups(self.handle, arr, dm, n))

    def step(self, params, grad):
        """One update of params in place from grad."""
        dp = _writable(params, self.n_params)
        dg, _ = as_input(grad, "grad")
        if len(dg) != self.n_params:
            raise ShapeError(f"grad: expected {self.n_params} entries, got {len(dg)}")
        check(lib().mech_optimizer_step(self.handle, dp, dg))

    def lr_at(self, step):
        """Schedule value eta(step) (without group multipliers)."""
        out = ctypes.c_double()
        check(lib().mech_optimizer_lr_at(self.handle, step, ctypes.byref(out)))
        return out.value

    @property
    def step_count(self):
        out = ctypes.c_uint64()
        check(lib().mech_optimizer_step_count(self.handle, ctypes.byref(out)))
        return out.value

    def reset(self):
        """Zeroes the moments and the step count (options are kept)."""
        check(lib().mech_optimizer_reset(self.handle))

    def _per_param(self, fn):
        out = Array((self.n_params,))
        check(fn(self.handle, out.ctypes_data, self.n_params))
        return out

    def preconditioner(self):
        """sqrt(shat) + eps of adam, adamw, rmsprop (UnsupportedError else)."""
        return self._per_param(lib().mech_optimizer_preconditioner)

    def step_scale(self):
        """Per-parameter step scale of the next step."""
        return self._per_param(lib().mech_optimizer_step_scale)

    # ---- state ----
    def save(self, path):
        """Writes the state (step count, moments; not options or groups)."""
        check(lib().mech_optimizer_save(self.handle, os.fspath(path).encode("utf-8")))

    def load(self, path):
        """Reads a state saved by an optimizer of the same kind and size."""
        check(lib().mech_optimizer_load(self.handle, os.fspath(path).encode("utf-8")))

    @property
    def state(self):
        """The state as bytes (what save() writes); assign bytes to restore."""
        size = ctypes.c_size_t()
        check(lib().mech_optimizer_state_size(self.handle, ctypes.byref(size)))
        buf = ctypes.create_string_buffer(size.value)
        check(lib().mech_optimizer_get_state(self.handle, buf, size.value))
        return buf.raw

    @state.setter
    def state(self, data):
        data = bytes(data)
        check(lib().mech_optimizer_set_state(self.handle, data, len(data)))

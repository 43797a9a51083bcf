"""Run: the training integrator, model + loss + data + optimizer -> trace
(mechanics/run.h)."""
import ctypes
import os
import weakref

from . import _abi, enums
from ._loader import lib
from .callbacks import Guard
from .errors import check
from .handle import Handle, ctx_handle, new_handle
from .trace import Trace


class Run(Handle):
    """Run(model, loss, data, optimizer=None, mode="full_batch", ctx=None,
    test_data=None, probe_times=None, observer=None, **options): creates,
    configures and sets up a training run. mode "full_batch",
    "minibatch", "online" or "gradient_flow"; loss "mse", "softmax_ce",
    "logistic"; options by name (Run.option_names()): batch, max_steps,
    max_time, max_samples, loss_target, probe_every, probe_log_points,
    probe_log_start, gf_probe_dt, axis ("auto" or an axis name), alpha_n,
    gf_rtol, gf_atol, gf_stability, eval_train_full,
    lr_from_parametrization, sampling. The run borrows the model, data,
    optimizer and context: this object keeps them alive."""

    _prefix = "run"
    _enum_options = {"mode": "mech_run_mode", "sampling": "mech_sampling"}

    def __init__(self, model, loss, data, optimizer=None, mode="full_batch", ctx=None, *,
                 test_data=None, probe_times=None, observer=None, **options):
        super().__init__(new_handle(
            _abi.mech_run, lib().mech_run_create, ctx_handle(ctx), model.handle,
            enums.value("mech_loss", loss, "loss"), data.handle,
            None if optimizer is None else optimizer.handle))
        self._borrowed = (ctx, model, data, optimizer, test_data)
        self._guard, self._observer, self._traces = Guard(), None, weakref.WeakSet()
        self._probes = []
        try:
            self.set("mode", mode)
            axis = options.pop("axis", None)
            if axis is not None:
                self.set("axis", -1 if axis == "auto" else enums.value("mech_axis", axis))
            self._set_all(options)
            if test_data is not None:
                check(lib().mech_run_set_test_data(self.handle, test_data.handle))
            if probe_times is not None:
                times = [float(t) for t in probe_times]
                arr = (ctypes.c_double * len(times))(*times)
                check(lib().mech_run_set_probe_times(self.handle, arr, len(times)))
            if observer is not None:
                self.set_observer(observer)
            check(lib().mech_run_setup(self.handle))
        except BaseException:
            self.close()
            raise

    def close(self):
        for tr in list(self._traces):  # views into the run's trace die with it
            tr._ptr = None
        super().close()

    def set_observer(self, fn):
        """fn(run, step, t) at every probe row; a true result stops execute()
        cleanly (self.stopped). It may add columns to run.trace and put
        values into the current row. None removes it."""
        def c_obs(_r, step, t, _ud):
            return 1 if fn(self_ref(), step, t) else 0
        self_ref = weakref.ref(self)
        thunk = _abi.mech_run_observer_fn(self._guard.wrap(c_obs)) if fn is not None \
            else _abi.mech_run_observer_fn()
        check(lib().mech_run_set_observer(self.handle, thunk, None))
        self._observer = thunk

    def add_probe(self, probe):
        """Measures an attached Probe at every probe row, writing its
        outputs as columns "<name>.<output>". The run keeps it alive.
        Returns self."""
        check(lib().mech_run_add_probe(self.handle, probe.handle))
        self._probes.append(probe)
        return self

    def execute(self, **stops):
        """Trains until a stop condition; keyword stops (max_steps,
        max_time, max_samples, loss_target) are set first, so a run can be
        continued. Returns self. DivergedError on divergence
        (diverged_step says where)."""
        self._set_all(stops)
        status = self._guard.call(lib().mech_run_execute, self.handle)
        self.stopped = status == _abi.MECH_STOPPED
        return self

    @property
    def trace(self):
        """The run's trace (owned by the run: valid while it lives)."""
        out = _abi.mech_trace()
        check(lib().mech_run_trace(self.handle, ctypes.byref(out)))
        tr = Trace._borrow(out, self)
        self._traces.add(tr)
        return tr

    def take_trace(self):
        """Hands the trace over (the run cannot execute afterwards)."""
        out = _abi.mech_trace()
        check(lib().mech_run_take_trace(self.handle, ctypes.byref(out)))
        return Trace._adopt(out)

    def _u64(self, fn):
        out = ctypes.c_uint64()
        check(fn(self.handle, ctypes.byref(out)))
        return out.value

    @property
    def step_count(self):
        return self._u64(lib().mech_run_step_count)

    @property
    def diverged_step(self):
        """Index of the diverged step (0 if none)."""
        return self._u64(lib().mech_run_diverged_step)

    @property
    def time(self):
        out = ctypes.c_double()
        check(lib().mech_run_time(self.handle, ctypes.byref(out)))
        return out.value

    @property
    def stop_reason(self):
        """"none", "max_steps", "max_time", "max_samples", "loss_target",
        "callback", "diverged" or "error"."""
        out = _abi.mech_run_stop()
        check(lib().mech_run_stop_reason(self.handle, ctypes.byref(out)))
        return enums.name("mech_run_stop", out.value)

    def save_checkpoint(self, path):
        check(lib().mech_run_save_checkpoint(self.handle, os.fspath(path).encode("utf-8")))

    def load_checkpoint(self, path):
        check(lib().mech_run_load_checkpoint(self.handle, os.fspath(path).encode("utf-8")))

    def ensemble(self, seeds):
        """Restarts and executes the run once per seed and returns the
        ensemble Trace (mean and standard error of every column)."""
        seeds = [int(s) for s in seeds]
        arr = (ctypes.c_uint64 * len(seeds))(*seeds)
        out = _abi.mech_trace()
        self._guard.call(lib().mech_run_ensemble, self.handle, arr, len(seeds),
                         ctypes.byref(out))
        return Trace._adopt(out)

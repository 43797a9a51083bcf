"""Probe: observables of a network in training (mechanics/probe.h).

One class for every probe kind ("sharpness", "hessian_trace",
"hessian_density", "ntk", "cka", ...; Probe.kinds()), with three ways in:
a libmechanics Model (attach, then measure, or Run.add_probe), a Python
matrix-vector callable (measure_operator: e.g. a PyTorch or JAX HVP), or
arrays (measure_arrays). Each measurement returns the scalar outputs as a
{name: value} dict; vector outputs (eigenvalues, eigenvectors, density,
singular values, the NTK) come from vector(name)."""
import ctypes

from . import _abi, enums
from ._loader import lib
from .arrays import Array, as_input
from .callbacks import Guard, store, view
from .errors import ShapeError, check
from .handle import Handle, ctx_handle, new_handle


def _input(obj, name):
    """(ctypes data, rows, cols) of a 1-d or 2-d float64 input."""
    data, shape = as_input(obj, name)
    if len(shape) == 1:
        return data, shape[0], 1
    if len(shape) != 2:
        raise ShapeError(f"{name}: expected a 1-d or 2-d array, got shape {shape}")
    return data, shape[0], shape[1]


class Probe(Handle):
    """Probe(kind, ctx=None, **options): options by name (Probe.option_names()):
    k, tol, max_restarts, n_probes, sketch, slq_steps, layer, layer_b,
    n_bins, kde_var, min_tail, unit_count, small_batch, big_batch,
    n_batches, density_points, density_sigma, name (trace column prefix),
    which ("largest", "smallest", "magnitude"), warm_start, array_loss."""

    _prefix = "probe"
    _enum_options = {"which": "mech_lanczos_which", "array_loss": "mech_loss"}

    def __init__(self, kind, ctx=None, **options):
        super().__init__(new_handle(_abi.mech_probe, lib().mech_probe_create, ctx_handle(ctx),
                                    enums.value("mech_probe_kind", kind, "probe kind")))
        self._borrowed = [ctx]
        self._guard = Guard()
        try:
            self._set_all(options)
        except BaseException:
            self.close()
            raise

    @staticmethod
    def kinds():
        return sorted(enums.table("mech_probe_kind"))

    @property
    def kind(self):
        out = _abi.mech_probe_kind()
        check(lib().mech_probe_kind_of(self.handle, ctypes.byref(out)))
        return enums.name("mech_probe_kind", out.value)

    # ---- ways in ----
    def attach(self, model, loss, data, max_examples=0, *, test_data=None, optimizer=None):
        """Attaches a set-up Model, a loss ("mse", ...) and a finite Data
        evaluation set (its first max_examples examples; 0 = all). Returns self."""
        check(lib().mech_probe_attach_model(self.handle, model.handle,
                                            enums.value("mech_loss", loss, "loss"),
                                            data.handle, int(max_examples)))
        self._borrowed[1:] = [model, data]
        if test_data is not None:
            check(lib().mech_probe_attach_test_data(self.handle, test_data.handle, 0))
            self._borrowed.append(test_data)
        if optimizer is not None:
            check(lib().mech_probe_attach_optimizer(self.handle, optimizer.handle))
            self._borrowed.append(optimizer)
        return self

    def set_basis(self, vecs):
        """Kernel eigenvectors for "mode_error": k x n (one vector per row)."""
        data, k, n = _input(vecs, "vecs")
        check(lib().mech_probe_set_basis(self.handle, data, n, k))

    def set_target(self, w):
        """Target weights W* (out x in) for "mode_error" (linear setting)."""
        data, rows, cols = _input(w, "w")
        check(lib().mech_probe_set_target(self.handle, data, rows, cols))

    def set_units(self, units):
        units = [int(u) for u in units]
        arr = (ctypes.c_size_t * len(units))(*units)
        check(lib().mech_probe_set_units(self.handle, arr, len(units)))

    def measure(self):
        """Measures the attached model now; returns the outputs dict."""
        check(lib().mech_probe_measure(self.handle))
        return self.outputs()

    def measure_operator(self, n, matvec):
        """Hessian kinds on a symmetric n x n operator: matvec(v) returns
        H v (v is a read-only length-n array, valid during the call).
        Returns the outputs dict."""
        def c_mv(v, out, size, _ud):
            store(out, (size,), matvec(view(v, (size,))), "matvec")
        thunk = _abi.mech_matvec_fn(self._guard.wrap(c_mv))
        self._guard.call(lib().mech_probe_measure_operator, self.handle, int(n), thunk, None)
        return self.outputs()

    def measure_arrays(self, a, b=None, labels=None):
        """The kind on arrays (see probe.h per kind: activations, weights,
        predictions and targets, a kernel and targets, ...). Returns the
        outputs dict."""
        da, ra, ca = _input(a, "a")
        db, rb, cb = (None, 0, 0) if b is None else _input(b, "b")
        dl = None
        if labels is not None:
            values = [int(v) for v in labels]
            if len(values) != ra:
                raise ShapeError(f"measure_arrays: {len(values)} labels for {ra} rows")
            dl = (ctypes.c_int64 * ra)(*values)
        check(lib().mech_probe_measure_arrays(self.handle, da, ra, ca, db, rb, cb, dl))
        return self.outputs()

    # ---- outputs ----
    def output_names(self):
        count, name = ctypes.c_size_t(), ctypes.c_char_p()
        check(lib().mech_probe_output_count(self.handle, ctypes.byref(count)))
        names = []
        for i in range(count.value):
            check(lib().mech_probe_output_name(self.handle, i, ctypes.byref(name)))
            names.append(name.value.decode("utf-8"))
        return names

    def outputs(self):
        """{name: value} of the last measurement."""
        out, value = {}, ctypes.c_double()
        for i, name in enumerate(self.output_names()):
            check(lib().mech_probe_output(self.handle, i, ctypes.byref(value)))
            out[name] = value.value
        return out

    def __getitem__(self, name):
        value = ctypes.c_double()
        check(lib().mech_probe_value(self.handle, name.encode("utf-8"), ctypes.byref(value)))
        return value.value

    def vector_names(self):
        count, name = ctypes.c_size_t(), ctypes.c_char_p()
        check(lib().mech_probe_vector_count(self.handle, ctypes.byref(count)))
        names = []
        for i in range(count.value):
            check(lib().mech_probe_vector_name(self.handle, i, ctypes.byref(name)))
            names.append(name.value.decode("utf-8"))
        return names

    def vector(self, name):
        """Vector output `name` of the last measurement, as an Array."""
        key, n = name.encode("utf-8"), ctypes.c_size_t()
        check(lib().mech_probe_vector(self.handle, key, None, 0, ctypes.byref(n)))
        out = Array((n.value,))
        check(lib().mech_probe_vector(self.handle, key, out.ctypes_data, n.value,
                                      ctypes.byref(n)))
        return out

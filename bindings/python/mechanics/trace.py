"""Trace: the library's time-series table (mechanics/trace.h).

A trace has one time column named after its axis ("step", "time",
"samples", "alpha") and named float64 value columns; NaN means "not
measured". Column reads return Arrays (numpy.asarray(a) is zero-copy)."""
import ctypes
import dataclasses
import math
import os

from . import _abi, enums
from ._loader import lib
from .arrays import Array, as_input
from .errors import ShapeError, check
from .handle import Handle, ctx_handle, new_handle


def _s(value):
    return value.encode("utf-8")


def _format(fmt):
    return enums.value("mech_trace_format", "auto" if fmt is None else fmt, "trace format")


class Trace(Handle):
    """Trace(axis="step", ctx=None): an empty trace. The metadata keys
    library_version, blis_version, threads, seed and axis are set at
    creation."""

    _prefix = "trace"

    def __init__(self, axis="step", ctx=None):
        super().__init__(new_handle(_abi.mech_trace, lib().mech_trace_create,
                                    ctx_handle(ctx), enums.value("mech_axis", axis, "axis")))

    @classmethod
    def _adopt(cls, ptr):
        obj = cls.__new__(cls)
        Handle.__init__(obj, ptr)
        return obj

    @classmethod
    def _borrow(cls, ptr, owner):
        """A view of a trace owned by another handle (kept alive by the
        view); close() drops the view without freeing the trace."""
        obj = cls._adopt(ptr)
        obj._owner = owner
        return obj

    def close(self):
        if getattr(self, "_owner", None) is not None:
            self._ptr = self._owner = None
            return
        super().close()

    # ---- structure ----
    @property
    def axis(self):
        """The axis name ("step", "time", "samples" or "alpha")."""
        out = _abi.mech_axis()
        check(lib().mech_trace_axis(self.handle, ctypes.byref(out)))
        return enums.name("mech_axis", out.value)

    @property
    def names(self):
        """Value column names in order (the time column not included)."""
        name = ctypes.c_char_p()
        out = []
        for i in range(lib().mech_trace_n_columns(self.handle)):
            check(lib().mech_trace_column_name(self.handle, i, ctypes.byref(name)))
            out.append(name.value.decode("utf-8"))
        return out

    @property
    def n_rows(self):
        return lib().mech_trace_n_rows(self.handle)

    def __len__(self):
        return self.n_rows

    def __contains__(self, name):
        index = ctypes.c_size_t()
        return lib().mech_trace_column_index(self.handle, _s(name), ctypes.byref(index)) == 0

    def add_column(self, name):
        """Adds a column (or finds the existing one); returns its index."""
        index = ctypes.c_size_t()
        check(lib().mech_trace_add_column(self.handle, _s(name), ctypes.byref(index)))
        return index.value

    def column_index(self, name):
        """Index of a column; NotFoundError if absent."""
        index = ctypes.c_size_t()
        check(lib().mech_trace_column_index(self.handle, _s(name), ctypes.byref(index)))
        return index.value

    def reserve(self, rows):
        check(lib().mech_trace_reserve(self.handle, rows))

    # ---- rows ----
    def append(self, t, values=()):
        """Appends a row at time t with values for the first len(values)
        columns (the rest NaN). Values are finite or NaN."""
        data, (n,) = as_input(values, "values", 1)
        check(lib().mech_trace_append(self.handle, t, data if n else None, n))

    def begin_row(self, t):
        """Appends a row of NaNs at time t; fill it with put()."""
        check(lib().mech_trace_begin_row(self.handle, t))

    def put(self, column, value):
        """Sets a column (name or index) of the last row."""
        col = self.column_index(column) if isinstance(column, str) else column
        check(lib().mech_trace_put(self.handle, col, value))

    def row(self, t, **values):
        """begin_row(t) then put(name, value) for each keyword; columns
        that do not exist yet are added."""
        cols = [(self.add_column(k), v) for k, v in values.items()]
        self.begin_row(t)
        for col, v in cols:
            check(lib().mech_trace_put(self.handle, col, v))

    # ---- reading ----
    @property
    def time(self):
        """The time column as an Array."""
        n = self.n_rows
        out = Array((n,))
        check(lib().mech_trace_time(self.handle, out.ctypes_data, n))
        return out

    def __getitem__(self, name):
        """trace["col"]: a column as an Array; trace[axis] is the time."""
        if name == self.axis and name not in self:
            return self.time
        n = self.n_rows
        out = Array((n,))
        check(lib().mech_trace_column(self.handle, self.column_index(name),
                                      out.ctypes_data, n))
        return out

    @property
    def columns(self):
        """{name: Array} of every value column, in order."""
        return {name: self[name] for name in self.names}

    def value(self, row, column):
        """One value (NaN = not measured)."""
        col = self.column_index(column) if isinstance(column, str) else column
        out = ctypes.c_double()
        check(lib().mech_trace_value(self.handle, row, col, ctypes.byref(out)))
        return out.value

    def to_numpy(self):
        """{axis: time, name: column, ...} as numpy arrays (needs numpy)."""
        import numpy
        out = {self.axis: numpy.asarray(self.time)}
        out.update((k, numpy.asarray(v)) for k, v in self.columns.items())
        return out

    # ---- metadata ----
    @property
    def meta(self):
        """A live mapping of the metadata: trace.meta["key"] = "value"
        (numbers are written exactly), dict(trace.meta) copies it."""
        return Meta(self)

    # ---- files ----
    def save(self, path, format=None):
        """Writes the trace (format "csv", "jsonl", "npy", "npz", or None
        for the file name's extension); the file is replaced atomically."""
        check(lib().mech_trace_save(self.handle, _s(os.fspath(path)), _format(format)))

    @classmethod
    def load(cls, path, format=None, ctx=None):
        """Reads a trace saved by save() (or a numpy.savez file of equal-length
        float64 1-d arrays, one named after an axis)."""
        return cls._adopt(new_handle(_abi.mech_trace, lib().mech_trace_load,
                                     ctx_handle(ctx), _s(os.fspath(path)), _format(format)))

    @classmethod
    def ensemble(cls, traces):
        """Mean and standard error over member traces with equal time points:
        column c becomes c (mean) and c_se (standard error)."""
        traces = list(traces)
        arr = (_abi.mech_trace * len(traces))(*(t.handle for t in traces))
        return cls._adopt(new_handle(_abi.mech_trace, lib().mech_trace_ensemble,
                                     arr, len(traces)))

    def compare(self, pred_col, measurement, meas_col, t_lo=None, t_hi=None,
                rel_floor=0.0):
        """compare(self, pred_col, measurement, meas_col, ...)."""
        return compare(self, pred_col, measurement, meas_col, t_lo, t_hi, rel_floor)


class Meta:
    """Mapping view of a trace's metadata (insertion order)."""

    def __init__(self, trace):
        self._trace = trace

    def __getitem__(self, key):
        out = ctypes.c_char_p()
        check(lib().mech_trace_get_meta(self._trace.handle, _s(key), ctypes.byref(out)))
        return out.value.decode("utf-8")

    def __setitem__(self, key, value):
        if isinstance(value, float):
            check(lib().mech_trace_set_meta_f64(self._trace.handle, _s(key), value))
        else:
            check(lib().mech_trace_set_meta(self._trace.handle, _s(key), _s(str(value))))

    def keys(self):
        key = ctypes.c_char_p()
        out = []
        for i in range(lib().mech_trace_meta_count(self._trace.handle)):
            check(lib().mech_trace_meta_key(self._trace.handle, i, ctypes.byref(key)))
            out.append(key.value.decode("utf-8"))
        return out

    def __iter__(self):
        return iter(self.keys())

    def __len__(self):
        return lib().mech_trace_meta_count(self._trace.handle)

    def __contains__(self, key):
        out = ctypes.c_char_p()
        return lib().mech_trace_get_meta(self._trace.handle, _s(key), ctypes.byref(out)) == 0

    def items(self):
        return [(k, self[k]) for k in self.keys()]

    def get(self, key, default=None):
        return self[key] if key in self else default

    def __repr__(self):
        return repr(dict(self.items()))


@dataclasses.dataclass(frozen=True)
class Comparison:
    """Result of compare(): errors of a measurement m against a prediction p
    over n_points times in [t_lo, t_hi] (see mech_comparison)."""
    n_points: int
    max_abs: float
    mean_abs: float
    rms: float
    max_rel: float
    mean_rel: float
    mean_abs_se: float
    max_z: float
    t_lo: float
    t_hi: float

    def as_dict(self):
        return dataclasses.asdict(self)

    def __getitem__(self, key):
        return getattr(self, key)


def _comparison(c):
    return Comparison(**{f.name: getattr(c, f.name) for f in dataclasses.fields(Comparison)})


def _bound(x):
    return math.nan if x is None else float(x)


def compare(prediction, pred_col, measurement, meas_col, t_lo=None, t_hi=None,
            rel_floor=0.0):
    """Compares column pred_col of the prediction trace with column meas_col
    of the measurement (its "<meas_col>_se" column, when present, gives the
    standard errors) at the measurement times in [t_lo, t_hi] (None: open).
    The prediction is interpolated linearly. Relative errors divide by
    max(|p|, rel_floor). Returns a Comparison; RangeError if no point is left."""
    out = _abi.mech_comparison(size=ctypes.sizeof(_abi.mech_comparison))
    check(lib().mech_trace_compare(prediction.handle, _s(pred_col), measurement.handle,
                                   _s(meas_col), _bound(t_lo), _bound(t_hi), rel_floor,
                                   ctypes.byref(out)))
    return _comparison(out)


def compare_arrays(t_pred, y_pred, t_meas, y_meas, se_meas=None, t_lo=None, t_hi=None,
                   rel_floor=0.0):
    """compare() on plain arrays (t_pred strictly increasing)."""
    tp, (n_pred,) = as_input(t_pred, "t_pred", 1)
    yp, shape_yp = as_input(y_pred, "y_pred", 1)
    tm, (n_meas,) = as_input(t_meas, "t_meas", 1)
    ym, shape_ym = as_input(y_meas, "y_meas", 1)
    se = None
    if se_meas is not None:
        se, shape_se = as_input(se_meas, "se_meas", 1)
        if shape_se != (n_meas,):
            raise ShapeError("se_meas must have the length of t_meas")
    if shape_yp != (n_pred,) or shape_ym != (n_meas,):
        raise ShapeError("y_pred / y_meas must have the lengths of t_pred / t_meas")
    out = _abi.mech_comparison(size=ctypes.sizeof(_abi.mech_comparison))
    check(lib().mech_trace_compare_arrays(tp, yp, n_pred, tm, ym, se, n_meas, _bound(t_lo),
                                          _bound(t_hi), rel_floor, ctypes.byref(out)))
    return _comparison(out)

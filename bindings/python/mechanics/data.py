"""Data: finite datasets and generators of examples (mechanics/data.h).

Inputs x are n x in_dim, labels y n x out_dim (row-major float64). Batches
and samples come back as Arrays (numpy.asarray(a) is zero-copy)."""
import ctypes
import os

from . import _abi, enums
from ._loader import lib
from .arrays import Array, as_input
from .callbacks import Guard, store, view
from .errors import ShapeError, StateError, check
from .handle import Handle, ctx_handle, new_handle


def _rows(a, name):
    """(data, n, width) of a 2-d input (a 1-d array is one column)."""
    data, shape = as_input(a, name)
    if len(shape) == 1:
        shape = (shape[0], 1)
    if len(shape) != 2:
        raise ShapeError(f"{name}: expected an n x width array, got shape {shape}")
    return data, shape[0], shape[1]


class Data(Handle):
    """A dataset or generator handle; build one with the class methods
    (from_arrays, generator, mixture, modular, load_npy). Options by name:
    variance, alpha, trace, radius, teacher_scale, drop_last, balanced,
    stream (Data.option_names()). The context is kept alive."""

    _prefix = "data"

    @classmethod
    def _adopt(cls, ptr, ctx=None, keep=()):
        obj = cls.__new__(cls)
        Handle.__init__(obj, ptr)
        obj._ctx, obj._keep, obj._guard, obj._teacher = ctx, keep, Guard(), None
        return obj

    def _configure(self, options):
        try:
            self._set_all(options)
        except BaseException:
            self.close()
            raise
        return self

    # ---- constructors ----
    @classmethod
    def from_arrays(cls, x, y=None, ctx=None, copy=True, **options):
        """A finite dataset of x (n x in_dim) and y (n x out_dim, or None
        for unlabelled data). copy=False borrows the buffers: the library
        reads them in place, and this object keeps them alive (a read-only
        buffer or a list is converted once and that copy is borrowed)."""
        dx, n, in_dim = _rows(x, "x")
        dy, out_dim = None, 0
        if y is not None:
            dy, ny, out_dim = _rows(y, "y")
            if ny != n:
                raise ShapeError(f"x has {n} rows but y has {ny}")
        own = _abi.MECH_COPY if copy else _abi.MECH_BORROW
        ptr = new_handle(_abi.mech_data, lib().mech_data_create_arrays, ctx_handle(ctx),
                         dx, dy, n, in_dim, out_dim, own)
        return cls._adopt(ptr, ctx, () if copy else (dx, dy))._configure(options)

    @classmethod
    def generator(cls, input, in_dim, ctx=None, teacher=None, out_dim=None, noise_sd=0.0,
                  **options):
        """Fresh examples forever: input "gaussian", "power_law" or
        "sphere" of width in_dim. teacher: None (unlabelled), a weight
        matrix W (out_dim x in_dim: y = s W x + noise_sd z), or a callable
        teacher(x) -> y (n x out_dim; out_dim required). Options (e.g.
        variance, alpha, trace, radius, teacher_scale) are set first."""
        ptr = new_handle(_abi.mech_data, lib().mech_data_create_generator, ctx_handle(ctx),
                         enums.value("mech_input_kind", input, "input kind"), in_dim)
        obj = cls._adopt(ptr, ctx)._configure(options)
        try:
            if callable(teacher):
                obj.set_teacher(teacher, out_dim, noise_sd)
            elif teacher is not None:
                obj.set_linear_teacher(teacher, noise_sd)
        except BaseException:
            obj.close()
            raise
        return obj

    @classmethod
    def mixture(cls, n_classes, in_dim, separation, ctx=None, **options):
        """Gaussian-mixture classification generator with one-hot labels."""
        ptr = new_handle(_abi.mech_data, lib().mech_data_create_mixture, ctx_handle(ctx),
                         n_classes, in_dim, separation)
        return cls._adopt(ptr, ctx)._configure(options)

    @classmethod
    def modular(cls, p, ctx=None, **options):
        """All p^2 pairs (a, b) with one-hot inputs and label (a + b) mod p."""
        ptr = new_handle(_abi.mech_data, lib().mech_data_create_modular, ctx_handle(ctx), p)
        return cls._adopt(ptr, ctx)._configure(options)

    @classmethod
    def load_npy(cls, x_path, y_path=None, ctx=None, **options):
        """A dataset from .npy files (float64/float32/int64/int32)."""
        ptr = new_handle(_abi.mech_data, lib().mech_data_load_npy, ctx_handle(ctx),
                         os.fspath(x_path).encode("utf-8"),
                         None if y_path is None else os.fspath(y_path).encode("utf-8"))
        return cls._adopt(ptr, ctx)._configure(options)

    # ---- teachers ----
    def set_linear_teacher(self, w, noise_sd=0.0):
        """y = s W x + noise_sd z, W out_dim x in_dim (copied)."""
        dw, out_dim, in_dim = _rows(w, "w")
        if in_dim != self.in_dim:
            raise ShapeError(f"w has {in_dim} columns, the generator has in_dim {self.in_dim}")
        check(lib().mech_data_set_linear_teacher(self.handle, dw, out_dim, noise_sd))

    def set_teacher(self, fn, out_dim, noise_sd=0.0):
        """y = fn(x) + noise_sd z with fn(x: n x in_dim) -> n x out_dim.
        An exception in fn makes the drawing call raise CallbackError."""
        if out_dim is None:
            raise TypeError("a callable teacher needs out_dim")

        def label(x, n, in_dim, y, width, _ud):
            store(y, (n, width), fn(view(x, (n, in_dim))), "teacher")
        thunk = _abi.mech_label_fn(self._guard.wrap(label))
        check(lib().mech_data_set_teacher(self.handle, thunk, None, out_dim, noise_sd))
        self._teacher = thunk  # the C side keeps the pointer

    # ---- shape ----
    def _size(self, fn):
        out = ctypes.c_size_t()
        check(fn(self.handle, ctypes.byref(out)))
        return out.value

    @property
    def n(self):
        """Number of examples (0 for generators)."""
        return self._size(lib().mech_data_n)

    def __len__(self):
        return self.n

    @property
    def in_dim(self):
        return self._size(lib().mech_data_in_dim)

    @property
    def out_dim(self):
        return self._size(lib().mech_data_out_dim)

    @property
    def is_generator(self):
        out = ctypes.c_bool()
        check(lib().mech_data_is_generator(self.handle, ctypes.byref(out)))
        return out.value

    # ---- reading ----
    def _pair(self, count):
        x = Array((count, self.in_dim))
        y = Array((count, self.out_dim)) if self.out_dim else None
        return x, y, (y.ctypes_data if y is not None else None)

    def examples(self, first=0, count=None):
        """(x, y) of examples first .. first+count-1 of a finite dataset
        (y None when unlabelled); count defaults to the rest."""
        count = self.n - first if count is None else count
        x, y, dy = self._pair(count)
        check(lib().mech_data_get(self.handle, first, count, x.ctypes_data, dy))
        return x, y

    def sample(self, n):
        """(x, y) of n fresh examples of a generator."""
        x, y, dy = self._pair(n)
        self._guard.call(lib().mech_data_sample, self.handle, n, x.ctypes_data, dy)
        return x, y

    def materialize(self, n):
        """n fresh examples frozen into a finite dataset."""
        out = _abi.mech_data()
        self._guard.call(lib().mech_data_materialize, self.handle, n, ctypes.byref(out))
        return Data._adopt(out, self._ctx)

    def split(self, train_fraction, shuffle=False):
        """(train, test): two new finite datasets (copies)."""
        train, test = _abi.mech_data(), _abi.mech_data()
        check(lib().mech_data_split(self.handle, train_fraction, shuffle,
                                    ctypes.byref(train), ctypes.byref(test)))
        return Data._adopt(train, self._ctx), Data._adopt(test, self._ctx)

    @property
    def means(self):
        """Class means of a mixture, n_classes x in_dim."""
        out = Array((self.out_dim, self.in_dim))
        check(lib().mech_data_get_means(self.handle, out.ctypes_data))
        return out

    # ---- minibatches ----
    def set_batch(self, batch, mode="with_replacement"):
        """Configures next_batch: mode "with_replacement",
        "without_replacement" (shuffled epochs) or "full" (batch 0 = n)."""
        self._batch = batch if batch else self.n
        check(lib().mech_data_set_batch(self.handle, batch,
                                        enums.value("mech_sampling", mode, "sampling mode")))

    def next_batch(self):
        """(x, y) of the next batch (y None when unlabelled)."""
        batch = getattr(self, "_batch", None)
        if batch is None:
            raise StateError("next_batch before set_batch", _abi.MECH_ESTATE)
        x, y, dy = self._pair(batch)
        count = ctypes.c_size_t()
        self._guard.call(lib().mech_data_next_batch, self.handle, x.ctypes_data, dy,
                         ctypes.byref(count))
        return x, y

    @property
    def epoch(self):
        out = ctypes.c_uint64()
        check(lib().mech_data_epoch(self.handle, ctypes.byref(out)))
        return out.value

    @property
    def examples_seen(self):
        out = ctypes.c_uint64()
        check(lib().mech_data_examples_seen(self.handle, ctypes.byref(out)))
        return out.value

    @property
    def state(self):
        """Sampler checkpoint (a tuple of ints); assign it to replay."""
        words = (ctypes.c_uint64 * _abi.MECH_DATA_STATE_WORDS)()
        check(lib().mech_data_get_state(self.handle, words, len(words)))
        return tuple(words)

    @state.setter
    def state(self, words):
        arr = (ctypes.c_uint64 * len(words))(*words)
        check(lib().mech_data_set_state(self.handle, arr, len(words)))


def onehot_to_class(y):
    """argmax of each row of y (n x n_classes) as a list of ints."""
    dy, n, width = _rows(y, "y")
    out = (ctypes.c_int64 * n)()
    check(lib().mech_data_onehot_to_class(dy, n, width, out))
    return list(out)

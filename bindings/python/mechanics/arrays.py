"""Arrays in (any C-contiguous buffer of the right item type, or nested
lists) and out (Array: owns its memory, exposes __array_interface__ and a
memoryview, so numpy.asarray(result) is zero-copy; numpy is never needed)."""
import ctypes
import sys

from .errors import ShapeError

def _same_items(fmt):
    """Struct formats describing the same native items as fmt: numpy
    reports int64 as 'l' where C long is 64 bits."""
    if fmt == "q" and ctypes.sizeof(ctypes.c_long) == 8:
        return ("q", "l")
    return (fmt,)


# ctypes type -> (struct format accepted from buffers, numpy typestr)
_LE = sys.byteorder == "little"
_FORMATS = {
    ctypes.c_double: ("d", "<f8" if _LE else ">f8"),
    ctypes.c_float: ("f", "<f4" if _LE else ">f4"),
    ctypes.c_uint32: ("I", "<u4" if _LE else ">u4"),
    ctypes.c_uint64: ("Q", "<u8" if _LE else ">u8"),
    ctypes.c_int64: ("q", "<i8" if _LE else ">i8"),
}
_NATIVE_PREFIXES = ("", "@", "=", "<" if _LE else ">")


def _prod(shape):
    n = 1
    for s in shape:
        n *= s
    return n


class Array:
    """A C-contiguous array owned by Python (row-major, native byte order).

    numpy.asarray(a) views the same memory; a.memoryview() is a typed,
    shaped memoryview; a.tolist() needs neither."""

    __slots__ = ("_data", "_ctype", "shape", "__weakref__")

    def __init__(self, shape, ctype=ctypes.c_double):
        if ctype not in _FORMATS:
            raise TypeError(f"unsupported item type {ctype.__name__}")
        self.shape = tuple(int(s) for s in shape)
        if any(s < 0 for s in self.shape):
            raise ValueError(f"negative dimension in shape {self.shape}")
        self._ctype = ctype
        self._data = (ctype * _prod(self.shape))()

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return len(self._data)

    @property
    def format(self):
        return _FORMATS[self._ctype][0]

    @property
    def nbytes(self):
        return ctypes.sizeof(self._data)

    @property
    def ctypes_data(self):
        """The underlying ctypes array (what the C functions receive)."""
        return self._data

    @property
    def __array_interface__(self):
        return {"version": 3, "shape": self.shape, "typestr": _FORMATS[self._ctype][1],
                "data": (ctypes.addressof(self._data), False), "strides": None}

    def memoryview(self):
        return memoryview(self._data).cast("B").cast(self.format, self.shape)

    def tolist(self):
        return self.memoryview().tolist()

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of a 0-d Array")
        return self.shape[0]

    def __getitem__(self, index):
        """a[i] on a 1-d array is a number; on an n-d array a list (row)."""
        if self.ndim == 1:
            return self._data[index]
        return self.tolist()[index]

    def __iter__(self):
        return iter(self._data if self.ndim == 1 else self.tolist())

    def __repr__(self):
        return f"Array({self.tolist()!r}, shape={self.shape}, format={self.format!r})"

    @classmethod
    def copy_of(cls, buf, shape, ctype=ctypes.c_double):
        out = cls(shape, ctype)
        ctypes.memmove(out._data, buf, out.nbytes)
        return out


def _from_lists(obj, ctype):
    """Flattens nested lists/tuples of numbers; returns (ctypes array, shape)."""
    shape, level = [], obj
    while isinstance(level, (list, tuple)):
        shape.append(len(level))
        level = level[0] if level else None
    flat = []

    def walk(x, depth):
        if depth == len(shape):
            if isinstance(x, (list, tuple)):
                raise ShapeError("ragged nested list")
            flat.append(x)
            return
        if not isinstance(x, (list, tuple)) or len(x) != shape[depth]:
            raise ShapeError(f"ragged nested list: expected shape {tuple(shape)}")
        for y in x:
            walk(y, depth + 1)

    walk(obj, 0)
    try:
        return (ctype * len(flat))(*flat), tuple(shape)
    except TypeError:
        raise TypeError("list items must be numbers") from None


def as_input(obj, name, ndim=None, ctype=ctypes.c_double):
    """(ctypes array, shape) for an input array.

    Accepts an Array, nested lists/tuples, or any object with the buffer
    protocol whose items are `ctype` in native byte order and which is
    C-contiguous (numpy arrays, array.array, memoryview casts of bytearray).
    Writable buffers are used in place; read-only ones are copied. The
    ctypes array keeps the source alive."""
    fmt = _FORMATS[ctype][0]
    if isinstance(obj, Array):
        if obj._ctype is not ctype:
            raise TypeError(f"{name}: expected items of format {fmt!r}, got {obj.format!r}")
        data, shape = obj._data, obj.shape
    elif isinstance(obj, (list, tuple)):
        data, shape = _from_lists(obj, ctype)
    else:
        try:
            mv = memoryview(obj)
        except TypeError:
            raise TypeError(
                f"{name}: expected a C-contiguous buffer of {ctype.__name__} "
                f"(numpy array, array.array({fmt!r}), memoryview) or a list, "
                f"got {type(obj).__name__}") from None
        got = mv.format
        if got.lstrip("@=<>!") not in _same_items(fmt) or got[:-1] not in _NATIVE_PREFIXES \
                or mv.itemsize != ctypes.sizeof(ctype):
            raise TypeError(
                f"{name}: expected items of format {fmt!r} ({ctype.__name__}, "
                f"native byte order), got format {got!r}; convert first, e.g. "
                f"numpy.asarray(x, dtype='{fmt}') or array.array('{fmt}', x)")
        if not mv.c_contiguous:
            raise ValueError(f"{name}: array is not C-contiguous; pass a contiguous "
                             f"copy (e.g. numpy.ascontiguousarray(x))")
        shape = mv.shape
        n = _prod(shape)
        if n == 0:
            data = (ctype * 0)()
        elif mv.readonly:
            data = (ctype * n).from_buffer_copy(mv)
        else:
            data = (ctype * n).from_buffer(mv.cast("B"))
    if ndim is not None and len(shape) != ndim:
        raise ShapeError(f"{name}: expected a {ndim}-d array, got shape {tuple(shape)}")
    return data, tuple(shape)

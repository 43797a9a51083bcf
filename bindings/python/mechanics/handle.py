"""Handle: the base of every wrapper class around an opaque mech_X handle.

A subclass names its C prefix (`_prefix = "ctx"` for mech_ctx_*). The base
then provides deterministic cleanup (close(), context manager, __del__ as a
fallback; mech_X_destroy runs exactly once), last_error, and generic option
access driven by the option-key enum mech_X_opt recorded in abi.json:
set(name, value) / get(name) look the key and its type up through
mech_option_lookup / mech_option_type and call the typed accessor.
"""
import ctypes

from . import _abi, enums
from ._loader import lib
from .errors import StateError, UnsupportedError, check

_TYPE_SUFFIX = {_abi.MECH_OPT_I64: "i64", _abi.MECH_OPT_F64: "f64", _abi.MECH_OPT_STR: "str"}
_GET_OUT = {"i64": ctypes.c_int64, "f64": ctypes.c_double, "str": ctypes.c_char_p}


def _to_c(suffix, name, value):
    if suffix == "i64":
        if isinstance(value, float) or not hasattr(value, "__index__"):
            raise TypeError(f"option '{name}' is an integer option, got {value!r}")
        return value.__index__()
    if suffix == "f64":
        return float(value)
    if not isinstance(value, str):
        raise TypeError(f"option '{name}' is a string option, got {value!r}")
    return value.encode("utf-8")


def _from_c(suffix, value):
    return value.decode("utf-8", "replace") if suffix == "str" else value


class Option:
    """Class attribute exposing one option as a property: `threads = Option("threads")`."""

    def __init__(self, name):
        self.name = name

    def __get__(self, obj, owner=None):
        return self if obj is None else obj.get(self.name)

    def __set__(self, obj, value):
        obj.set(self.name, value)


class Handle:
    _prefix = None  # C prefix: "ctx" for mech_ctx_* (set by subclasses)
    # Integer options holding a C enum: option name -> enum name (for
    # enums.table). set() accepts the value's name, get() returns it.
    _enum_options = {}

    def __init__(self, ptr):
        """Takes ownership of ptr (an instance of the _abi handle type)."""
        self._ptr = ptr

    # ---- lifetime ----
    @classmethod
    def _c(cls, suffix):
        return getattr(lib(), f"mech_{cls._prefix}_{suffix}")

    @property
    def handle(self):
        """The raw ctypes handle; StateError once closed."""
        ptr = getattr(self, "_ptr", None)
        if not ptr:
            raise StateError(f"{type(self).__name__} is closed", _abi.MECH_ESTATE)
        return ptr

    @property
    def closed(self):
        return not getattr(self, "_ptr", None)

    def close(self):
        """Frees the C handle now; later calls do nothing."""
        ptr, self._ptr = getattr(self, "_ptr", None), None
        if ptr:
            self._c("destroy")(ptr)

    def __enter__(self):
        self.handle  # refuse to enter a closed handle
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown: the library may be gone
            pass

    @property
    def last_error(self):
        """The handle's most recent error message ("" if none)."""
        return (self._c("last_error")(self.handle) or b"").decode("utf-8", "replace")

    def __repr__(self):
        state = "closed" if self.closed else hex(self._ptr.value)
        return f"<mechanics.{type(self).__name__} {state}>"

    # ---- options ----
    @classmethod
    def _options(cls):
        meta = _abi.OPTION_ENUMS.get(f"mech_{cls._prefix}_opt")
        if not meta or meta["kind"] is None:
            raise UnsupportedError(f"{cls.__name__} has no options", _abi.MECH_EUNSUPPORTED)
        return getattr(_abi, meta["kind"]), meta["accessors"]

    @classmethod
    def _key(cls, name):
        kind, _ = cls._options()
        key, ty = ctypes.c_int(), _abi.mech_opt_type()
        check(lib().mech_option_lookup(kind, name.encode("utf-8"), ctypes.byref(key)))
        check(lib().mech_option_type(kind, key, ctypes.byref(ty)))
        return key.value, _TYPE_SUFFIX[ty.value]

    def _accessor(self, op, suffix, name):
        _, accessors = self._options()
        fname = accessors.get(f"{op}_{suffix}")
        if fname is None:
            raise UnsupportedError(f"no {op}_{suffix} accessor for option '{name}'",
                                   _abi.MECH_EUNSUPPORTED)
        return getattr(lib(), fname)

    def set(self, name, value):
        """Sets an option by name (its type comes from the library)."""
        key, suffix = self._key(name)
        if name in self._enum_options and suffix == "i64":
            value = enums.value(self._enum_options[name], value, f"option '{name}'")
        fn = self._accessor("set", suffix, name)
        check(fn(self.handle, key, _to_c(suffix, name, value)))

    def get(self, name):
        key, suffix = self._key(name)
        out = _GET_OUT[suffix]()
        check(self._accessor("get", suffix, name)(self.handle, key, ctypes.byref(out)))
        if name in self._enum_options and suffix == "i64":
            return enums.name(self._enum_options[name], out.value)
        return _from_c(suffix, out.value)

    @classmethod
    def option_names(cls):
        kind, _ = cls._options()
        count, name = ctypes.c_int(), ctypes.c_char_p()
        check(lib().mech_option_count(kind, ctypes.byref(count)))
        names = []
        for key in range(count.value):
            check(lib().mech_option_name(kind, key, ctypes.byref(name)))
            names.append(name.value.decode("utf-8"))
        return names

    @classmethod
    def option_info(cls, name):
        """{'name', 'key', 'type' ('i64'|'f64'|'str'), 'bounds' (lo, hi) or None, 'doc'}."""
        kind, _ = cls._options()
        key, suffix = cls._key(name)
        lo, hi, doc = ctypes.c_double(), ctypes.c_double(), ctypes.c_char_p()
        check(lib().mech_option_bounds(kind, key, ctypes.byref(lo), ctypes.byref(hi)))
        check(lib().mech_option_doc(kind, key, ctypes.byref(doc)))
        bounds = None if suffix == "str" else (lo.value, hi.value)
        return {"name": name, "key": key, "type": suffix, "bounds": bounds,
                "doc": (doc.value or b"").decode("utf-8")}

    def options(self):
        """All options of this handle as a {name: value} dict."""
        return {name: self.get(name) for name in self.option_names()}

    def _set_all(self, options):
        for name, value in options.items():
            self.set(name, value)


def ctx_handle(ctx):
    """The raw handle of an optional Context (None -> NULL)."""
    return None if ctx is None else ctx.handle


def new_handle(ctype, create, *args):
    """Calls create(&out, *args) and returns out (raises on failure)."""
    out = ctype()
    check(create(ctypes.byref(out), *args))
    return out

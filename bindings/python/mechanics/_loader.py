"""Finds, loads and version-checks the shared library.

Lookup order: $MECHANICS_LIBRARY (a path to libmechanics.so.0; when set it is
the only candidate), $MECHANICS_BUILD_DIR/lib, build*/lib in this package's
directory or any parent (a meson build tree), then the system loader.
"""
import ctypes
import ctypes.util
import glob
import json
import os

from . import _abi
from .errors import LibraryNotFoundError, VersionMismatchError

SONAME = "libmechanics.so.0"

_lib = None
_path = None
_missing = ()


def _sanitized(libpath):
    """True for a library from a sanitizer build tree: it cannot be loaded
    into a plain interpreter, so the lookup passes it over."""
    info = os.path.join(os.path.dirname(os.path.dirname(libpath)), "meson-info",
                        "intro-buildoptions.json")
    try:
        with open(info) as f:
            options = json.load(f)
    except (OSError, ValueError):
        return False
    return any(o.get("name") == "b_sanitize" and o.get("value") not in ("none", [], "")
               for o in options)


def candidates():
    explicit = os.environ.get("MECHANICS_LIBRARY")
    if explicit:
        yield explicit
        return
    build = os.environ.get("MECHANICS_BUILD_DIR")
    if build:
        yield os.path.join(build, "lib", SONAME)
    d = os.path.dirname(os.path.abspath(__file__))
    while True:
        for path in sorted(glob.glob(os.path.join(d, "build*", "lib", SONAME))):
            if not _sanitized(path):
                yield path
        parent = os.path.dirname(d)
        if parent == d:
            break
        d = parent
    found = ctypes.util.find_library("mechanics")
    if found:
        yield found
    yield SONAME


def _open(path):
    if os.sep in path and not os.path.exists(path):
        return None
    try:
        return ctypes.CDLL(path)
    except OSError:
        return None


def load():
    """Loads the first library found and binds it; raises
    LibraryNotFoundError, or VersionMismatchError when its mech_version()
    differs from the MECH_VERSION_NUMBER this package was generated for."""
    tried = []
    for path in candidates():
        lib = _open(path)
        if lib is None:
            tried.append(path)
            continue
        check_version(lib, path)
        return lib, path, tuple(_abi.bind(lib))
    raise LibraryNotFoundError(
        "libmechanics not found (tried: " + ", ".join(tried) + "); set "
        "MECHANICS_LIBRARY to the path of libmechanics.so.0 or MECHANICS_BUILD_DIR "
        "to a meson build directory")


def check_version(lib, path):
    try:
        fn = lib.mech_version
    except AttributeError:
        raise VersionMismatchError(f"{path} does not export mech_version()") from None
    fn.restype, fn.argtypes = ctypes.c_int, []
    have, want = fn(), _abi.MECH_VERSION_NUMBER
    if have != want:
        raise VersionMismatchError(
            f"{path} is libmechanics version number {have}, but this Python package "
            f"was generated for {want} ({_abi.MECH_VERSION_STRING}); install the "
            f"matching library or point MECHANICS_LIBRARY at it")


def lib():
    """The loaded, bound library (loaded on first use)."""
    global _lib, _path, _missing
    if _lib is None:
        _lib, _path, _missing = load()
    return _lib


def library_path():
    lib()
    return _path


def missing_functions():
    """Functions the headers declare but the loaded library does not export."""
    lib()
    return _missing

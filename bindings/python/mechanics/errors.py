"""One exception class per mech_status error code, and check()."""
from . import _abi


class MechanicsError(Exception):
    """Base class: .status is the mech_status code, .message the library's
    message (mech_last_error() at the time of the failure)."""
    status = None

    def __init__(self, message="", status=None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status

    def __str__(self):
        return f"{status_name(self.status)}: {self.message}"


def _error(name, status_name_, *bases, doc):
    cls = type(name, (MechanicsError,) + bases, {"__doc__": doc, "__module__": __name__})
    cls.status = _abi.ENUMS["mech_status"][status_name_]
    return cls


# Each class also derives from the built-in exception it is closest to, so
# generic handlers (except ValueError, except MemoryError) still work.
InvalidArgumentError = _error("InvalidArgumentError", "MECH_EINVAL", ValueError,
                              doc="Invalid argument (NULL, zero size, bad enum).")
OutOfMemoryError = _error("OutOfMemoryError", "MECH_ENOMEM", MemoryError,
                          doc="An allocation failed.")
ShapeError = _error("ShapeError", "MECH_ESHAPE", ValueError,
                    doc="Array shapes do not agree.")
RangeError = _error("RangeError", "MECH_ERANGE", ValueError,
                    doc="A value is outside its documented bounds.")
NonFiniteError = _error("NonFiniteError", "MECH_ENONFINITE", ValueError,
                        doc="NaN or Inf where a finite number is needed.")
SizeOverflowError = _error("SizeOverflowError", "MECH_EOVERFLOW", OverflowError,
                           doc="A size computation would overflow.")
FileIOError = _error("FileIOError", "MECH_EIO", OSError,
                     doc="Reading or writing a file failed.")
FormatError = _error("FormatError", "MECH_EFORMAT", ValueError,
                     doc="A file or string is malformed or truncated.")
NotFoundError = _error("NotFoundError", "MECH_ENOTFOUND", LookupError,
                       doc="A name or key was not found.")
StateError = _error("StateError", "MECH_ESTATE", RuntimeError,
                    doc="Call not valid in the handle's current state (or closed).")
NoConvergenceError = _error("NoConvergenceError", "MECH_ENOCONV", RuntimeError,
                            doc="An iterative method did not converge.")
DivergedError = _error("DivergedError", "MECH_EDIVERGED", RuntimeError,
                       doc="Training produced NaN/Inf.")
CallbackError = _error("CallbackError", "MECH_ECALLBACK", RuntimeError,
                       doc="A user callback asked to abort.")
LinAlgError = _error("LinAlgError", "MECH_ELINALG", ArithmeticError,
                     doc="A factorization failed (singular, not positive definite).")
UnsupportedError = _error("UnsupportedError", "MECH_EUNSUPPORTED", NotImplementedError,
                          doc="Combination not supported.")
VersionMismatchError = _error("VersionMismatchError", "MECH_EVERSION", ImportError,
                              doc="File or library version mismatch.")


class LibraryNotFoundError(ImportError):
    """No loadable libmechanics.so.0 was found."""


ERRORS = {cls.status: cls for cls in MechanicsError.__subclasses__()}


def status_name(status):
    for name, value in _abi.ENUMS["mech_status"].items():
        if value == status:
            return name
    return f"status {status}"


def error_for(status, message):
    """The exception for a negative status (MechanicsError if unknown)."""
    cls = ERRORS.get(status, MechanicsError)
    return cls(message, status)


def check(status):
    """Returns status (MECH_OK or MECH_STOPPED); raises the matching
    MechanicsError subclass, with mech_last_error() as message, if < 0."""
    if status >= 0:
        return status
    from ._loader import lib
    message = (lib().mech_last_error() or b"").decode("utf-8", "replace")
    raise error_for(status, message)

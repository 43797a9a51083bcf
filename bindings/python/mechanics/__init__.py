"""Python binding of libmechanics (ctypes; numpy optional).

The library is located and version-checked on import (see _loader). The
generated module _abi holds the raw C description; this package adds
handle classes, exceptions per status and array conversion on top."""
from . import _abi
from ._loader import lib, library_path, missing_functions
from .arrays import Array
from .errors import (CallbackError, DivergedError, FileIOError, FormatError,
                     InvalidArgumentError, LibraryNotFoundError, LinAlgError,
                     MechanicsError, NoConvergenceError, NonFiniteError,
                     NotFoundError, OutOfMemoryError, RangeError, ShapeError,
                     SizeOverflowError, StateError, UnsupportedError,
                     VersionMismatchError, check)
from .handle import Handle, Option
from .context import Context
from .rng import Rng
from . import enums, laws, linalg, metrics, theory, theory_deep
from .linalg import cholesky_solve, gemm, svd, syev
from .theory_deep import diagonal_implicit_bias, linreg_modes, saxe_modes
from .trace import Comparison, Trace, compare, compare_arrays
from .model import Model, param_rule
from .data import Data, onehot_to_class
from .optim import Optimizer
from .ode import Ode
from .run import Run
from .central_flow import CentralFlow, central_flow
from .probe import Probe

__version__ = _abi.MECH_VERSION_STRING
__all__ = [
    "Array", "CallbackError", "CentralFlow", "Comparison", "Context", "Data", "DivergedError",
    "FileIOError", "FormatError", "Handle", "InvalidArgumentError",
    "LibraryNotFoundError", "LinAlgError", "MechanicsError", "Model",
    "NoConvergenceError", "NonFiniteError", "NotFoundError", "Ode", "Option",
    "Optimizer", "OutOfMemoryError", "Probe", "RangeError", "Rng", "Run", "ShapeError",
    "SizeOverflowError", "StateError", "Trace", "UnsupportedError",
    "VersionMismatchError", "blis_version", "central_flow", "check", "cholesky_solve", "compare",
    "compare_arrays", "diagonal_implicit_bias", "enums", "gemm", "laws", "lib",
    "library_path", "linalg", "linreg_modes", "metrics", "missing_functions",
    "onehot_to_class", "param_rule", "saxe_modes", "svd", "syev", "theory",
    "theory_deep", "version",
]

lib()  # fail at import, not at first use, when the library is missing or wrong


def version():
    """Version string of the loaded library ("MAJOR.MINOR.PATCH")."""
    return lib().mech_version_string().decode("ascii")


def blis_version():
    return lib().mech_blis_version().decode("ascii")

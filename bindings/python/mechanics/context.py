"""Context: thread count, seed, log level and the log/progress callbacks."""
from . import _abi
from ._loader import lib
from .errors import check
from .handle import Handle, Option, new_handle


class Context(Handle):
    """A libmechanics context.

    Context(threads=2, seed=7, log=print_fn) sets any option by keyword;
    options are also properties (ctx.threads) and reachable by name
    (ctx.set("seed", 3), ctx.get("seed"), ctx.options())."""

    _prefix = "ctx"
    threads = Option("threads")
    seed = Option("seed")
    log_level = Option("log_level")

    def __init__(self, *, log=None, progress=None, **options):
        super().__init__(new_handle(_abi.mech_ctx, lib().mech_ctx_create))
        self._log = self._progress = None
        # Holds the last exception a callback raised; the closures capture
        # this list, not self, so no reference cycle delays cleanup.
        self._raised = [None]
        try:
            self._set_all(options)
            if log is not None:
                self.set_log(log)
            if progress is not None:
                self.set_progress(progress)
        except BaseException:
            self.close()
            raise

    @property
    def callback_exception(self):
        """The exception a Python callback raised last (None if none).
        Callbacks cannot raise through C: a failing log callback is ignored,
        a failing progress callback aborts the call with CallbackError."""
        return self._raised[0]

    def set_log(self, fn):
        """fn(level: int, message: str) receives library messages at or
        below log_level; None removes it."""
        raised = self._raised

        def call(level, message, _ud):
            try:
                fn(level, (message or b"").decode("utf-8", "replace"))
            except BaseException as e:  # must not unwind into C
                raised[0] = e
            return 0
        cb = _abi.mech_log_fn() if fn is None else _abi.mech_log_fn(call)
        check(lib().mech_ctx_set_log(self.handle, cb, None))
        self._log = cb  # keep the C thunk alive while installed

    def set_progress(self, fn):
        """fn(task: str, done: float, total: float) -> None/0 to continue,
        > 0 to stop early, < 0 to abort; None removes it."""
        raised = self._raised

        def call(task, done, total, _ud):
            try:
                return int(fn((task or b"").decode("utf-8", "replace"), done, total) or 0)
            except BaseException as e:  # must not unwind into C
                raised[0] = e
                return -1
        cb = _abi.mech_progress_fn() if fn is None else _abi.mech_progress_fn(call)
        check(lib().mech_ctx_set_progress(self.handle, cb, None))
        self._progress = cb

import pytest

import mechanics


def test_defaults_and_kwargs():
    with mechanics.Context() as ctx:
        assert ctx.options() == {"threads": 1, "seed": 0, "log_level": 1}
    with mechanics.Context(threads=2, seed=12345, log_level=3) as ctx:
        assert (ctx.threads, ctx.seed, ctx.log_level) == (2, 12345, 3)


def test_properties_and_generic_access_agree():
    with mechanics.Context() as ctx:
        ctx.seed = 2**62
        assert ctx.get("seed") == 2**62
        ctx.set("threads", 4)
        assert ctx.threads == 4


def test_introspection():
    names = mechanics.Context.option_names()
    assert names == ["threads", "seed", "log_level"]
    info = mechanics.Context.option_info("threads")
    assert info["type"] == "i64" and info["bounds"] == (1.0, 1024.0)
    assert info["key"] == mechanics._abi.MECH_CTX_THREADS and info["doc"]


def test_integer_option_refuses_float():
    with mechanics.Context() as ctx, pytest.raises(TypeError, match="integer"):
        ctx.threads = 1.5


def test_unknown_kwarg_raises():
    with pytest.raises(mechanics.NotFoundError):
        mechanics.Context(bogus=1)


def test_callback_thunks_round_trip_through_c():
    # No library function emits logs or progress yet, so the installed C
    # function pointers are called directly (ctypes goes through libffi).
    seen = []
    with mechanics.Context(log=lambda level, msg: seen.append((level, msg)),
                           progress=lambda task, done, total: 1 if done >= total else 0) as ctx:
        assert ctx._log(2, b"hello", None) == 0 and seen == [(2, "hello")]
        assert ctx._progress(b"fit", 1.0, 2.0, None) == 0
        assert ctx._progress(b"fit", 2.0, 2.0, None) == 1

        def broken(*args):
            raise KeyError("boom")
        ctx.set_log(broken)
        ctx.set_progress(broken)
        assert ctx._log(0, b"x", None) == 0
        assert ctx._progress(b"fit", 0.0, 1.0, None) == -1  # abort -> MECH_ECALLBACK
        assert isinstance(ctx.callback_exception, KeyError)
        ctx.set_log(None)
        ctx.set_progress(None)
        assert not ctx._log and not ctx._progress  # NULL function pointers


def test_handle_without_options():
    with mechanics.Rng(seed=0) as rng, pytest.raises(mechanics.UnsupportedError):
        rng.get("anything")

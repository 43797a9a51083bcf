import gc

import pytest

import mechanics


@pytest.fixture
def destroy_calls(monkeypatch):
    """Counts mech_ctx_destroy calls (the wrapper forwards to the real one)."""
    lib = mechanics.lib()
    real = lib.mech_ctx_destroy
    calls = []

    def counting(ptr):
        calls.append(ptr.value)
        real(ptr)
    monkeypatch.setattr(lib, "mech_ctx_destroy", counting)
    return calls


def test_close_destroys_once(destroy_calls):
    ctx = mechanics.Context()
    ctx.close()
    ctx.close()
    del ctx
    gc.collect()
    assert len(destroy_calls) == 1


def test_context_manager_destroys_once(destroy_calls):
    with mechanics.Context() as ctx:
        assert not ctx.closed
    assert ctx.closed and len(destroy_calls) == 1
    del ctx
    gc.collect()
    assert len(destroy_calls) == 1


def test_del_is_the_fallback(destroy_calls):
    ctx = mechanics.Context(log=lambda level, msg: None)
    del ctx
    gc.collect()
    assert len(destroy_calls) == 1


def test_failed_constructor_frees(destroy_calls):
    with pytest.raises(mechanics.NotFoundError):
        mechanics.Context(no_such_option=1)
    gc.collect()
    assert len(destroy_calls) == 1


def test_use_after_close_raises():
    ctx = mechanics.Context()
    ctx.close()
    with pytest.raises(mechanics.StateError):
        ctx.threads = 2
    with pytest.raises(mechanics.StateError):
        with ctx:
            pass
    rng = mechanics.Rng(seed=1)
    rng.close()
    with pytest.raises(mechanics.StateError):
        rng.uniform(3)
    assert "closed" in repr(rng)

import gc
import weakref

import numpy as np
import pytest

import mechanics
from mechanics import Context, Data


def test_from_arrays_copy_and_get():
    x = np.arange(12.0).reshape(6, 2)
    y = np.arange(6.0)
    with Data.from_arrays(x, y) as d:
        assert (d.n, d.in_dim, d.out_dim, d.is_generator) == (6, 2, 1, False)
        x[0, 0] = 99.0  # copied: the dataset does not see it
        gx, gy = d.examples(1, 2)
        np.testing.assert_array_equal(gx, [[2, 3], [4, 5]])
        np.testing.assert_array_equal(np.asarray(gy).ravel(), [1, 2])
        assert d.examples()[0][0][0] == 0.0
    with Data.from_arrays([[1.0], [2.0]]) as d:  # unlabelled, from lists
        assert d.out_dim == 0 and d.examples()[1] is None


def test_borrow_keeps_buffer_alive_and_sees_it():
    class Buf(np.ndarray):
        pass
    x = np.arange(8.0).reshape(4, 2).view(Buf)
    alive = weakref.ref(x)
    d = Data.from_arrays(x, None, copy=False)
    x[3, 1] = 42.0  # borrowed: later reads see the caller's array
    del x
    gc.collect()
    assert alive() is not None  # the handle keeps the buffer
    assert d.examples(3, 1)[0].tolist() == [[6.0, 42.0]]
    d.close()
    del d
    gc.collect()
    assert alive() is None


def test_split_and_batches():
    x = np.arange(20.0).reshape(10, 2)
    with Context(seed=4) as ctx, Data.from_arrays(x, x[:, :1].copy(), ctx=ctx) as d:
        train, test = d.split(0.7)
        assert (train.n, test.n) == (7, 3)
        np.testing.assert_array_equal(test.examples()[0], x[7:])
        train.set_batch(3, "without_replacement")
        seen = []
        for _ in range(2):
            bx, by = train.next_batch()
            seen += [row[0] for row in bx.tolist()]
        # two batches of 3 distinct examples; the remainder (1 < 3) is dropped
        assert len(set(seen)) == 6 and train.epoch == 1 and train.examples_seen == 6
        state = train.state
        a = train.next_batch()[0].tolist()
        train.state = state
        assert train.next_batch()[0].tolist() == a
        full = Data.from_arrays(x)
        full.set_batch(0, "full")
        np.testing.assert_array_equal(full.next_batch()[0], x)
        for h in (train, test, full):
            h.close()
        with pytest.raises(mechanics.RangeError):
            d.split(1.0)
        with pytest.raises(mechanics.StateError):
            Data.from_arrays(x).next_batch()


def test_generator_linear_teacher_and_options():
    w = np.array([[1.0, -2.0, 0.5]])
    with Context(seed=1) as ctx:
        with Data.generator("gaussian", 3, ctx=ctx, teacher=w, variance=4.0) as g:
            assert g.is_generator and g.out_dim == 1 and g.get("variance") == 4.0
            x, y = g.sample(2000)
            x, y = np.asarray(x), np.asarray(y)
            np.testing.assert_allclose(y[:, 0], x @ w[0], atol=1e-12)
            # sample variance of 6000 N(0, 4) draws: 4 +- 4 sd(4*sqrt(2/6000))
            assert abs(x.var() - 4.0) < 4 * 4.0 * np.sqrt(2 / 6000)
            test = g.materialize(5)
            assert test.n == 5 and not test.is_generator
            test.close()
        with Data.generator("sphere", 5, ctx=ctx) as s:
            x, y = s.sample(10)
            assert y is None
            np.testing.assert_allclose(np.linalg.norm(np.asarray(x), axis=1), np.sqrt(5))
        with Data.generator("power_law", 4, ctx=ctx, alpha=2.0) as p:
            assert p.get("alpha") == 2.0


def test_callback_teacher_and_its_errors():
    with Data.generator("gaussian", 2, teacher=lambda x: np.tanh(x.sum(axis=1, keepdims=True)),
                        out_dim=1) as g:
        x, y = g.sample(4)
        np.testing.assert_allclose(np.asarray(y)[:, 0], np.tanh(np.asarray(x).sum(axis=1)))

    def bad(x):
        raise KeyError("label")
    with Data.generator("gaussian", 2, teacher=bad, out_dim=1) as g:
        with pytest.raises(mechanics.CallbackError) as info:
            g.sample(3)
        assert isinstance(info.value.__cause__, KeyError)
        g.set_batch(2)
        with pytest.raises(mechanics.CallbackError):
            g.next_batch()


def test_mixture_modular_npy(tmp_path):
    with Data.mixture(3, 5, 2.0, balanced=1) as m:
        assert np.allclose(np.linalg.norm(np.asarray(m.means), axis=1), 2.0)
        x, y = m.sample(6)
        assert mechanics.onehot_to_class(y) == [0, 1, 2, 0, 1, 2]
    with Data.modular(5) as d:
        assert (d.n, d.in_dim, d.out_dim) == (25, 10, 5)
        x, y = d.examples(7, 1)  # a = 1, b = 2
        assert np.argmax(x[0][:5]) == 1 and np.argmax(x[0][5:]) == 2
        assert mechanics.onehot_to_class(y) == [3]
    np.save(tmp_path / "x.npy", np.arange(6, dtype=np.int32).reshape(3, 2))
    np.save(tmp_path / "y.npy", np.array([0.5, 1.5, 2.5], dtype=np.float32))
    with Data.load_npy(tmp_path / "x.npy", tmp_path / "y.npy") as d:
        np.testing.assert_array_equal(d.examples()[0], [[0, 1], [2, 3], [4, 5]])
        np.testing.assert_array_equal(np.asarray(d.examples()[1]).ravel(), [0.5, 1.5, 2.5])
    np.save(tmp_path / "c.npy", np.zeros(3, dtype=np.complex128))
    with pytest.raises(mechanics.UnsupportedError):
        Data.load_npy(tmp_path / "c.npy")


def test_bad_input():
    with pytest.raises(mechanics.NonFiniteError):
        Data.from_arrays([[np.nan]])
    with pytest.raises(mechanics.ShapeError):
        Data.from_arrays(np.zeros((3, 2)), np.zeros(4))
    with pytest.raises(ValueError):
        Data.generator("uniform", 3)
    with pytest.raises(mechanics.RangeError):
        Data.generator("gaussian", 3, variance=-1.0)
    with Data.from_arrays([[1.0]]) as d, pytest.raises(mechanics.StateError):
        d.sample(1)

import array
import ctypes

import pytest

import mechanics
from mechanics.arrays import Array, as_input

np = pytest.importorskip("numpy")


def test_array_array_is_used_in_place():
    src = array.array("d", [1.0, 2.0, 3.0])
    data, shape = as_input(src, "x")
    assert shape == (3,)
    data[1] = 20.0  # writes through: no copy was made
    assert src[1] == 20.0


def test_numpy_and_bytearray_views():
    x = np.arange(6.0).reshape(2, 3)
    data, shape = as_input(x, "x", 2)
    assert shape == (2, 3) and ctypes.addressof(data) == x.ctypes.data
    raw = bytearray(8 * 4)
    data, shape = as_input(memoryview(raw).cast("d"), "x")
    assert shape == (4,)
    data[0] = 1.5
    assert memoryview(raw).cast("d")[0] == 1.5


def test_read_only_buffer_is_copied():
    ro = memoryview(bytes(16)).cast("d")
    data, shape = as_input(ro, "x")
    assert shape == (2,) and list(data) == [0.0, 0.0]


def test_lists_and_ragged_lists():
    data, shape = as_input([[1, 2, 3], [4, 5, 6]], "x")
    assert shape == (2, 3) and list(data) == [1, 2, 3, 4, 5, 6]
    with pytest.raises(mechanics.ShapeError):
        as_input([[1, 2], [3]], "x")
    with pytest.raises(TypeError):
        as_input(["a"], "x")


@pytest.mark.parametrize("bad", [
    array.array("f", [1.0]), np.arange(3), np.zeros(3, dtype=np.float32),
    np.zeros(3, dtype=">f8"), bytearray(16), b"\0" * 16])
def test_wrong_item_type_refused(bad):
    with pytest.raises(TypeError, match="format 'd'"):
        as_input(bad, "x")


def test_non_buffer_refused():
    with pytest.raises(TypeError, match="got dict"):
        as_input({}, "x")


@pytest.mark.parametrize("make", [lambda x: x[:, ::2], lambda x: x.T])
def test_non_contiguous_refused(make):
    with pytest.raises(ValueError, match="C-contiguous"):
        as_input(make(np.zeros((4, 4))), "x")


def test_wrong_ndim_refused():
    with pytest.raises(mechanics.ShapeError, match="2-d"):
        as_input([1.0, 2.0], "a", 2)


def test_result_array_is_zero_copy_in_numpy():
    a = Array((2, 3))
    view = np.asarray(a)
    assert view.shape == (2, 3) and view.dtype == np.float64
    view[1, 2] = 7.0
    assert a.tolist() == [[0, 0, 0], [0, 0, 7.0]]
    assert a.memoryview().shape == (2, 3) and a.memoryview().format == "d"
    assert np.frombuffer(a.memoryview(), dtype=np.float64)[5] == 7.0


def test_result_array_round_trips_as_input():
    a = Array((3,))
    data, shape = as_input(a, "x")
    assert data is a.ctypes_data and shape == (3,)
    with pytest.raises(TypeError):
        as_input(Array((3,), ctypes.c_uint32), "x")


def test_array_sequence_protocol():
    a = Array((3,))
    a.ctypes_data[2] = 4.0
    assert len(a) == 3 and a[2] == 4.0 and list(a) == [0.0, 0.0, 4.0]
    assert Array((2, 2))[1] == [0.0, 0.0]


def test_numpy_int64_is_taken_without_a_copy():
    np = pytest.importorskip("numpy")
    from mechanics.arrays import as_input
    import ctypes
    labels = np.arange(6, dtype=np.int64)
    data, shape = as_input(labels, "labels", 1, ctypes.c_int64)
    assert shape == (6,) and list(data) == list(range(6))

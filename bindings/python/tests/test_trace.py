import json
import math

import numpy as np
import pytest

import mechanics
from mechanics import Trace


def make(axis="step", rows=5, scale=1.0):
    tr = Trace(axis)
    tr.add_column("loss")
    tr.add_column("acc")
    for k in range(rows):
        tr.append(k, [scale * 2.0 ** -k, k / 10])
    return tr


def test_columns_rows_and_arrays():
    with make() as tr:
        assert tr.axis == "step" and tr.names == ["loss", "acc"] and len(tr) == 5
        assert tr.time.tolist() == [0, 1, 2, 3, 4]
        assert tr["loss"].tolist() == [1, 0.5, 0.25, 0.125, 0.0625]
        assert tr["step"].tolist() == tr.time.tolist()
        loss = np.asarray(tr["loss"])  # zero-copy view of the Array
        assert loss.dtype == np.float64 and loss.shape == (5,)
        assert list(tr.columns) == ["loss", "acc"]
        # a column added later reads NaN in earlier rows; put() fills the last row
        tr.row(5, loss=0.03, grad_norm=1.5)
        assert math.isnan(tr["grad_norm"][0]) and tr["grad_norm"][5] == 1.5
        assert math.isnan(tr.value(5, "acc"))
        tr.begin_row(6)
        tr.put("acc", 0.7)
        assert tr.value(6, "acc") == 0.7 and math.isnan(tr.value(6, 0))
        assert "loss" in tr and "nope" not in tr
        with pytest.raises(mechanics.NotFoundError):
            tr["nope"]
        with pytest.raises(mechanics.NonFiniteError):
            tr.append(7, [math.inf])
        assert len(tr) == 7  # a refused row is not appended


def test_meta_dict():
    with Trace("time") as tr:
        meta = tr.meta
        assert meta["axis"] == "time" and "library_version" in meta
        meta["lr"] = 0.1
        meta["note"] = "hello"
        assert float(meta["lr"]) == 0.1 and dict(meta.items())["note"] == "hello"
        assert list(meta)[-2:] == ["lr", "note"]
        with pytest.raises(mechanics.NotFoundError):
            meta["absent"]


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "npz"])
def test_save_load_round_trip(tmp_path, fmt):
    path = tmp_path / f"t.{fmt}"
    with make(scale=1 / 3) as tr:
        tr.meta["lr"] = 0.1
        tr.save(path)  # format from the extension
        with Trace.load(path) as back:
            assert back.names == tr.names and back.axis == "step"
            assert back["loss"].tolist() == tr["loss"].tolist()  # exact (%.17g)
            assert back.meta["lr"] == tr.meta["lr"]


def test_npz_written_by_library_reads_in_numpy(tmp_path):
    path = tmp_path / "run.npz"
    with make() as tr:
        tr.meta["model"] = "mlp"
        tr.save(path, format="npz")
        with np.load(path) as f:
            assert sorted(f.files) == ["__meta__", "acc", "loss", "step"]
            np.testing.assert_array_equal(f["step"], np.asarray(tr.time))
            np.testing.assert_array_equal(f["loss"], np.asarray(tr["loss"]))
            header = json.loads(str(f["__meta__"]))
    assert header["axis"] == "step" and header["columns"] == ["loss", "acc"]
    assert header["meta"]["model"] == "mlp"


def test_numpy_savez_loads_in_library(tmp_path):
    path = tmp_path / "np.npz"
    t = np.linspace(0.0, 1.0, 11)
    np.savez(path, time=t, loss=np.exp(-t))
    with Trace.load(path) as tr:
        assert tr.axis == "time" and tr.names == ["loss"]
        np.testing.assert_array_equal(np.asarray(tr["loss"]), np.exp(-t))
        d = tr.to_numpy()
        np.testing.assert_array_equal(d["time"], t)
    np.savez_compressed(tmp_path / "c.npz", time=t, loss=t)
    with pytest.raises(mechanics.UnsupportedError):
        Trace.load(tmp_path / "c.npz")


def test_ensemble_mean_and_se():
    members = [make(scale=s) for s in (1.0, 2.0, 3.0)]
    with Trace.ensemble(members) as ens:
        assert ens.names == ["loss", "loss_se", "acc", "acc_se"]
        assert ens.meta["ensemble_size"] == "3"
        # mean of (1, 2, 3) * 2^-k = 2 * 2^-k; sample sd of (1, 2, 3) is 1
        for k in range(5):
            assert ens["loss"][k] == pytest.approx(2.0 * 2.0 ** -k, rel=1e-15)
            assert ens["loss_se"][k] == pytest.approx(2.0 ** -k / math.sqrt(3), rel=1e-14)
    for m in members:
        m.close()
    with Trace("step") as a, Trace("time") as b:
        with pytest.raises(mechanics.MechanicsError):
            Trace.ensemble([a, b])


def test_compare():
    with make() as pred, Trace("step") as meas:
        meas.add_column("loss")
        # measurement at half steps: linear interpolation of the prediction
        for t, y in [(0.5, 0.8), (1.5, 0.4), (3.5, 0.1)]:
            meas.append(t, [y])
        c = mechanics.compare(pred, "loss", meas, "loss")
        p = np.array([0.75, 0.375, 0.09375])
        err = np.abs(np.array([0.8, 0.4, 0.1]) - p)
        assert c.n_points == 3
        assert c.max_abs == pytest.approx(err.max(), rel=1e-14)
        assert c.mean_abs == pytest.approx(err.mean(), rel=1e-14)
        assert c.rms == pytest.approx(np.sqrt((err ** 2).mean()), rel=1e-14)
        assert c.max_rel == pytest.approx((err / p).max(), rel=1e-14)
        assert math.isnan(c.mean_abs_se) and math.isnan(c.max_z)  # no _se column
        c2 = pred.compare("loss", meas, "loss", t_lo=1.0, t_hi=2.0)
        assert c2.n_points == 1 and c2["t_lo"] == 1.5
        with pytest.raises(mechanics.RangeError):
            mechanics.compare(pred, "loss", meas, "loss", t_lo=10.0)
    c3 = mechanics.compare_arrays([0, 1], [0, 1], [0.5], [0.7], se_meas=[0.1])
    assert c3.max_abs == pytest.approx(0.2) and c3.max_z == pytest.approx(2.0)


def test_bad_input():
    with pytest.raises(ValueError):
        Trace("hours")
    with Trace() as tr:
        with pytest.raises(mechanics.StateError):
            tr.put(0, 1.0)
        with pytest.raises(mechanics.InvalidArgumentError):
            tr.add_column("step")  # the axis name
        with pytest.raises(ValueError):
            tr.save("x.csv", format="xml")
    with pytest.raises(mechanics.FileIOError):
        Trace.load("/nonexistent/dir/t.csv")

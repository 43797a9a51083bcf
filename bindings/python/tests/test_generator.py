"""The generators on a small synthetic header tree with every construct
abi.json describes (the real headers lack public structs for now)."""
import ctypes
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "gen"))
abi_gen = pytest.importorskip("abi_gen")
import py_gen  # noqa: E402

UMBRELLA = '#include "mechanics/t.h"\n'
HEADER = r"""
#ifndef T_H
#define T_H
#include <stddef.h>
#include <stdint.h>
#define MECH_API __attribute__((visibility("default")))
#define MECH_VERSION_MAJOR 2
#define MECH_VERSION_NUMBER \
    (MECH_VERSION_MAJOR * 10000 + 3)
#define MECH_T_NAME "t"

typedef enum mech_kind { MECH_KIND_CTX = 0, MECH_KIND_THING = 1 } mech_kind;

/* A thing. */
typedef struct mech_thing mech_thing;

typedef enum mech_thing_opt {
    /* Width of the thing. */
    MECH_THING_WIDTH = 0,
    MECH_THING_RATE,      /* learning rate */
    MECH_THING_LAST = MECH_THING_RATE + 4
} mech_thing_opt;

typedef double mech_real;

/* Result of a comparison,
 * grown only at the end. */
typedef struct mech_cmp {
    size_t size;
    double err[3];
    const char *name;
} mech_cmp;

typedef int (*mech_cb)(const mech_cmp *c, void *user_data);

/* Sets an integer option. */
MECH_API int mech_thing_set_i64(mech_thing *t, mech_thing_opt key, int64_t v);
MECH_API int mech_thing_create(mech_thing **out, mech_cb fn, mech_real x);
#endif
"""


@pytest.fixture
def abi(tmp_path):
    (tmp_path / "include" / "mechanics").mkdir(parents=True)
    (tmp_path / "include" / "mechanics.h").write_text(UMBRELLA)
    (tmp_path / "include" / "mechanics" / "t.h").write_text(HEADER)
    import json
    return json.loads(abi_gen.generate(str(tmp_path)))


def test_description(abi):
    assert abi["headers"] == ["mechanics.h", "mechanics/t.h"]
    assert abi["macros"]["MECH_VERSION_NUMBER"]["value"] == 20003
    assert abi["macros"]["MECH_T_NAME"]["value"] == "t"
    assert "MECH_API" not in abi["macros"]
    assert abi["handles"] == {"mech_thing": {"doc": "A thing.", "header": "mechanics/t.h"}}
    members = abi["enums"]["mech_thing_opt"]["members"]
    assert [(m["name"], m["value"], m["doc"]) for m in members] == [
        ("MECH_THING_WIDTH", 0, "Width of the thing."),
        ("MECH_THING_RATE", 1, "learning rate"), ("MECH_THING_LAST", 5, "")]
    assert abi["enums"]["mech_thing_opt"]["options"] == {
        "kind": "MECH_KIND_THING", "handle": "mech_thing",
        "accessors": {"set_i64": "mech_thing_set_i64"}}
    cmp = abi["structs"]["mech_cmp"]
    assert cmp["doc"] == "Result of a comparison,\ngrown only at the end."
    assert [(f["name"], f["type"]["c"], f["type"].get("array")) for f in cmp["fields"]] == [
        ("size", "size_t", None), ("err", "double", [3]), ("name", "const char *", None)]
    assert abi["callbacks"]["mech_cb"]["params"][0]["type"]["category"] == "struct"
    assert abi["typedefs"]["mech_real"]["type"]["c"] == "double"
    create = abi["functions"]["mech_thing_create"]
    assert [(p["name"], p["type"]["c"]) for p in create["params"]] == [
        ("out", "mech_thing **"), ("fn", "mech_cb"), ("x", "mech_real")]
    assert abi["functions"]["mech_thing_set_i64"]["doc"] == "Sets an integer option."


def test_ctypes_module(abi):
    ns = {}
    exec(compile(py_gen.render(abi), "_abi.py", "exec"), ns)
    assert ns["MECH_VERSION_NUMBER"] == 20003 and ns["MECH_THING_LAST"] == 5
    assert issubclass(ns["mech_thing"], ctypes.c_void_p)
    fields = ns["mech_cmp"]._fields_
    assert fields[0] == ("size", ctypes.c_size_t)
    assert fields[1][1]._length_ == 3 and fields[1][1]._type_ is ctypes.c_double
    assert ns["mech_real"] is ctypes.c_double
    restype, params = ns["FUNCTIONS"]["mech_thing_create"]
    assert restype is ctypes.c_int
    assert params[0] == ("out", ctypes.POINTER(ns["mech_thing"]))
    assert params[1] == ("fn", ns["mech_cb"]) and params[2] == ("x", ctypes.c_double)
    assert ns["OPTION_ENUMS"]["mech_thing_opt"]["kind"] == "MECH_KIND_THING"


def test_variadic_functions_are_refused(tmp_path):
    (tmp_path / "include" / "mechanics").mkdir(parents=True)
    (tmp_path / "include" / "mechanics.h").write_text(UMBRELLA)
    (tmp_path / "include" / "mechanics" / "t.h").write_text("int mech_f(int n, ...);\n")
    with pytest.raises(ValueError, match="variadic"):
        abi_gen.generate(str(tmp_path))

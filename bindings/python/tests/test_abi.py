"""The generated description against the built library and the ABI rules."""
import ctypes
import json
import os

import mechanics
from mechanics import _abi

ABI_JSON = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "abi.json")


def load_abi():
    with open(ABI_JSON, encoding="utf-8") as f:
        return json.load(f)


def test_library_exports_every_declared_function():
    assert mechanics.missing_functions() == ()


def test_public_structs_start_with_their_size():
    for name, s in load_abi()["structs"].items():
        first = s["fields"][0]
        assert (first["name"], first["type"]["c"]) == ("size", "size_t"), name
        assert issubclass(getattr(_abi, name), ctypes.Structure)


def test_generated_module_matches_description():
    abi = load_abi()
    assert sorted(_abi.FUNCTIONS) == sorted(abi["functions"])
    for name, f in abi["functions"].items():
        assert [p for p, _ in _abi.FUNCTIONS[name][1]] == [p["name"] for p in f["params"]]
    for name, e in abi["enums"].items():
        assert _abi.ENUMS[name] == {m["name"]: m["value"] for m in e["members"]}

import os

import pytest

import mechanics
from mechanics import _abi, _loader


def test_version_matches_headers():
    assert mechanics.version() == _abi.MECH_VERSION_STRING
    assert mechanics.lib().mech_version() == _abi.MECH_VERSION_NUMBER
    assert mechanics.__version__ == _abi.MECH_VERSION_STRING


def test_mismatched_library_is_refused(monkeypatch):
    monkeypatch.setattr(_abi, "MECH_VERSION_NUMBER", _abi.MECH_VERSION_NUMBER + 1)
    with pytest.raises(mechanics.VersionMismatchError) as info:
        _loader.load()
    assert isinstance(info.value, ImportError)
    assert str(_abi.MECH_VERSION_NUMBER) in info.value.message
    assert str(_abi.MECH_VERSION_NUMBER - 1) in info.value.message


def test_explicit_library_path_is_the_only_candidate(monkeypatch, tmp_path):
    monkeypatch.setenv("MECHANICS_LIBRARY", str(tmp_path / "libmechanics.so.0"))
    with pytest.raises(mechanics.LibraryNotFoundError, match="MECHANICS_LIBRARY"):
        _loader.load()


def test_build_dir_lookup(monkeypatch):
    built = os.path.realpath(mechanics.library_path())
    build_dir = os.path.dirname(os.path.dirname(built))
    monkeypatch.delenv("MECHANICS_LIBRARY")
    monkeypatch.setenv("MECHANICS_BUILD_DIR", build_dir)
    _, path, _ = _loader.load()
    assert os.path.realpath(path) == built


def test_sanitizer_build_trees_are_passed_over(tmp_path):
    # A tree configured with b_sanitize cannot be loaded into a plain
    # interpreter; one without it is a candidate.
    for name, value in (("build-asan", "address,undefined"), ("build", "none")):
        info = tmp_path / name / "meson-info"
        info.mkdir(parents=True)
        (info / "intro-buildoptions.json").write_text(
            '[{"name": "b_sanitize", "value": "%s"}]' % value)
    assert _loader._sanitized(str(tmp_path / "build-asan" / "lib" / _loader.SONAME))
    assert not _loader._sanitized(str(tmp_path / "build" / "lib" / _loader.SONAME))
    assert not _loader._sanitized(str(tmp_path / "elsewhere" / "lib" / _loader.SONAME))

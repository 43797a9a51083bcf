import subprocess
import sys

SCRIPT = r"""
import sys
sys.modules["numpy"] = None  # any `import numpy` now raises ImportError
import array
import mechanics
try:
    import numpy
except ImportError:
    pass
else:
    raise SystemExit("numpy was importable")
with mechanics.Rng(seed=3) as rng:
    u = rng.uniform(4)
assert len(u.tolist()) == 4 and u.__array_interface__["shape"] == (4,)
if "mech_gemm" not in mechanics.missing_functions():
    eye = memoryview(array.array("d", [1, 0, 0, 1])).cast("B").cast("d", (2, 2))
    c = mechanics.gemm([[1, 2], [3, 4]], eye)
    assert c.tolist() == [[1, 2], [3, 4]], c.tolist()
print("ok")
"""


def test_package_works_without_numpy():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"

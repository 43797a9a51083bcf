"""The handle classes work without numpy: inputs from lists and
array.array, results as Arrays, callbacks receive memoryviews."""
import subprocess
import sys

SCRIPT = r"""
import sys
sys.modules["numpy"] = None  # any `import numpy` now raises ImportError
import array, math, os, tempfile
import mechanics as m

tr = m.Trace("step")
tr.row(0, loss=1.0)
tr.row(1, loss=0.5)
assert tr["loss"].tolist() == [1.0, 0.5] and tr.time.tolist() == [0.0, 1.0]
with tempfile.TemporaryDirectory() as d:
    tr.save(os.path.join(d, "t.npz"))
    assert m.Trace.load(os.path.join(d, "t.npz"))["loss"].tolist() == [1.0, 0.5]

# a linear model f = w . x as callbacks over memoryviews
def forward(p, x):
    return [[sum(p[j] * x[i, j] for j in range(2))] for i in range(x.shape[0])]
def vjp(p, x, u):
    return [sum(u[i, 0] * x[i, j] for i in range(x.shape[0])) for j in range(2)]
def jvp(p, x, v):
    return forward(v, x)
cb = m.Model.from_callbacks(2, 2, 1, forward, vjp, jvp, params=[1.0, 2.0])
lin = m.Model("linear", [2, 1])
lin.params = [1.0, 2.0]
x, y = [[1.0, 0.5], [0.0, 2.0]], [[1.0], [0.0]]
lb, gb = lin.gradient(x, y)
lc, gc = cb.gradient(x, y)
assert abs(lb - lc) < 1e-14 and max(abs(a - b) for a, b in zip(gb, gc)) < 1e-14

p = array.array("d", [1.0, 1.0])
opt = m.Optimizer("sgd", 2, lr=0.5)
opt.step(p, gc)
assert list(p) == [1.0 - 0.5 * gc[0], 1.0 - 0.5 * gc[1]]

d = m.Data.from_arrays(x, y, copy=False)
d.set_batch(0, "full")
bx, by = d.next_batch()
assert bx.tolist() == x and by.tolist() == y

ode = m.Ode(lambda t, y: [-y[0]], 1, rtol=1e-10, atol=1e-12)
assert abs(ode.integrate(0.0, [1.0], 1.0)[0] - math.exp(-1)) < 1e-8
out = m.theory.eigenlearning([1.0, 0.5], [1.0, 1.0], 1.0, ridge=0.1)
assert len(out["learnabilities"]) == 2
print("ok")
"""


def test_classes_work_without_numpy():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"

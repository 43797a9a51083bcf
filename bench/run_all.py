#!/usr/bin/env python3
"""Times libmechanics against what its users would otherwise use (numpy,
PyTorch on CPU, scipy) side by side in one run and prints one table of
ratios: libmechanics time / peer time (< 1: libmechanics is faster).

    /usr/bin/python3 bench/run_all.py [BUILD_DIR] [--repeats R] [--skip-chinchilla]

BUILD_DIR (default build-release) is an existing optimized meson build
(tools/test-all.sh makes build-release); nothing is built here. It must
hold lib/libmechanics.so.0 and bench/train_step (meson option bench=true,
the default). Peers need numpy and torch (tools/install-bench-deps.sh).

Every time is the minimum over R repeats (default 5) of the wall time of
one block of calls, which is the measurement least disturbed by other load
on a shared machine; compare the two numbers of one line, not numbers
across runs. bench/README.md says what each line compares."""
import argparse
import ctypes
import os
import platform
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# ---------------------------------------------------------------- setup


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build", nargs="?", default=os.path.join(ROOT, "build-release"))
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--skip-chinchilla", action="store_true",
                    help="leave out the Chinchilla grid fit (its scipy side takes ~1 min)")
    return ap.parse_args()


ARGS = parse_args()
BUILD = os.path.abspath(ARGS.build)
LIBRARY = os.path.join(BUILD, "lib", "libmechanics.so.0")
TRAIN_STEP = os.path.join(BUILD, "bench", "train_step")
for path in (LIBRARY, TRAIN_STEP):
    if not os.path.exists(path):
        sys.exit(f"run_all: {path} is missing: build it first (bash tools/test-all.sh, or "
                 f"meson setup build-release --buildtype=release && ninja -C build-release)")
for var in ("BLIS_NUM_THREADS", "OMP_NUM_THREADS"):
    if var in os.environ:
        sys.exit(f"run_all: unset {var}: thread counts are set per line here")
os.environ["MECHANICS_LIBRARY"] = LIBRARY
sys.path.insert(0, os.path.join(ROOT, "bindings", "python"))

import numpy as np  # noqa: E402
import torch  # noqa: E402

import mechanics  # noqa: E402
from mechanics import _abi  # noqa: E402

LIB = mechanics.lib()
P64 = ctypes.POINTER(ctypes.c_double)
P32 = ctypes.POINTER(ctypes.c_float)
RNG = np.random.default_rng(0)
ROWS = []  # (section, what, size, mech seconds, peer name, peer seconds, note)


def ptr(a):
    return a.ctypes.data_as(P64 if a.dtype == np.float64 else P32)


def ok(status):
    if status != 0:
        raise RuntimeError(f"{LIB.mech_status_name(status).decode()}: "
                           f"{LIB.mech_last_error().decode()}")


def best(fn, inner=1, repeats=None, threads=1):
    """Minimum over repeats of the time per call of `inner` calls: CPU time
    of this thread for one-thread work (which all runs in this thread; it
    does not count waiting for a core on a loaded machine), wall time for
    multi-threaded work."""
    clock = time.thread_time if threads == 1 else time.perf_counter
    fn()  # warm-up: first-use allocations, caches, lazy initialisation
    times = []
    for _ in range(repeats or ARGS.repeats):
        t0 = clock()
        for _ in range(inner):
            fn()
        times.append((clock() - t0) / inner)
    return min(times)


def once(fn):
    """(result, CPU time of this thread) of one call."""
    t0 = time.thread_time()
    result = fn()
    return result, time.thread_time() - t0


def row(section, what, size, mech_s, peer, peer_s, note=""):
    ROWS.append((section, what, size, mech_s, peer, peer_s, note))
    print(f"  {what} [{size}]: libmechanics {fmt_t(mech_s)}, {peer} {fmt_t(peer_s)}, "
          f"ratio {mech_s / peer_s:.2f}{'  ' + note if note else ''}", flush=True)


def fmt_t(s):
    return f"{s * 1e3:.3g} ms" if s < 1 else f"{s:.3g} s"


def context(threads):
    return mechanics.Context(threads=threads)


def loaded_blas():
    """Resolved paths of the BLAS-like libraries mapped into this process."""
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1]
            if re.search(r"lib(blas|blis|openblas|mkl|dnnl)", os.path.basename(path)):
                libs.add(os.path.realpath(path))
    return sorted(libs)


def machine():
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    np.dot(np.ones((64, 64)), np.ones((64, 64)))
    torch.mm(torch.ones(64, 64), torch.ones(64, 64))
    return [
        f"CPU: {model}, {os.cpu_count()} logical cores; load average at start "
        f"{os.getloadavg()[0]:.1f}",
        f"{platform.platform()}; Python {platform.python_version()}",
        f"libmechanics {mechanics.version()} ({LIBRARY}), BLIS {mechanics.blis_version()}",
        f"numpy {np.__version__}, torch {torch.__version__} "
        f"(mkldnn {'on' if torch.backends.mkldnn.is_available() else 'off'})",
        "BLAS-like libraries in this process (numpy's libblas.so.3 is Debian's "
        "alternative): " + ", ".join(os.path.basename(p) if "alternatives" not in p else p
                                     for p in loaded_blas()),
    ]

# ---------------------------------------------------------------- 1. GEMM


CEILING = {}  # (dtype, threads) -> GFLOP/s of mech_gemm at n = 512


def bench_gemm():
    print("1. GEMM ceiling", flush=True)
    for dtype, fn in ((np.float64, LIB.mech_gemm), (np.float32, LIB.mech_gemm_f32)):
        for threads in (1, 2):
            ctx = context(threads)
            for n in (256, 512, 1024):
                a, b = (RNG.standard_normal((n, n)).astype(dtype) for _ in range(2))
                c, c2 = np.empty((n, n), dtype), np.empty((n, n), dtype)
                pa, pb, pc = ptr(a), ptr(b), ptr(c)
                t_mech = best(lambda: ok(fn(ctx.handle, False, False, n, n, n, 1.0, pa, n,
                                            pb, n, 0.0, pc, n)), threads=threads)
                flops = 2.0 * n ** 3
                if n == 512:
                    CEILING[(dtype, threads)] = flops / t_mech / 1e9
                if threads != 1:
                    continue  # numpy's BLIS runs single-threaded (no env set)
                t_np = best(lambda: np.dot(a, b, out=c2))
                assert np.allclose(c, c2, rtol=1e-3 if dtype == np.float32 else 1e-10,
                                   atol=1e-3 * np.sqrt(n))
                row("1 GEMM", f"gemm {np.dtype(dtype).name}, 1 thread", f"n={n}", t_mech,
                    "numpy.dot", t_np, f"{flops / t_mech / 1e9:.1f} vs "
                    f"{flops / t_np / 1e9:.1f} GFLOP/s")
    for (dtype, threads), g in sorted(CEILING.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
        print(f"  ceiling {np.dtype(dtype).name}, {threads} thread(s): {g:.1f} GFLOP/s "
              f"(mech_gemm, n=512)")

# ---------------------------------------------------------------- 2. MLP step


WIDTHS = [784, 512, 512, 10]
BATCH = 128


def torch_mlp(widths, dtype):
    layers = []
    for i in range(len(widths) - 1):
        layers.append(torch.nn.Linear(widths[i], widths[i + 1]))
        if i < len(widths) - 2:
            layers.append(torch.nn.ReLU())
    return torch.nn.Sequential(*layers).to(dtype)


def half_mse(f, y):
    return 0.5 * ((f - y) ** 2).sum() / f.shape[0]


def torch_step_time(dtype, threads, steps):
    torch.set_num_threads(threads)
    net = torch_mlp(WIDTHS, dtype)
    x = torch.rand(BATCH, WIDTHS[0], dtype=dtype) * 2 - 1
    y = torch.zeros(BATCH, WIDTHS[-1], dtype=dtype)
    y[torch.arange(BATCH), torch.arange(BATCH) % WIDTHS[-1]] = 1
    opt = torch.optim.SGD(net.parameters(), lr=1e-3)

    def step():
        opt.zero_grad(set_to_none=True)
        half_mse(net(x), y).backward()
        opt.step()

    return best(lambda: [step() for _ in range(steps)], threads=threads) / steps


def bench_training():
    print("2. MLP training step (forward + backward + SGD update)", flush=True)
    weights = sum(WIDTHS[i] * WIDTHS[i + 1] for i in range(len(WIDTHS) - 1))
    flops = 6.0 * BATCH * weights  # forward 2BW, backward 4BW
    steps = 10
    size = "-".join(map(str, WIDTHS)) + f", batch {BATCH}"
    for prec, dtype, np_dtype in (("f64", torch.float64, np.float64),
                                  ("f32", torch.float32, np.float32)):
        # 2 threads: wall time, only meaningful on an otherwise idle machine
        for threads in (1, 2):
            out = subprocess.run([TRAIN_STEP, prec, str(threads), str(BATCH), str(steps),
                                  str(ARGS.repeats)] + [str(w) for w in WIDTHS],
                                 check=True, capture_output=True, text=True).stdout
            res = dict(line.split() for line in out.splitlines())
            clock = "cpu" if threads == 1 else "wall"
            t_run, t_raw = float(res[f"run_{clock}_s"]), float(res[f"raw_{clock}_s"])
            t_torch = torch_step_time(dtype, threads, steps)
            ceil = CEILING[(np_dtype, threads)]
            for how, t in (("mech_run", t_run), ("gradient+step loop", t_raw)):
                row("2 MLP step", f"{prec} {how}, {threads} thr{'' if threads == 1 else ' (wall)'}",
                    size, t,
                    f"torch ({threads} thr)", t_torch,
                    f"{flops / t / 1e9:.1f} GFLOP/s = {flops / t / 1e9 / ceil:.0%} of the "
                    f"GEMM ceiling (torch {flops / t_torch / 1e9 / ceil:.0%})")
    torch.set_num_threads(1)

# ---------------------------------------------------------------- 3. Hessian


def shared_mlp(widths, batch, seed):
    """The same relu MLP (SP, biases) and data in libmechanics and torch."""
    ctx = context(1)
    model = mechanics.Model("mlp", widths, ctx, activation="relu", bias=1, max_batch=batch,
                            init_stream=seed)
    net = torch_mlp(widths, torch.float64)
    theta = np.asarray(model.params)
    with torch.no_grad():
        k = 0
        for layer in net:
            if isinstance(layer, torch.nn.Linear):
                for p in (layer.weight, layer.bias):
                    p.copy_(torch.from_numpy(theta[k:k + p.numel()].reshape(p.shape)))
                    k += p.numel()
    x = RNG.standard_normal((batch, widths[0]))
    y = np.zeros((batch, widths[-1]))
    y[np.arange(batch), np.arange(batch) % widths[-1]] = 1
    diff = np.abs(np.asarray(model.forward(x)) - net(torch.from_numpy(x)).detach().numpy()).max()
    assert diff < 1e-10, f"the two networks differ by {diff}"
    return ctx, model, net, x, y


def lanczos_top(ctx, model, x, y, tol, confirm=1):
    n = model.num_params
    ok(LIB.mech_model_hvp_prepare(model.handle, _abi.MECH_LOSS_MSE, ptr(x), ptr(y), x.shape[0]))

    def matvec(v, out, _n, _ud):
        return 0 if LIB.mech_model_hvp_apply(model.handle, v, out) == 0 else -1

    cb = _abi.mech_matvec_fn(matvec)
    h = _abi.mech_lanczos()
    ok(LIB.mech_lanczos_create(ctypes.byref(h), ctx.handle, n, 1, 0))
    try:
        ok(LIB.mech_lanczos_set_f64(h, _abi.MECH_LANCZOS_TOL, tol))
        ok(LIB.mech_lanczos_set_i64(h, _abi.MECH_LANCZOS_WARM_START, 0))
        ok(LIB.mech_lanczos_set_i64(h, _abi.MECH_LANCZOS_CONFIRM, confirm))
        value = ctypes.c_double()
        ok(LIB.mech_lanczos_solve(h, cb, None, ctypes.byref(value), None, None, None))
        mv = ctypes.c_int64()
        ok(LIB.mech_lanczos_get_stat(h, _abi.MECH_LANCZOS_STAT_MATVECS, ctypes.byref(mv)))
        return value.value, int(mv.value)
    finally:
        LIB.mech_lanczos_destroy(h)


def power_iteration(hvp, n, max_iter=100, tol=1e-3):
    """PyHessian's eigenvalue loop: relative change of v.Hv below tol."""
    g = torch.Generator().manual_seed(0)
    v = torch.randn(n, dtype=torch.float64, generator=g)
    v /= v.norm()
    eig, k = None, 0
    for k in range(1, max_iter + 1):
        hv = hvp(v)
        new = float(hv @ v)
        v = hv / hv.norm()
        if eig is not None and abs(new - eig) / (abs(eig) + 1e-6) < tol:
            eig = new
            break
        eig = new
    return eig, k


def bench_hessian():
    print("3. Hessian-vector product and top Hessian eigenvalue (f64, 1 thread)", flush=True)
    torch.set_num_threads(1)
    ctx, model, net, x, y = shared_mlp(WIDTHS, BATCH, 1)
    n = model.num_params
    size = "-".join(map(str, WIDTHS)) + f", batch {BATCH}"
    v = RNG.standard_normal(n)
    hv = np.empty(n)
    px, py, pv, phv = ptr(x), ptr(y), ptr(v), ptr(hv)
    t_mech = best(lambda: ok(LIB.mech_model_hvp(model.handle, _abi.MECH_LOSS_MSE, px, py, BATCH,
                                                pv, phv)))
    params = list(net.parameters())
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    grads = torch.autograd.grad(half_mse(net(tx), ty), params, create_graph=True)

    def torch_hvp(vec):
        parts, k = [], 0
        for p in params:
            parts.append(vec[k:k + p.numel()].view_as(p))
            k += p.numel()
        out = torch.autograd.grad(grads, params, grad_outputs=parts, retain_graph=True)
        return torch.cat([o.reshape(-1) for o in out])

    tv = torch.from_numpy(v)
    t_torch = best(lambda: torch_hvp(tv))
    err = np.abs(torch_hvp(tv).numpy() - hv).max() / np.abs(hv).max()
    row("3 Hessian", "HVP", size, t_mech, "torch double backward", t_torch,
        f"agree to {err:.0e}; torch reuses one create_graph gradient as PyHessian does, "
        f"mech_model_hvp redoes the forward pass")
    ok(LIB.mech_model_hvp_prepare(model.handle, _abi.MECH_LOSS_MSE, px, py, BATCH))
    hv2 = np.empty(n)
    t_apply = best(lambda: ok(LIB.mech_model_hvp_apply(model.handle, pv, ptr(hv2))))
    row("3 Hessian", "HVP, prepared", size, t_apply, "torch double backward", t_torch,
        f"mech_model_hvp_apply after one mech_model_hvp_prepare (like torch's kept graph); "
        f"equal to mech_model_hvp: {np.array_equal(hv2, hv)}")

    (lam_pi, iters), t_pi = once(lambda: power_iteration(torch_hvp, n))
    ref, _ = lanczos_top(ctx, model, x, y, 1e-10)
    for tol, confirm in ((1e-3, 1), (1e-6, 1), (1e-3, 0), (1e-6, 0)):
        (lam, mv), t_lanczos = once(lambda: lanczos_top(ctx, model, x, y, tol, confirm))
        what = f"top eigenvalue, Lanczos tol {tol:.0e}" + ("" if confirm else ", confirm 0")
        row("3 Hessian", what, size, t_lanczos,
            "torch power iteration", t_pi,
            f"Lanczos {mv} prepared HVPs ({mv * t_apply / t_lanczos:.0%} of its time), rel. error "
            f"{abs(lam - ref) / ref:.0e}; power iteration "
            f"(PyHessian: tol 1e-3, <= 100 steps) {iters} HVPs, rel. error "
            f"{abs(lam_pi - ref) / ref:.0e}")

# ---------------------------------------------------------------- 4. kernels


def bench_ntk():
    print("4. Empirical NTK and analytic NNGP/NTK (f64, 1 thread)", flush=True)
    from functorch import jacrev, make_functional, vmap
    torch.set_num_threads(1)
    widths, n = [32, 128, 128, 4], 64
    ctx, model, net, x, _ = shared_mlp(widths, n, 2)
    out = widths[-1]
    k = np.empty((n * out, n * out))
    px, pk = ptr(x), ptr(k)
    t_mech = best(lambda: ok(LIB.mech_model_ntk(model.handle, px, n, px, n, pk)), repeats=3)
    fnet, params = make_functional(net)
    tx = torch.from_numpy(x)

    def one(p, xi):
        return fnet(p, xi.unsqueeze(0)).squeeze(0)

    def torch_ntk():
        jac = vmap(jacrev(one), (None, 0))(params, tx)
        mats = [j.reshape(n * out, -1) for j in jac]
        return sum(m @ m.T for m in mats)

    t_torch = best(torch_ntk, repeats=3)
    err = np.abs(torch_ntk().detach().numpy() - k).max() / np.abs(k).max()
    row("4 kernels", "empirical NTK", f"{'-'.join(map(str, widths))}, n={n}", t_mech,
        "torch jacrev+vmap", t_torch, f"agree to {err:.0e}")

    n, dim, depth = 1000, 100, 3
    xs = RNG.standard_normal((n, dim))
    nngp, ntk = np.empty((n, n)), np.empty((n, n))
    t_mech = best(lambda: ok(LIB.mech_nngp_ntk(None, _abi.MECH_ACT_RELU, depth, 2.0, 0.1,
                                               ptr(xs), n, None, n, dim, ptr(nngp), ptr(ntk))),
                  repeats=3)
    t_np = best(lambda: numpy_relu_kernels(xs, depth, 2.0, 0.1), repeats=3)
    k_np, t_np_k = numpy_relu_kernels(xs, depth, 2.0, 0.1)
    err = max(np.abs(k_np - nngp).max() / np.abs(nngp).max(),
              np.abs(t_np_k - ntk).max() / np.abs(ntk).max())
    row("4 kernels", f"relu NNGP+NTK, depth {depth}", f"n={n}, d={dim}", t_mech,
        "numpy recursion", t_np, f"agree to {err:.0e}")


def numpy_relu_kernels(x, depth, sw2, sb2):
    """The arc-cosine recursion of kernels.h, vectorised over the n x n grid."""
    k = sw2 * (x @ x.T) / x.shape[1] + sb2
    theta = k.copy()
    for _ in range(depth):
        d = np.sqrt(np.diag(k))
        norm = np.outer(d, d)
        cos = np.clip(k / norm, -1.0, 1.0)
        ang = np.arccos(cos)
        k = sw2 * norm * (np.sin(ang) + (np.pi - ang) * cos) / (2 * np.pi) + sb2
        theta = k + sw2 * theta * (np.pi - ang) / (2 * np.pi)
    return k, theta

# ---------------------------------------------------------------- 5. CKA


def numpy_cka(x, y):
    x = x - x.mean(axis=0)
    y = y - y.mean(axis=0)
    return (np.linalg.norm(y.T @ x) ** 2
            / (np.linalg.norm(x.T @ x) * np.linalg.norm(y.T @ y)))


def bench_cka():
    print("5. Linear CKA (f64, 1 thread)", flush=True)
    n, p = 2000, 512
    x = RNG.standard_normal((n, p))
    y = x @ RNG.standard_normal((p, p)) * 0.1 + RNG.standard_normal((n, p))
    out = ctypes.c_double()
    t_mech = best(lambda: ok(LIB.mech_cka(None, ptr(x), n, p, ptr(y), p, _abi.MECH_HSIC_BIASED,
                                          ctypes.byref(out))))
    t_np = best(lambda: numpy_cka(x, y))
    row("5 CKA", "linear CKA (biased)", f"n={n}, p={p}", t_mech, "numpy", t_np,
        f"agree to {abs(out.value - numpy_cka(x, y)):.0e}")

# ---------------------------------------------------------------- 6. Chinchilla


def bench_chinchilla():
    print("6. Chinchilla fit (bench/chinchilla_fit.py --stride 30)", flush=True)
    out = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "chinchilla_fit.py"),
                          "--stride", "30"], check=True, capture_output=True, text=True,
                         env=dict(os.environ)).stdout
    t_c = float(re.search(r"libmechanics: ([0-9.]+) s CPU", out).group(1))
    t_py = float(re.search(r"scipy L-BFGS-B, analytic gradient: ([0-9.]+) s CPU", out).group(1))
    row("6 laws", "Chinchilla grid fit", "4500 starts", t_c, "scipy L-BFGS-B", t_py,
        "CPU time; scipy on every 30th start, scaled x30")

# ---------------------------------------------------------------- table


def table():
    print()
    print("| what | size | libmechanics | peer | peer time | ratio | notes |")
    print("|---|---|---|---|---|---|---|")
    for _section, what, size, t_m, peer, t_p, note in ROWS:
        print(f"| {what} | {size} | {fmt_t(t_m)} | {peer} | {fmt_t(t_p)} | "
              f"**{t_m / t_p:.2f}** | {note} |")


def main():
    info = machine()
    for line in info:
        print("# " + line)
    bench_gemm()
    bench_training()
    bench_hessian()
    bench_ntk()
    bench_cka()
    if not ARGS.skip_chinchilla:
        bench_chinchilla()
    table()
    print(f"\n# load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

"""The `mechanics` gallery commands: the JSON contract of `reproduce --json`,
exit codes and messages for bad input, and the behaviour without matplotlib.

    test_gallery.py MECHANICS_EXECUTABLE

Runs `reproduce saxe --quick` (about a second) a few times; prints TAP.
"""
import json
import os
import subprocess
import sys
import tempfile

EXE = sys.argv[1]
results = []


def check(name, ok, detail=""):
    results.append((name, bool(ok), detail))


def run(args, env=None):
    full_env = dict(os.environ)
    full_env.update(env or {})
    p = subprocess.run([EXE] + args, capture_output=True, text=True, env=full_env, timeout=600)
    return p.returncode, p.stdout, p.stderr


def contract(obj):
    """Problems with one result object of the JSON contract ([] if none)."""
    problems = []
    types = {"name": str, "reference": str, "metric": str, "value": (int, float),
             "tolerance": (int, float), "pass": bool, "checks": list,
             "seconds": (int, float), "artifacts": list}
    for key, kind in types.items():
        if not isinstance(obj.get(key), kind):
            problems.append("%s missing or not %s" % (key, kind))
    for c in obj.get("checks", []):
        for key, kind in (("metric", str), ("value", (int, float)),
                          ("tolerance", (int, float)), ("pass", bool)):
            if not isinstance(c.get(key), kind):
                problems.append("check %r: %s missing or not %s" % (c.get("metric"), key, kind))
    checks = obj.get("checks") or [{}]
    if obj.get("metric") != checks[0].get("metric"):
        problems.append("metric is not the first check's")
    if obj.get("pass") != all(c.get("pass") for c in obj.get("checks", [])):
        problems.append("pass is not the conjunction of the checks")
    for path in obj.get("artifacts", []):
        if not os.path.isfile(path):
            problems.append("artifact %s does not exist" % path)
    return problems


with tempfile.TemporaryDirectory() as tmp:
    out = os.path.join(tmp, "results")
    rc, stdout, stderr = run(["reproduce", "saxe", "--quick", "--json", "--out", out,
                              "--seed", "3"])
    check("saxe --quick --json exits 0", rc == 0, stderr[-2000:])
    lines = [line for line in stdout.splitlines() if line.strip()]
    check("one JSON line on stdout", len(lines) == 1, stdout[:500])
    obj = {}
    try:
        obj = json.loads(lines[0]) if lines else {}
    except ValueError as e:
        check("stdout parses as JSON", False, str(e))
    problems = contract(obj)
    check("JSON contract", not problems, "; ".join(problems))
    check("saxe passes at seed 3", obj.get("pass") is True, json.dumps(obj)[:800])
    check("the trace is among the artifacts",
          any(p.endswith("saxe_depth2.csv") for p in obj.get("artifacts", [])))
    with open(os.path.join(out, "saxe.json")) as f:
        check("result file equals stdout", json.load(f) == obj)

    rc, stdout, stderr = run(["reproduce", "no_such_thing", "--out", out])
    check("bad name: non-zero exit", rc != 0)
    check("bad name: message names it", "unknown reproduction 'no_such_thing'" in stderr, stderr)
    check("bad name: nothing on stdout", stdout == "", stdout)

    blocker = os.path.join(tmp, "a-file")
    open(blocker, "w").close()
    rc, stdout, stderr = run(["reproduce", "saxe", "--quick", "--out",
                              os.path.join(blocker, "sub")])
    check("unwritable --out: non-zero exit", rc != 0)
    check("unwritable --out: message", "cannot create output folder" in stderr, stderr)

    rc, stdout, stderr = run(["reproduce", "saxe", "--bogus"])
    check("unknown option: non-zero exit and message",
          rc != 0 and "unknown option '--bogus'" in stderr, stderr)

    # A python3 whose matplotlib import fails: reproduce warns and keeps the
    # data (exit 0); plot fails with a clear message.
    fake = os.path.join(tmp, "fake")
    os.makedirs(os.path.join(fake, "matplotlib"))
    with open(os.path.join(fake, "matplotlib", "__init__.py"), "w") as f:
        f.write("raise ImportError('hidden by the gallery test')\n")
    env = {"PYTHONPATH": fake}
    nompl = os.path.join(tmp, "no-matplotlib")
    rc, stdout, stderr = run(["reproduce", "saxe", "--quick", "--out", nompl], env)
    check("without matplotlib: reproduce exits 0", rc == 0, stderr)
    check("without matplotlib: a warning", "matplotlib is not installed" in stderr, stderr)
    check("without matplotlib: data kept",
          os.path.isfile(os.path.join(nompl, "saxe_depth2.csv")) and
          os.path.isfile(os.path.join(nompl, "saxe.json")))
    check("without matplotlib: no figure", not os.path.exists(os.path.join(nompl, "saxe.png")))
    rc, stdout, stderr = run(["plot", nompl], env)
    check("without matplotlib: plot fails with a message",
          rc != 0 and "matplotlib is not installed" in stderr, stderr)

    rc, stdout, stderr = run(["plot", os.path.join(tmp, "missing")])
    check("plot of a missing folder fails", rc != 0 and "is not a folder" in stderr, stderr)

    try:
        import matplotlib  # noqa: F401
        have_mpl = True
    except ImportError:
        have_mpl = False
    if have_mpl:
        rc, stdout, stderr = run(["plot", nompl])
        check("plot draws the figure later", rc == 0 and
              os.path.isfile(os.path.join(nompl, "saxe.png")), stderr)

    rc, stdout, stderr = run(["list"])
    check("list names saxe", rc == 0 and "saxe" in stdout, stdout)

print("1..%d" % len(results))
for i, (name, ok, detail) in enumerate(results, 1):
    print("%s %d - %s" % ("ok" if ok else "not ok", i, name))
    if not ok and detail:
        for line in str(detail).splitlines():
            print("# " + line)
sys.exit(0 if all(ok for _, ok, _ in results) else 1)

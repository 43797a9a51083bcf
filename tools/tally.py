#!/usr/bin/env python3
"""tally.py TESTLOG.json: prints "PASSED FAILED SKIPPED" for one meson test run.

A TAP test (a Check suite) counts each of its test cases; any other test
counts once. A test that failed without a failing TAP line (a crash, a
timeout, a sanitizer or valgrind error after the cases passed) adds one
failure, so no failure is ever lost in the count.
"""
import json
import re
import sys

PASS = {"OK", "EXPECTEDFAIL"}
SKIP = {"SKIP"}
TAP_OK = re.compile(r"^ok\b(?!.*#\s*skip)", re.I | re.M)
TAP_SKIP = re.compile(r"^ok\b.*#\s*skip", re.I | re.M)
TAP_NOT_OK = re.compile(r"^not ok\b", re.M)


def tally(lines):
    passed = failed = skipped = 0
    for line in lines:
        if not line.strip():
            continue
        entry = json.loads(line)
        result = entry.get("result", "ERROR")
        out = entry.get("stdout") or ""
        ok = len(TAP_OK.findall(out))
        skip = len(TAP_SKIP.findall(out))
        not_ok = len(TAP_NOT_OK.findall(out))
        if result in SKIP:
            skipped += max(1, skip)
        elif ok + skip + not_ok == 0:
            passed += result in PASS
            failed += result not in PASS
        else:
            passed += ok
            skipped += skip
            failed += not_ok
            if result not in PASS and not_ok == 0:
                failed += 1
    return passed, failed, skipped


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as f:
        print(*tally(f))

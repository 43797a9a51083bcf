import pytest

import mechanics


def needs(*functions):
    """Skips a test while the loaded library lacks one of these functions
    (a header declared before its module is implemented)."""
    missing = [f for f in functions if f in mechanics.missing_functions()]
    return pytest.mark.skipif(bool(missing), reason=f"library lacks {', '.join(missing)}")


def pytest_terminal_summary(terminalreporter):
    """The plain `N passed, N failed` line CI looks for."""
    stats = terminalreporter.stats
    failed = len(stats.get("failed", [])) + len(stats.get("error", []))
    terminalreporter.write_line(f"{len(stats.get('passed', []))} passed, {failed} failed")

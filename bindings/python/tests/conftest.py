import pytest

import mechanics


def needs(*functions):
    """Skips a test while the loaded library lacks one of these functions
    (a header declared before its module is implemented)."""
    missing = [f for f in functions if f in mechanics.missing_functions()]
    return pytest.mark.skipif(bool(missing), reason=f"library lacks {', '.join(missing)}")

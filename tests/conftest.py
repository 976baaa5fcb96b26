import os
import sys

# tests/support.py is a helper module, imported by name from the tests. Appended, not
# prepended: tests/autograder/ must never shadow the real package.
sys.path.append(os.path.dirname(__file__))

import shutil
import tempfile
from pathlib import Path

import pytest


@pytest.fixture
def open_tmp():
    """A temporary folder the unprivileged sandbox user can enter (pytest's tmp_path is
    private to root)."""
    path = tempfile.mkdtemp(prefix="nlpgrade-test-")
    os.chmod(path, 0o755)
    yield Path(path)
    shutil.rmtree(path, ignore_errors=True)

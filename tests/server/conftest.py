from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """A data folder the embedded server's account can reach (it runs as
    another account when the tests run as root; pytest's tmp_path is private)."""
    folder = Path(tempfile.mkdtemp(prefix="courtside-serve-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)

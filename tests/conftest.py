"""Fixtures shared by the test files."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from pages import ROOT


@dataclass(frozen=True)
class Build:
    returncode: int
    log: str
    html: Path


@pytest.fixture(scope="session")
def built_book() -> Build:
    """Build the book once per test session, from scratch, exactly as README says
    (``-W -n --keep-going``): a stale ``_build`` could hide a warning or a missing file."""
    shutil.rmtree(ROOT / "_build", ignore_errors=True)
    done = subprocess.run(
        [str(Path(sys.executable).parent / "jupyter-book"), "build", str(ROOT), "-W", "-n", "--keep-going"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    return Build(done.returncode, done.stdout + done.stderr, ROOT / "_build" / "html")

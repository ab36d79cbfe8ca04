"""The package imports, and the CLI answers --version through both entry points."""

from __future__ import annotations

import subprocess
import sys

from nudger import __version__
from tests.conftest import run_installed


def test_version_console_script() -> None:
    result = run_installed("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"nudger {__version__}"


def test_python_dash_m() -> None:
    result = subprocess.run([sys.executable, "-m", "nudger", "--version"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert __version__ in result.stdout

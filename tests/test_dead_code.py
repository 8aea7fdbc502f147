"""No dead code: vulture over the package and the CLI, with the whitelist in vulture_whitelist.py."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO


def test_vulture_finds_no_dead_code() -> None:
    result = subprocess.run([sys.executable, "-m", "vulture"], cwd=REPO, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_vulture_would_notice_a_dead_function(tmp_path) -> None:
    dead = tmp_path / "dead.py"
    dead.write_text("def never_called() -> None:\n    pass\n", "utf-8")
    result = subprocess.run([sys.executable, "-m", "vulture", str(dead), "--min-confidence", "60"],
                            capture_output=True, text=True, check=False)
    assert "unused function 'never_called'" in result.stdout

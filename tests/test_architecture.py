"""ARCHITECTURE.md keeps matching the code: every module named, none that is gone, none too long."""

from __future__ import annotations

import re

from tests.conftest import REPO

MAX_MODULE_LINES = 450


def _modules() -> set[str]:
    return {p.relative_to(REPO).as_posix() for p in (REPO / "leaflets").rglob("*.py")}


def test_architecture_names_every_module_and_only_real_ones() -> None:
    named = set(re.findall(r"`(leaflets/[\w/]+\.py)`", (REPO / "ARCHITECTURE.md").read_text("utf-8")))
    assert sorted(_modules() - named) == [], "modules missing from ARCHITECTURE.md"
    assert sorted(named - _modules()) == [], "ARCHITECTURE.md names modules that do not exist"


def test_no_module_is_too_long() -> None:
    lengths = {m: len((REPO / m).read_text("utf-8").splitlines()) for m in _modules()}
    assert {m: n for m, n in lengths.items() if n > MAX_MODULE_LINES} == {}


def test_the_public_api_is_importable_and_lazy() -> None:
    import subprocess
    import sys

    code = ("import sys, leaflets; assert 'leaflets.build' not in sys.modules; "
            "from leaflets import BuildRequest, LeafletError, PrintOptions, build, check_content, create_app; "
            "from leaflets import run_batch; "
            "assert 'weasyprint' not in sys.modules; print(sorted(leaflets.__all__))")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "'build'" in result.stdout and "'run_batch'" in result.stdout


def test_every_subpackage_is_in_the_wheel() -> None:
    """A new folder of modules must be listed in pyproject.toml, or the installed command would miss it."""
    import tomllib

    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]["packages"])
    folders = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "leaflets").rglob("__init__.py")
               if "_builtin" not in p.parts}
    assert sorted(folders - listed) == []

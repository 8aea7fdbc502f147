"""The Python API: the README's example runs as written, and every public name is documented."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import leaflets
from tests.conftest import REPO, pdf_text


def readme_example() -> str:
    """The Python block of the README's "Use from Python" section."""
    section = (REPO / "README.md").read_text("utf-8").split("## Use from Python", 1)[1].split("\n## ", 1)[0]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)


def test_readme_example_runs(tmp_path: Path) -> None:
    (tmp_path / "example.py").write_text(readme_example(), "utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "example.py"], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"{len(list((REPO / 'content/leaflets').glob('*.yaml')))} leaflets"
    assert lines[1] == "['bone-metastases.pdf', 'bone-metastases-large-print.pdf']"
    assert lines[2] == ("Error: unknown leaflet 'bone-metastasis' (did you mean 'bone-metastases'?); "
                        "'leaflets list' shows them all (exit code 2)")
    assert "Sam Jones" in pdf_text(tmp_path / "out/bone-metastases-large-print.pdf")
    assert (tmp_path / "out/bone-metastases.pdf").stat().st_mode & 0o777 == 0o600, "personal details: owner only"
    assert "Northfield General Hospital" in " ".join(pdf_text(tmp_path / "immunotherapy.pdf").split())


def test_public_names_are_importable_and_documented() -> None:
    for name in leaflets.__all__:
        value = getattr(leaflets, name)
        if name != "__version__":
            assert (value.__doc__ or "").strip(), f"{name} has no docstring"
    assert {"build_leaflet", "build_set", "Library", "LeafletError"} <= set(leaflets.__all__)
    assert sorted(leaflets.__all__) == sorted(["__version__", *leaflets._API])


def test_import_is_quick_and_light() -> None:
    code = "import sys, leaflets; print(sorted(m for m in ('weasyprint', 'jinja2', 'pydantic') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"

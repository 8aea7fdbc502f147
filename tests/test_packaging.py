"""The built package: sdist and wheel carry the built-in material, and an installed `leaflets` works anywhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO, pdf_text

BUILTIN = ("content", "templates", "styles")


def builtin_files() -> set[str]:
    """Every file of the checkout's built-in folders (any subfolder, present or future)."""
    return {
        p.relative_to(REPO).as_posix()
        for name in BUILTIN
        for p in (REPO / name).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`python -m build`: the sdist, then the wheel built from that sdist (as an index or pipx would)."""
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(REPO)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return out


def test_sdist_and_wheel_carry_every_builtin_file(dist: Path) -> None:
    expected = builtin_files()
    assert len([f for f in expected if f.startswith("content/leaflets/")]) >= 10
    (wheel,) = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    in_wheel = {n.removeprefix("leaflets/_builtin/") for n in names if n.startswith("leaflets/_builtin/")}
    assert in_wheel == expected
    assert "cli.py" in names and "leaflets/layers.py" in names
    (sdist,) = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        top = archive.getnames()[0].split("/")[0]
        in_sdist = {n.removeprefix(f"{top}/") for n in archive.getnames()}
    assert expected <= in_sdist and "setup.py" in in_sdist


def _fresh_venv(where: Path) -> Path:
    """A new virtual environment outside the checkout, with the wheel installed and nothing of the checkout.

    The wheel is installed without its dependencies, which this environment borrows from the test's own
    environment through a .pth file (pip's dependency resolution is not what this test is about, and
    it keeps the test offline and quick). The leaflets package itself comes only from the wheel.
    """
    venv.create(where, with_pip=False)
    python = where / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    borrowed = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(purelib) / "leaflets-test-dependencies.pth").write_text("\n".join(sorted(borrowed)) + "\n", "utf-8")
    return python


def test_installed_wheel_works_from_an_empty_folder(dist: Path, tmp_path: Path) -> None:
    python = _fresh_venv(tmp_path / "venv")
    (wheel,) = dist.glob("*.whl")
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
                              str(wheel)], capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr[-2000:]
    command = tmp_path / "venv" / "bin" / "leaflets"
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}

    def leaflets(*args: str, cwd: Path = empty) -> str:
        result = subprocess.run([str(command), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    where = subprocess.run([str(python), "-c", "import leaflets, leaflets.layers as l; print(leaflets.__file__);"
                            "print(l.BUILTIN_ROOT)"], cwd=empty, env=env, capture_output=True, text=True, check=True)
    package_file, builtin_root = where.stdout.splitlines()
    assert Path(package_file).is_relative_to(tmp_path / "venv"), "the package comes from the wheel"
    assert Path(builtin_root).is_relative_to(tmp_path / "venv"), "and so does the built-in library"

    listing = json.loads(leaflets("list", "--json"))
    assert len(listing["leaflets"]) >= 10
    assert {item["origin"] for item in listing["leaflets"] + listing["sections"]} == {"built-in"}
    assert "Wrote out/bone-metastases.pdf" in leaflets("build", "bone-metastases", "--set", "patient_name=Sam Jones")
    text = " ".join(pdf_text(empty / "out/bone-metastases.pdf").split())
    assert "Kidney cancer that has spread to the bones" in text and "Sam Jones" in text
    assert sorted(p.name for p in empty.iterdir()) == ["out"], "nothing else is written in the folder"

    leaflets("init", "clinic", "--name", "Riverside Kidney Clinic")
    listing = json.loads(leaflets("list", "--json", cwd=empty / "clinic"))
    assert {s["id"]: s["origin"] for s in listing["sites"]}["riverside-kidney-clinic"] == "local"
    assert len(listing["leaflets"]) >= 10

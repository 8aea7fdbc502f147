"""Build hook: copy the built-in content/, templates/ and styles/ into the wheel, as leaflets/_builtin/.

The top-level folders stay the one place they are edited. An editable install (pip install -e) copies
nothing: leaflets/layers.py then finds the folders in the checkout itself.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

BUILTIN_FOLDERS = ("content", "templates", "styles")
SKIP_PARTS = {"__pycache__", ".DS_Store", "Thumbs.db"}


def builtin_files(root: Path) -> list[Path]:
    """Every file of the built-in folders, relative to ROOT, in any subfolder (future ones too)."""
    files = []
    for folder in BUILTIN_FOLDERS:
        for path in sorted((root / folder).rglob("*")):
            relative = path.relative_to(root)
            if path.is_file() and not SKIP_PARTS.intersection(relative.parts) and path.suffix != ".pyc":
                files.append(relative)
    return files


class BuildWithBuiltinMaterial(build_py):
    """build_py that also copies the built-in material into leaflets/_builtin/ in the build folder."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        for relative in builtin_files(Path.cwd()):
            target = Path(self.build_lib) / "leaflets" / "_builtin" / relative
            self.mkpath(str(target.parent))
            self.copy_file(str(relative), str(target), preserve_mode=False)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = super().get_outputs(include_bytecode)
        if self.editable_mode:
            return outputs
        build = Path(self.build_lib) / "leaflets" / "_builtin"
        return [*outputs, *(str(build / relative) for relative in builtin_files(Path.cwd()))]


setup(cmdclass={"build_py": BuildWithBuiltinMaterial})

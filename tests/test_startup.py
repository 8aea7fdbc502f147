"""WeasyPrint starts without ctypes' library search (ldconfig, gcc), and still starts where only the search works."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.conftest import REPO

COUNT_SEARCHES = """
import ctypes.util, sys
searches = []
real = ctypes.util.find_library
ctypes.util.find_library = lambda name: searches.append(name) or real(name)
{setup}
from leaflets.render import load_weasyprint
weasyprint = load_weasyprint()
from weasyprint import HTML
pdf = HTML(string="<p>Hello</p>").write_pdf()
print(len(searches), pdf[:5].decode(), ctypes.util.find_library is not None)
"""

ONLY_AFTER_A_SEARCH = """
import _cffi_backend
found = set()
counting = ctypes.util.find_library
def search(name):
    path = counting(name)
    found.add(path)
    return path
ctypes.util.find_library = search
load = _cffi_backend.load_library
def only_what_the_search_found(name, flags=0):
    if name not in found:  # like a system whose libraries only the search can find
        raise OSError(f"{name}: cannot open shared object file")
    return load(name, flags)
_cffi_backend.load_library = only_what_the_search_found
"""


def _run(setup: str) -> list[str]:
    code = textwrap.dedent(COUNT_SEARCHES.format(setup=setup))
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120,
                            check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.split()


def test_weasyprint_loads_its_libraries_without_searching() -> None:
    searches, header, restored = _run("")
    assert searches == "0"
    assert header == "%PDF-" and restored == "True"


def test_weasyprint_still_loads_where_only_the_library_search_finds_the_libraries() -> None:
    searches, header, _ = _run(ONLY_AFTER_A_SEARCH)
    assert int(searches) > 0, "the second try searched, as WeasyPrint does on its own"
    assert header == "%PDF-"

"""`leaflets batch` against hostile inputs and a damaged cache: the same safe reading as build, never a hang.

Every run is a real `leaflets batch` process with a time limit, so a hang fails the test instead of the suite.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from leaflets.incremental import CACHE_NAME
from tests.conftest import section_text
from tests.test_cli_errors import LEAFLETS
from tests.test_hostile import TARGET, png

SET = "content/sets/test.yaml"
SECONDS = 90


def run_batch(root: Path) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """Run the batch (one worker) and return the process and each output's status from the report."""
    report = root / "report.json"
    report.unlink(missing_ok=True)
    command = [LEAFLETS, "batch", str(root / SET), "-o", str(root / "out"), "--root", str(root), "--jobs", "1",
               "--report", str(report)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=SECONDS, check=False)
    statuses = {}
    if report.is_file():
        statuses = {job["output"]: job["status"] for job in json.loads(report.read_text("utf-8"))["jobs"]}
    return result, statuses


def picture_project(make_project, image: str) -> Path:
    body = f"Words before the picture.\n\n![a picture]({image})\n\nWords after it."
    return make_project({TARGET["section"]: section_text("Pictures", body), SET: "title: T\nleaflets: [small]\n",
                         "content/images/fine.png": png(20, 20)})


@pytest.mark.parametrize("image", ["../../../../../../dev/zero", "content/images/zero.png", "content/images/fifo.png",
                                   "content/images/folder.png", "content/images/%00.png", "/dev/zero"],
                         ids=["climbs-to-dev-zero", "link-to-dev-zero", "fifo", "folder", "nul", "absolute"])
def test_an_image_that_is_not_a_file_never_hangs_or_fails_the_batch(make_project, image: str) -> None:
    root = picture_project(make_project, image)
    images = root / "content/images"
    (images / "zero.png").symlink_to("/dev/zero")
    os.mkfifo(images / "fifo.png")
    (images / "folder.png").mkdir()
    result, statuses = run_batch(root)
    assert result.returncode == 0, result.stderr
    assert statuses == {"small.pdf": "built"} and (root / "out/small.pdf").is_file()
    again, statuses = run_batch(root)
    assert again.returncode == 0 and statuses == {"small.pdf": "skipped"}, again.stderr


def test_an_image_that_becomes_a_folder_after_a_good_run_rebuilds_only_that_leaflet(make_project) -> None:
    root = picture_project(make_project, "content/images/fine.png")
    assert run_batch(root)[1] == {"small.pdf": "built"}
    (root / "content/images/fine.png").unlink()
    (root / "content/images/fine.png").mkdir()
    result, statuses = run_batch(root)
    assert result.returncode == 0, result.stderr
    assert statuses == {"small.pdf": "built"}


def test_an_image_outside_the_project_is_never_read_for_the_cache(make_project, tmp_path: Path) -> None:
    outside = tmp_path / "secret.png"
    outside.write_bytes(png(10, 10))
    root = picture_project(make_project, "content/images/link.png")
    (root / "content/images/link.png").symlink_to(outside)
    assert run_batch(root)[1] == {"small.pdf": "built"}
    outside.write_bytes(png(12, 12))  # a change outside the project cannot change the leaflet: still current
    assert run_batch(root)[1] == {"small.pdf": "skipped"}


GOOD_DIGEST = "0" * 64


def _edit_inputs(**changes: object) -> Callable[[dict], dict]:
    """A damage that keeps the cache's real digests (so it is trusted) but changes the remembered inputs."""

    def damage(cache: dict) -> dict:
        for entry in cache["inputs"].values():
            for key, value in changes.items():
                entry[key] = value(entry[key]) if callable(value) else value
        return cache

    return damage


DAMAGED_CACHES: dict[str, str | bytes | Callable[[dict], dict]] = {
    "files-are-numbers": _edit_inputs(files=[1, 2]),
    "weight-is-text": _edit_inputs(weight="abc"),
    "weight-is-infinite": _edit_inputs(weight=float("inf")),
    "files-name-a-device": _edit_inputs(files=lambda files: [*files, "/dev/zero", "project:../../../../dev/zero"]),
    "files-name-a-fifo": _edit_inputs(files=lambda files: [*files, "project:content/images/fifo.png"]),
    "deep-nesting": "[" * 200_000 + "]" * 200_000,
    "outputs-climb-out": json.dumps({"format": 1, "outputs": {"../../etc/passwd": GOOD_DIGEST, "small.pdf": 7},
                                     "inputs": []}),
    "not-utf8": b'{"format": 1, "outputs": {"\xff": 1}}',
    "not-json": "{format: 1",
    "a-list": "[1, 2, 3]",
    "empty": "",
    "huge": " " * (17 * 1024 * 1024) + "{}",
}


REPLANNED = {"files-name-a-device", "files-name-a-fifo"}
"""Well-formed entries naming files that are not inputs: never read, so the leaflet is planned again and found
current (its real inputs did not change); any other damage means the whole cache is distrusted."""


@pytest.mark.parametrize("name", DAMAGED_CACHES)
def test_any_damage_to_the_cache_means_a_rebuild(make_project, name: str) -> None:
    damage = DAMAGED_CACHES[name]
    root = picture_project(make_project, "content/images/fine.png")
    os.mkfifo(root / "content/images/fifo.png")
    assert run_batch(root)[1] == {"small.pdf": "built"}
    cache = root / "out" / CACHE_NAME
    if callable(damage):
        cache.write_text(json.dumps(damage(json.loads(cache.read_text("utf-8")))), "utf-8")
    else:
        cache.write_bytes(damage if isinstance(damage, bytes) else damage.encode())
    result, statuses = run_batch(root)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert statuses == {"small.pdf": "skipped" if name in REPLANNED else "built"}
    assert json.loads(cache.read_text("utf-8"))["format"] == 1, "the cache is written again, whole"
    assert run_batch(root)[1] == {"small.pdf": "skipped"}


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_cache_that_is_not_a_file_means_a_rebuild(make_project, kind: str) -> None:
    root = picture_project(make_project, "content/images/fine.png")
    out = root / "out"
    out.mkdir()
    cache = out / CACHE_NAME
    {"fifo": lambda: os.mkfifo(cache), "folder": cache.mkdir, "device": lambda: cache.symlink_to("/dev/zero")}[kind]()
    result, statuses = run_batch(root)
    assert "Traceback" not in result.stderr, result.stderr
    assert statuses == {"small.pdf": "built"}


def test_a_folder_in_place_of_the_cache_is_reported_in_one_line(make_project) -> None:
    root = picture_project(make_project, "content/images/fine.png")
    (root / "out" / CACHE_NAME).mkdir(parents=True)
    result, _ = run_batch(root)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert f"Error: {root / 'out' / CACHE_NAME}: could not write the file: a folder with this name is in the way" \
        in result.stderr

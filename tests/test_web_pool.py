"""The web page's render workers: a hostile slow section fails only its own request; a full queue gets a 503."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask

from leaflets.web import create_app
from tests.conftest import pdf_text, section_text

LIMIT = 20
"""Seconds per render in these tests: the slow picture would take hours; a real leaflet must fit even on a
saturated 2-core machine (a first personalised render lays out the generic leaflet twice, then the personal
pages: 10 s was once not enough there)."""


def slow_svg(levels: int = 9) -> str:
    """A 3 KB SVG that asks for 8**8 (about 16 million) circles: WeasyPrint would draw it for hours."""
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="100" '
             'height="100"><defs><g id="l0"><circle cx="5" cy="5" r="4" fill="#0b4f6c"/></g>']
    for level in range(1, levels):
        uses = "".join(f'<use xlink:href="#l{level - 1}" x="{step}" y="{step}"/>' for step in range(8))
        parts.append(f'<g id="l{level}">{uses}</g>')
    parts.append(f'</defs><use xlink:href="#l{levels - 1}"/></svg>')
    return "".join(parts)


@pytest.fixture
def hostile_root(make_project: Callable[..., Path]) -> Path:
    return make_project({
        "content/images/slow.svg": slow_svg(),
        "content/sections/slow.md": section_text("Slow", "Dots.\n\n![Dots](content/images/slow.svg)"),
        "content/leaflets/slow.yaml": "title: A slow leaflet\nsections: [slow]\n",
    })


@pytest.fixture
def hostile_app(hostile_root: Path) -> Iterator[Flask]:
    app = create_app(hostile_root, workers=2, render_seconds=LIMIT)
    yield app
    app.extensions["leaflets"].renders.close()


def _post(app: Flask, rid: str, results: dict[str, object], name: str = "Ann Able") -> None:
    started = time.monotonic()
    response = app.test_client().post(f"/api/leaflets/{rid}/pdf", json={"details": {"patient_name": name}})
    results[rid] = (response.status_code, response.get_json(silent=True), response.data,
                    time.monotonic() - started, response.headers.get("Retry-After"))


def test_a_slow_section_fails_its_own_request_in_time_while_others_are_answered(hostile_app: Flask) -> None:
    hostile_app.extensions["leaflets"].renders.warm()
    results: dict[str, object] = {}
    slow = threading.Thread(target=_post, args=(hostile_app, "slow", results))
    slow.start()
    time.sleep(0.5)  # the slow render is running in one worker
    _post(hostile_app, "small", results)
    page = hostile_app.test_client().get("/")
    slow.join(timeout=60)
    status, body, _, seconds, _ = results["small"]  # type: ignore[misc]
    assert status == 200 and "Ann Able" in pdf_text(results["small"][2]), body  # type: ignore[index]
    assert page.status_code == 200
    status, body, _, seconds, _ = results["slow"]  # type: ignore[misc]
    assert status == 500
    assert f"longer than {LIMIT} seconds and was stopped" in body["error"]  # type: ignore[index]
    assert LIMIT <= seconds < 3 * LIMIT
    again: dict[str, object] = {}
    _post(hostile_app, "small", again, "Ben Baker")  # the killed worker was replaced
    assert again["small"][0] == 200 and "Ben Baker" in pdf_text(again["small"][2])  # type: ignore[index]


def test_a_full_queue_is_answered_503_with_retry_after(hostile_root: Path) -> None:
    app = create_app(hostile_root, workers=1, render_seconds=LIMIT, queue_limit=1)
    renders = app.extensions["leaflets"].renders
    try:
        renders.warm()
        results: dict[str, object] = {}
        running = threading.Thread(target=_post, args=(app, "slow", results))
        running.start()
        deadline = time.monotonic() + 10
        while renders.pool.running == 0 and time.monotonic() < deadline:  # the slow render reached the worker
            time.sleep(0.02)
        queued = threading.Thread(target=_post, args=(app, "small", results))
        queued.start()
        while renders.pool.queued() == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        refused: dict[str, object] = {}
        _post(app, "small", refused)
        status, body, _, seconds, retry_after = refused["small"]  # type: ignore[misc]
        assert status == 503 and "busy" in body["error"]  # type: ignore[index]
        assert retry_after is not None and int(retry_after) >= 1
        assert seconds < 2  # refused at once, not after waiting
        running.join(timeout=60)
        queued.join(timeout=60)
        assert results["slow"][0] == 500 and results["small"][0] == 200  # type: ignore[index]
    finally:
        renders.close()

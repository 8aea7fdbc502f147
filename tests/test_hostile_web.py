"""The web page and API against hostile requests: 4xx answers, never a 500; clean logs; no starvation."""

from __future__ import annotations

import logging
import socket
import threading
import time
import urllib.request

import pytest
from flask import Flask
from flask.testing import FlaskClient

from leaflets.web import background_server, create_app
from tests.test_hostile import TARGET

DIR = "contains an invisible text-direction character"


@pytest.fixture
def app(make_project) -> Flask:
    return create_app(make_project({TARGET["site"]: "name: Ward 5\nteam_phone: 0118 496 0123\n"}))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def post_json(client: FlaskClient, url: str, body: bytes) -> tuple[int, dict]:
    response = client.post(url, data=body, content_type="application/json")
    return response.status_code, response.get_json(silent=True) or {}


# -- items 1 and 3 over the API: the same refusals as the command line -------------------------------------------


@pytest.mark.parametrize(("details", "fragment"), [
    ({"team_phone": "\u200f0800 123 456"}, f"team_phone: {DIR} (U+200F"),
    ({"patient_name": "Sam \u2066Jones\u2069"}, f"patient_name: {DIR} (U+2066"),
    ({"notes": "Bloods\u200bon Monday"}, "notes: contains an invisible character (U+200B"),
    ({"prepared_by": "Dr Lee\x85"}, "prepared_by: contains control characters"),
    ({"team_phone": "\u05d0 0800 123 456"}, "team_phone: contains right-to-left letters"),
    ({"patient_name": "\U00013000"}, "patient_name: has Egyptian characters; no font here can print them"),
], ids=["rlm-phone", "isolate-name", "zero-width-notes", "c1", "hebrew-in-phone", "no-glyph"])
def test_api_refuses_what_the_command_line_refuses(client: FlaskClient, details: dict, fragment: str) -> None:
    response = client.post("/api/leaflets/small/pdf", json={"details": details})
    assert response.status_code == 400, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert fragment in error
    assert "0800" not in error and "Sam" not in error and "Bloods" not in error


# -- item 7: malformed requests are 4xx, never 500 -------------------------------------------------------------

BAD_BODIES = {
    "deep-lists": b'{"details": ' + b"[" * 20_000 + b"]" * 20_000 + b"}",
    "deep-objects": b'{"details": ' + b'{"a":' * 10_000 + b"1" + b"}" * 10_000 + b"}",
    "surrogate-key": b'{"details": {"\\ud800": "x"}}',
    "surrogate-top-key": b'{"\\udfff": 1}',
    "surrogate-value": b'{"details": {"patient_name": "Sam \\udc00"}}',
    "surrogate-section": b'{"sections": ["alpha", "\\ud83d"], "title": "T"}',
    "surrogate-site": b'{"site": "\\ud800", "details": {}}',
    "surrogate-title": b'{"sections": ["alpha"], "title": "\\ud800"}',
    "nan": b'{"details": {"patient_name": NaN}}',
    "huge-number": b'{"details": {"patient_name": 1' + b"0" * 5000 + b"}}",
}


@pytest.mark.parametrize("url", ["/api/leaflets/small/pdf", "/api/build/pdf"])
@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_malformed_json_is_a_400_with_a_json_error(client: FlaskClient, url: str, body: bytes) -> None:
    status, answer = post_json(client, url, body)
    assert status == 400, (status, answer)
    assert isinstance(answer.get("error"), str) and answer["error"].isprintable()


@pytest.mark.parametrize("path", ["/assets/content/%00.png", "/assets/styles/%00.css", "/static/%00.js",
                                  "/assets/content/a%00b/x.png", "/assets/content/%ff%fe.png",
                                  "/leaflets/%00", "/leaflets/%00/preview", "/api/leaflets/%00/pdf",
                                  "/assets/content/" + "a/" * 2000 + "x.png", "/assets/content/%2e%2e/%2e%2e/x.png"])
def test_odd_paths_are_404_or_400_not_500(client: FlaskClient, path: str) -> None:
    response = client.get(path) if "/api/" not in path else client.post(path, json={})
    assert response.status_code in (400, 404, 405), (path, response.status_code)


def test_log_lines_never_carry_control_characters_from_a_request(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    def explode(rest: str) -> str:
        raise RuntimeError("a bug")

    app.add_url_rule("/explode/<path:rest>", "explode", explode)
    with caplog.at_level(logging.INFO, logger="leaflets"):
        response = app.test_client().get("/explode/x%1b%5b31mred%07bell%c2%9b%7f")
    assert response.status_code == 500
    messages = [record.getMessage() for record in caplog.records]
    assert any("explode" in message for message in messages), messages
    assert all(message.isprintable() for message in messages), messages


# -- item 7: 150 idle half-sent connections do not starve normal requests --------------------------------------


def test_idle_half_sent_connections_do_not_starve_normal_requests(app: Flask) -> None:
    with background_server(app) as base:
        host, port = base.removeprefix("http://").rsplit(":", 1)
        idle: list[socket.socket] = []
        try:
            for _ in range(150):
                sock = socket.create_connection((host, int(port)), timeout=5)
                sock.sendall(b"POST /api/leaflets/small/pdf HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le")
                idle.append(sock)
            started = time.monotonic()
            answers = []

            def ask() -> None:
                with urllib.request.urlopen(f"{base}/api/leaflets", timeout=10) as response:
                    answers.append(response.status)

            threads = [threading.Thread(target=ask) for _ in range(5)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=15)
            assert answers == [200] * 5, answers
            assert time.monotonic() - started < 15
        finally:
            for sock in idle:
                sock.close()


def test_the_server_closes_connections_that_stay_silent(app: Flask) -> None:
    from leaflets.web import make_server

    server = make_server(app, "127.0.0.1", 0)
    adjustments = server.adj  # type: ignore[union-attr]
    try:
        assert adjustments.connection_limit >= 500
        assert adjustments.channel_timeout <= 30 and adjustments.cleanup_interval <= 10
    finally:
        server.close()  # type: ignore[union-attr]

"""Screenshots of the web pages with the real content, for the docs: python docs/make_screenshots.py."""

from __future__ import annotations

import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from leaflets.library import Library  # noqa: E402
from leaflets.project import find_project  # noqa: E402
from leaflets.web import background_server, create_app  # noqa: E402

OUT = REPO / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
FULL = "--full" in sys.argv  # also whole-page pictures, for checking the layout by eye
EXAMPLE = {  # a made-up patient: never put a real one in the docs
    "Patient's name": "Sam Example",
    "Prepared by": "Alex Carter, clinical nurse specialist",
    "Team phone number": "01632 960 123",
    "Next appointment": "Tuesday 3 March, 10:30, Clinic 4",
    "Notes for the patient": "Bring your list of medicines to your next appointment.",
}


def wait_for_thumbnails(base: str, ids: list[str], seconds: float = 120) -> None:
    """Ask for every picture, then wait until none is still being drawn."""
    deadline = time.monotonic() + seconds
    waiting = list(ids)
    while waiting and time.monotonic() < deadline:
        still = []
        for rid in waiting:
            with urllib.request.urlopen(f"{base}/leaflets/{rid}/thumbnail.png") as response:  # noqa: S310 - loopback
                if response.headers.get("X-Thumbnail") == "pending":
                    still.append(rid)
        waiting = still
        if waiting:
            time.sleep(1)


def main() -> int:
    from playwright.sync_api import sync_playwright

    project = find_project(REPO)
    ids = Library(project).recipe_ids
    if not ids:
        print("The project has no leaflets (content/leaflets/*.yaml) to show.", file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    app = create_app(REPO)
    with background_server(app) as base, sync_playwright() as playwright:
        wait_for_thumbnails(base, ids)
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})

        for _attempt in range(5):  # content edited meanwhile makes new pictures: wait for those too
            wait_for_thumbnails(base, ids)
            page.goto(f"{base}/")
            if page.locator("img[data-pending]").count() == 0:
                break
        page.wait_for_load_state("networkidle")
        page.evaluate("document.fonts.ready.then(() => true)")
        page.screenshot(path=str(OUT / "list.png"), full_page=True)

        rid = "bone-metastases" if "bone-metastases" in ids else ids[0]
        page.goto(f"{base}/leaflets/{rid}")
        for label, value in EXAMPLE.items():
            page.get_by_label(label, exact=True).fill(value)
        with page.expect_response(lambda r: r.url.endswith("/preview") and r.request.method == "POST"):
            page.get_by_role("button", name="Update preview").click()
        page.wait_for_timeout(800)
        page.evaluate("window.scrollTo(0, 0)")
        page.evaluate("document.fonts.ready.then(() => true)")
        page.screenshot(path=str(OUT / "leaflet.png"), full_page=False)
        if FULL:
            page.screenshot(path=str(OUT / "leaflet-full.png"), full_page=True)

        page.goto(f"{base}/build")
        page.get_by_label("Leaflet title").fill("Your treatment and care")
        for title in ("What advanced kidney cancer means", "Immunotherapy", "When to call your team"):
            boxes = page.get_by_role("checkbox", name=title)
            if boxes.count():
                with page.expect_response(lambda r: r.url.endswith("/build/preview") and r.request.method == "POST"):
                    boxes.first.check()
        page.wait_for_timeout(800)
        page.evaluate("window.scrollTo(0, 0)")
        page.evaluate("document.fonts.ready.then(() => true)")
        page.screenshot(path=str(OUT / "build.png"), full_page=False)
        if FULL:
            page.screenshot(path=str(OUT / "build-full.png"), full_page=True)
        browser.close()
    for name in ("list.png", "leaflet.png", "build.png"):
        print(f"Wrote {OUT / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

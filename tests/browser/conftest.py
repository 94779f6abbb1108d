"""Browser tests: a live server on 127.0.0.1 with its own committed database, and headless Chromium.

Use `live_server` (base_url + session_factory to seed data with real commits) and `page`
(a Playwright page). Without /usr/bin/chromium the tests skip, except under CI=true where they fail.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from mileage.app import create_app
from mileage.db import make_engine, make_session_factory
from mileage.migrations_runner import upgrade_database
from tests.support.databases import configured_server_url, scratch_database

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@dataclass
class LiveServer:
    base_url: str
    session_factory: object
    app: object


@pytest.fixture(scope="module")
def live_server():
    """Serve the app from a thread, on a fresh migrated database, for one test module."""
    with scratch_database(configured_server_url()) as url:
        upgrade_database(url)
        engine = make_engine(url)
        app = create_app(
            {"DATABASE_URL": url, "ENGINE": engine, "SECRET_KEY": "browser-secret",
             "TOKEN_SIGNING_KEY": "browser-token-signing-key-32-bytes!"}
        )
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield LiveServer(f"http://127.0.0.1:{server.server_port}", make_session_factory(engine), app)
        finally:
            server.shutdown()
            thread.join(timeout=5)
            engine.dispose()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is required in CI but /usr/bin/chromium is missing")
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh browser context (no shared storage) and page, Korean locale."""
    context = browser.new_context(locale="ko-KR", viewport={"width": 390, "height": 844})
    page = context.new_page()
    # An upper bound, not a target: CI runs three suites side by side on two cores.
    page.set_default_timeout(30_000)
    yield page
    context.close()


# --- accessibility and screenshots ------------------------------------------------------------

ARTIFACTS = Path(os.environ.get("MILEAGE_ARTIFACTS_DIR", Path(__file__).resolve().parents[2] / "artifacts"))
SERIOUS = {"serious", "critical"}


def serious_accessibility_violations(page, *, include: str | None = None) -> list[dict]:
    """Run axe-core inside the page (the copy the axe-playwright-python wheel ships; no network).

    Returns the serious and critical violations, each with the rule id and the failing nodes.
    """
    from importlib.resources import files

    script = files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")
    page.evaluate(script)
    context = "document" if include is None else repr(include)
    results = page.evaluate(
        f"axe.run({context}, {{resultTypes: ['violations'], runOnly: {{type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"
    )
    return [
        {"id": item["id"], "impact": item["impact"], "help": item["help"],
         "nodes": [node["target"] for node in item["nodes"]][:5]}
        for item in results["violations"] if item["impact"] in SERIOUS
    ]


def save_screenshot(page, name: str) -> Path:
    """Save a full-page screenshot as a test artefact (artifacts/screenshots/<name>.png)."""
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# What axe-core leaves out: it exempts disabled controls from contrast and does not measure tap
# targets or the focus ring. The issue asks for all three on our pages.
_DESIGN_AUDIT = (Path(__file__).parent / "design_audit.js").read_text(encoding="utf-8")


def design_problems(page, *, min_target: int | None = 44, tab_stops: int = 25) -> list[str]:
    """Return text under 4.5:1 (3:1 when large), disabled controls included; tap targets under
    `min_target` px; and keyboard stops (Tab) that show no focus ring."""
    problems = page.evaluate(_DESIGN_AUDIT, min_target)
    page.evaluate("document.activeElement && document.activeElement.blur()")
    seen = set()
    for _ in range(tab_stops):
        page.keyboard.press("Tab")
        ring = page.evaluate("""() => {
            const el = document.activeElement;
            if (!el || el === document.body) return null;
            const s = getComputedStyle(el);
            const shown = (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== "none";
            const name = el.tagName + "#" + el.id + "." + el.className;
            return [name + ":" + (el.textContent || "").trim().slice(0, 15), shown];
        }""")
        if ring is None or ring[0] in seen:
            continue
        seen.add(ring[0])
        if not ring[1]:
            problems.append("no focus ring " + ring[0])
    return problems

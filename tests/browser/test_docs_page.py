"""The human-readable API docs page renders in a real browser from the OpenAPI document."""

import pytest

pytestmark = pytest.mark.browser


def test_docs_page_lists_the_api_and_its_conventions(live_server, page):
    page.goto(live_server.base_url + "/docs")
    assert "Volunteer Mileage API" in page.title()
    body = page.locator("main").inner_text()
    assert "/auth/token" in body
    assert "Idempotency-Key" in body
    assert page.locator("a[href='/openapi.json']").count() == 1

"""The API docs page: Swagger UI from our own assets, under a strict CSP, finds the redemption operation offline."""

import pytest

pytestmark = pytest.mark.browser


def test_docs_page_renders_offline_and_shows_the_redemption_operation(live_server, page):
    outside, refused_by_csp = [], []
    # Offline: any request that leaves 127.0.0.1 fails (and is recorded), as on a till with no internet.
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(live_server.base_url)
               else (outside.append(route.request.url), route.abort())[1])
    page.on("console", lambda message: refused_by_csp.append(message.text)
            if "Content Security Policy" in message.text else None)

    response = page.goto(live_server.base_url + "/docs")

    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert "Volunteer Mileage API" in page.title()
    page.locator(".swagger-ui .info").wait_for()
    conventions = page.locator(".swagger-ui .info .description").inner_text()
    for heading in ("인증", "멱등성", "오류", "페이지", "언어"):
        assert heading in conventions
    operation = page.locator("#operations-merchant-merchant_redeem")
    operation.wait_for()
    assert "/merchant/redemptions" in operation.inner_text()
    operation.locator(".opblock-summary").first.click()
    page.locator("#operations-merchant-merchant_redeem .parameters").wait_for()
    assert "Idempotency-Key" in operation.inner_text()
    assert outside == [] and refused_by_csp == []

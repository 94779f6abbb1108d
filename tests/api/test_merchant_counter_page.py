"""GET /counter: the cashier's page is Korean by default, self-contained, and locked down."""

import re

import pytest


def test_the_counter_page_is_korean_and_loads_nothing_from_elsewhere(client):
    response = client.get("/counter")

    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert '<html lang="ko">' in html and "<title>마일리지 계산대</title>" in html
    assert "QR 코드 또는 카드 번호를 스캔하세요" in html
    for link in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert link.startswith(("/counter/static/", "?lang=")), link
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("asked", [{"query_string": "lang=en"}, {"headers": {"Accept-Language": "en-US,en;q=0.9"}}])
def test_english_is_available_by_query_or_by_accept_language(client, asked):
    html = client.get("/counter", **asked).get_data(as_text=True)
    assert "<title>Mileage counter</title>" in html and '<html lang="en">' in html


@pytest.mark.parametrize("asset, mimetype", [("counter.js", "text/javascript"), ("counter.css", "text/css")])
def test_the_page_assets_are_served_from_here(client, asset, mimetype):
    response = client.get(f"/counter/static/{asset}")
    assert response.status_code == 200 and response.mimetype == mimetype
    assert b"http://" not in response.data and b"https://" not in response.data
    response.close()

"""The volunteer's mobile page as served: Korean first, English on request, no outside assets."""

from __future__ import annotations

import re

import pytest


def test_the_page_is_korean_by_default(client):
    response = client.get("/m")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert '<html lang="ko">' in html
    assert "<title>봉사 마일리지</title>" in html and "사용 가능한 마일리지" in html


@pytest.mark.parametrize("how", [{"query_string": {"lang": "en"}}, {"headers": {"Accept-Language": "en-US,en;q=0.9"}}])
def test_the_page_speaks_english_on_request(client, how):
    html = client.get("/m", **how).get_data(as_text=True)
    assert '<html lang="en">' in html and "Available mileage" in html
    assert "사용 가능한 마일리지" not in html


def test_lang_in_the_query_wins_over_the_browser_language(client):
    html = client.get("/m?lang=ko", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="ko">' in html


def test_the_page_loads_nothing_from_other_servers(client):
    response = client.get("/m")
    html = response.get_data(as_text=True)
    assert not re.search(r"""(src|href)=["'](https?:)?//""", html)
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assets = re.findall(r"""(?:src|href)="(/m/static/[^"]+)\"""", html)
    assert len(assets) == 2  # the stylesheet and the script
    for asset in assets:
        with client.get(asset) as served:
            assert served.status_code == 200, asset
            assert b"http://" not in served.data and b"https://" not in served.data


def test_the_page_is_not_part_of_the_api_document(app):
    paths = app.extensions["mileage.api"].spec.to_dict()["paths"]
    assert not [path for path in paths if path == "/m" or path.startswith("/m/")]

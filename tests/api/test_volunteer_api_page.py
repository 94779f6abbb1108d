"""The volunteer's mobile page as served: Korean first, English on request, no outside assets."""

from __future__ import annotations

import json
import re

import pytest

from mileage.labels import LABELS
from mileage.models import EntryKind

KIND_LABELS = LABELS["entry_kind"]


def test_the_page_is_korean_by_default(client):
    response = client.get("/m")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert '<html lang="ko">' in html
    assert "<title>봉사 마일리지</title>" in html and "사용 가능한 마일리지" in html
    assert ">기부하기</button>" in html and "소멸 예정 포인트" in html and "기부 영수증" in html


@pytest.mark.parametrize("how", [{"query_string": {"lang": "en"}}, {"headers": {"Accept-Language": "en-US,en;q=0.9"}}])
def test_the_page_speaks_english_on_request(client, how):
    html = client.get("/m", **how).get_data(as_text=True)
    assert '<html lang="en">' in html and "Available mileage" in html
    assert ">Donate</button>" in html and "Points about to expire" in html and "Donation receipt" in html
    assert "사용 가능한 마일리지" not in html and "기부하기" not in html


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
    # The stylesheet, the scripts (the card's, and the own claims' and certificates') and the home-screen icons.
    assert sorted(assets) == ["/m/static/icon-180.png", "/m/static/icon-192.png", "/m/static/mobile-intake.js",
                              "/m/static/mobile.css", "/m/static/mobile.js"]
    for asset in assets:
        with client.get(asset) as served:
            assert served.status_code == 200, asset
            if not asset.endswith(".png"):
                assert b"http://" not in served.data and b"https://" not in served.data


def test_the_page_is_not_part_of_the_api_document(app):
    paths = app.extensions["mileage.api"].spec.to_dict()["paths"]
    assert not [path for path in paths if path == "/m" or path.startswith("/m/")]


def test_every_kind_of_movement_has_a_korean_and_an_english_name(client):
    # Every kind an entry can have moves points, but a refusal, which moves nothing and shows nowhere.
    assert set(KIND_LABELS) == set(EntryKind) - {EntryKind.REFUSAL}

    def page_labels(**how):
        html = client.get("/m", **how).get_data(as_text=True)
        messages = re.search(r'<script type="application/json" id="messages">(.*?)</script>', html, re.S).group(1)
        return json.loads(messages)["kinds"]

    korean, english = page_labels(), page_labels(query_string={"lang": "en"})
    for kind in KIND_LABELS:
        # Words, not identifiers: Korean on the Korean page, plain English (no raw "snake_case") in English.
        assert re.search("[가-힣]", korean[kind]) and re.fullmatch("[a-z ]+", english[kind]), kind
    assert korean["expiry_donation"] == "소멸 예정 포인트 기부"
    assert english["expiry_donation"] == "expiring points donated"
    assert (korean["disbursement"], english["disbursement"]) == ("기부금 전달", "donation handed over")

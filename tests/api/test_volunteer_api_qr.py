"""The QR card: dynamic single-use tokens and the printed card number, decoded with a real QR reader."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from datetime import datetime, timedelta

import pytest

from mileage.audit import SYSTEM_ACTOR
from mileage.cards import lifecycle
from mileage.cards.qr import QR_TOKEN_TTL, read_scan, use_qr_token
from mileage.cards.qr_images import render_qr_png, render_qr_svg
from mileage.clock import utc_now
from mileage.errors import QrTokenReplayed
from mileage.models import CardStatus
from tests.support.qr import read_one_qr_code

SVG_NAMESPACE = "{http://www.w3.org/2000/svg}"
DYNAMIC_ROUTES = ["/me/card/qr", "/me/card/qr.png", "/me/card/qr.svg"]


@pytest.fixture
def signer(app):
    return app.extensions["mileage.token_signer"]


@pytest.fixture
def me(make, login):
    card = make.card(balance=5000, pin="1357")
    return card, login(make.user(role="volunteer", volunteer_id=card.volunteer_id))


def parse_svg(data: bytes) -> ElementTree.Element:
    root = ElementTree.fromstring(data)
    assert root.tag == SVG_NAMESPACE + "svg"
    assert root.findall(f".//{SVG_NAMESPACE}path") or root.findall(f".//{SVG_NAMESPACE}rect")
    return root


def test_dynamic_qr_json_holds_a_token_a_shop_can_read_for_my_card(client, session, signer, me):
    card, headers = me
    before = utc_now()
    response = client.get("/me/card/qr", headers=headers)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json
    expires_at = datetime.fromisoformat(body["expires_at"])
    assert before + QR_TOKEN_TTL - timedelta(seconds=5) <= expires_at <= utc_now() + QR_TOKEN_TTL
    # Refresh about 20 s before expiry, so the code on screen never dies mid-scan.
    assert 90 <= body["refresh_after_seconds"] <= 100
    scan = read_scan(session, signer, body["token"])
    assert scan.card.id == card.id and scan.is_dynamic and not scan.needs_pin


def test_every_request_gets_a_new_single_use_token(client, session, signer, me):
    _, headers = me
    first = client.get("/me/card/qr", headers=headers).json["token"]
    second = client.get("/me/card/qr", headers=headers).json["token"]
    assert first != second
    use_qr_token(session, read_scan(session, signer, first))
    with pytest.raises(QrTokenReplayed):
        read_scan(session, signer, first)
    assert read_scan(session, signer, second).is_dynamic


def test_dynamic_qr_png_decodes_to_a_valid_token_for_my_card(client, session, signer, me):
    card, headers = me
    response = client.get("/me/card/qr.png", headers=headers)
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.headers["Cache-Control"] == "no-store"
    assert int(response.headers["X-QR-Refresh-After"]) in range(90, 101)
    datetime.fromisoformat(response.headers["X-QR-Expires-At"])
    payload = read_one_qr_code(response.data)
    scan = read_scan(session, signer, payload)
    assert scan.card.id == card.id and scan.is_dynamic
    assert card.number not in payload


def test_dynamic_qr_svg_is_valid_svg(client, me):
    _, headers = me
    response = client.get("/me/card/qr.svg", headers=headers)
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert response.headers["Cache-Control"] == "no-store"
    parse_svg(response.data)


def test_printed_qr_png_decodes_to_the_card_number_and_needs_the_pin(client, session, signer, me):
    card, headers = me
    response = client.get("/me/card/printed-qr.png", headers=headers)
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.headers["Cache-Control"] == "no-store"
    assert read_one_qr_code(response.data) == card.number
    scan = read_scan(session, signer, card.number)
    assert scan.card.id == card.id and scan.needs_pin


def test_printed_qr_svg_is_valid_svg(client, me):
    _, headers = me
    response = client.get("/me/card/printed-qr.svg", headers=headers)
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert response.headers["Cache-Control"] == "no-store"
    parse_svg(response.data)


@pytest.mark.parametrize("status", [CardStatus.LOST, CardStatus.BLOCKED])
@pytest.mark.parametrize("path", DYNAMIC_ROUTES)
def test_a_lost_or_blocked_card_gets_no_dynamic_qr(client, make, me, status, path):
    card, headers = me
    make.card_status(card, status)
    response = client.get(path, headers=headers)
    assert response.status_code == 409 and response.json["code"] == "card_not_active"
    assert response.headers["Cache-Control"] == "no-store"


def test_a_pin_locked_card_gets_no_dynamic_qr(client, session, me):
    card, headers = me
    card.pin_locked = True
    session.flush()
    response = client.get("/me/card/qr", headers=headers)
    assert response.status_code == 409 and response.json["code"] == "card_pin_locked"


def test_after_a_reissue_the_qr_codes_are_for_the_new_card(client, session, signer, me):
    card, headers = me
    lifecycle.report_lost(session, card.id, actor=SYSTEM_ACTOR)
    new_card = lifecycle.reissue_card(session, card.id, actor=SYSTEM_ACTOR).card
    token = client.get("/me/card/qr", headers=headers).json["token"]
    assert read_scan(session, signer, token).card.id == new_card.id
    printed = client.get("/me/card/printed-qr.png", headers=headers)
    assert read_one_qr_code(printed.data) == new_card.number


def test_qr_images_round_trip_any_payload():
    payload = "9410" + "0" * 11 + "7"
    assert read_one_qr_code(render_qr_png(payload)) == payload
    parse_svg(render_qr_svg(payload))

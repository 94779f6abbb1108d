"""CORS: on /merchant/* only, off by default, for the origins the operator lists."""

from __future__ import annotations

import pytest

from mileage.config import parse_origins

POS = "https://pos.example.com"


@pytest.fixture
def pos_allowed(app):
    app.config["CORS_ORIGINS"] = parse_origins(f" {POS}/ , https://other.example.org")
    return app


def test_cors_is_off_by_default(client):
    preflight = client.options("/merchant/redemptions", headers={
        "Origin": POS, "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 204
    assert "Access-Control-Allow-Origin" not in preflight.headers
    answer = client.get("/merchant/me", headers={"Origin": POS})
    assert "Access-Control-Allow-Origin" not in answer.headers


def test_a_listed_origin_gets_a_preflight_that_allows_the_pos_headers(pos_allowed, client):
    preflight = client.options("/merchant/redemptions", headers={
        "Origin": POS, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, idempotency-key"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == POS
    assert {"GET", "POST"} <= set(preflight.headers["Access-Control-Allow-Methods"].split(", "))
    allowed = {h.lower() for h in preflight.headers["Access-Control-Allow-Headers"].split(", ")}
    assert {"authorization", "content-type", "idempotency-key", "accept-language"} <= allowed
    assert "Access-Control-Allow-Credentials" not in preflight.headers


def test_answers_and_errors_expose_the_headers_a_pos_reads(pos_allowed, client):
    answer = client.get("/merchant/me", headers={"Origin": POS})
    assert answer.status_code == 401
    assert answer.headers["Access-Control-Allow-Origin"] == POS
    exposed = set(answer.headers["Access-Control-Expose-Headers"].split(", "))
    assert {"X-Request-ID", "Idempotent-Replayed", "Retry-After"} <= exposed
    assert "Origin" in answer.headers["Vary"]


def test_other_origins_and_other_paths_get_no_cors(pos_allowed, client):
    stranger = client.get("/merchant/me", headers={"Origin": "https://evil.example.net"})
    assert "Access-Control-Allow-Origin" not in stranger.headers
    staff = client.options("/admin/merchants", headers={"Origin": POS, "Access-Control-Request-Method": "GET"})
    assert "Access-Control-Allow-Origin" not in staff.headers
    assert "Access-Control-Allow-Origin" not in client.get("/auth/me", headers={"Origin": POS}).headers


def test_the_operator_sets_the_origins_in_the_environment(monkeypatch, tmp_path):
    from mileage.config import load_config

    monkeypatch.setenv("MILEAGE_CORS_ORIGINS", "https://a.example, https://b.example/")
    assert load_config(str(tmp_path))["CORS_ORIGINS"] == ("https://a.example", "https://b.example")
    monkeypatch.delenv("MILEAGE_CORS_ORIGINS")
    assert load_config(str(tmp_path))["CORS_ORIGINS"] == ()


def test_origins_given_as_one_string_are_compared_whole(app, client):
    app.config["CORS_ORIGINS"] = "https://pos.example.com.evil.net,https://till.example"
    assert "Access-Control-Allow-Origin" not in client.get("/merchant/me", headers={"Origin": POS}).headers
    answer = client.get("/merchant/me", headers={"Origin": "https://till.example"})
    assert answer.headers["Access-Control-Allow-Origin"] == "https://till.example"

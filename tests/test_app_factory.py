"""The app factory: configuration, health check, and the error envelope on routing failures."""

import pytest

from mileage.app import create_app
from mileage.config import ConfigurationError


def test_testing_config_is_applied(app):
    assert app.testing
    assert create_app({"SECRET_KEY": "x", "TOKEN_SIGNING_KEY": "y", "CHECK_SCHEMA": False}).testing is False


def test_healthz_reports_app_and_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["app"] == "ok"
    assert response.json["database"] == "ok"


def test_production_refuses_to_start_without_secrets(monkeypatch):
    monkeypatch.setenv("MILEAGE_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("TOKEN_SIGNING_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app()


def test_development_generates_and_keeps_secrets(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("TOKEN_SIGNING_KEY", raising=False)
    from mileage.config import load_config

    first = load_config(str(tmp_path))
    second = load_config(str(tmp_path))
    assert first["SECRET_KEY"] and first["TOKEN_SIGNING_KEY"]
    assert first["SECRET_KEY"] == second["SECRET_KEY"]
    assert first["DATABASE_URL"] == f"sqlite:///{tmp_path / 'mileage.sqlite3'}"


@pytest.mark.parametrize(
    "language, expected", [("ko", "요청한 주소를 찾을 수 없습니다."), ("en", "The requested URL was not found.")]
)
def test_unknown_route_gets_the_error_envelope_in_the_callers_language(client, language, expected):
    response = client.get("/no-such-route", headers={"Accept-Language": language})
    assert response.status_code == 404
    assert response.json["code"] == "not_found"
    assert response.json["message"] == expected
    assert response.json["status"] == 404
    assert response.headers["X-Request-ID"] == response.json["request_id"]


def test_wrong_method_gets_405_envelope(client):
    response = client.post("/healthz")
    assert response.status_code == 405
    assert response.json["code"] == "method_not_allowed"


def test_embedded_default_creates_its_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    from mileage.config import load_config

    instance = tmp_path / "new-instance"
    config = load_config(str(instance), {"SECRET_KEY": "s", "TOKEN_SIGNING_KEY": "t"})
    assert instance.is_dir()
    assert config["DATABASE_URL"] == f"sqlite:///{instance / 'mileage.sqlite3'}"

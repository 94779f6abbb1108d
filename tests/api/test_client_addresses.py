"""Whose address the limits and the audit log see: the direct peer, or the client a trusted proxy names."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from mileage.app import create_app
from mileage.models import AuditEvent


def _app(engine, session_factory, trusted: int):
    app = create_app({
        # The shared app's signing key, so that the `login` fixture's tokens are valid here too.
        "TESTING": True, "SECRET_KEY": "test-secret-key", "TOKEN_SIGNING_KEY": "test-token-signing-key-of-32-bytes!",
        "DATABASE_URL": str(engine.url), "ENGINE": engine, "TRUSTED_PROXIES": trusted,
        # The test's own transaction holds SQLite's write lock; the schema is the shared, migrated one.
        "CHECK_SCHEMA": False,
    })
    app.extensions["mileage.session_factory"] = session_factory
    return app


@pytest.mark.parametrize("trusted, forwarded, seen", [
    (0, "1.2.3.4", "10.9.8.7"),              # nobody trusted: a client cannot choose its address
    (1, "1.2.3.4", "1.2.3.4"),               # the proxy's word for the client
    (1, "6.6.6.6, 1.2.3.4", "1.2.3.4"),      # a hop the client made up in front of the proxy is ignored
    (2, "5.5.5.5, 1.2.3.4", "5.5.5.5"),      # two proxies: the first one's client
])
def test_the_audit_log_sees_the_trusted_address(engine, session_factory, session, make, login, trusted, forwarded,
                                                seen):
    app = _app(engine, session_factory, trusted)
    admin = make.user(role="admin")
    response = app.test_client().post(
        "/admin/users", json={"username": f"addr.{trusted}.{len(forwarded)}", "password": "long-enough-pw",
                              "role": "staff"},
        headers={**login(admin), "X-Forwarded-For": forwarded},
        environ_base={"REMOTE_ADDR": "10.9.8.7"},
    )
    assert response.status_code == 201, response.json
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "user.create",
                                                    AuditEvent.target_id == str(response.json["id"])))
    assert event.ip_address == seen


def test_the_per_address_limit_follows_the_forwarded_client(engine, session_factory):
    app = _app(engine, session_factory, 1)
    client = app.test_client()

    def attempt(address, n):
        return client.post("/auth/token", json={"username": f"nobody{n}", "password": "wrong-password"},
                           headers={"X-Forwarded-For": address}, environ_base={"REMOTE_ADDR": "10.0.0.1"})

    assert [attempt("1.1.1.1", n).status_code for n in range(21)][-2:] == [401, 429]
    # Another client behind the same proxy is not affected.
    assert attempt("2.2.2.2", 99).status_code == 401

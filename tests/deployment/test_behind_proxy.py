"""Behind a real nginx, with two gunicorn workers sharing their attempt limits in the real Redis.

Every client reaches the app through the one proxy. Each "person" here connects from an address of
their own (127.0.0.x), which nginx passes on in X-Forwarded-For; the app trusts exactly one hop
(MILEAGE_TRUSTED_PROXIES=1), so the limits and the audit log see the person, not the proxy.
"""

from __future__ import annotations

import http.client
import json
import os
import uuid

import pytest
from sqlalchemy import select

from mileage.audit import SYSTEM_ACTOR
from mileage.db import make_engine, make_session_factory, run_in_transaction
from mileage.migrations_runner import upgrade_database
from mileage.models import AuditEvent
from mileage.people import users
from tests.support.databases import configured_server_url, scratch_database
from tests.support.gunicorn import GunicornServer
from tests.support.nginx import NginxProxy, nginx_available

REDIS = "redis://127.0.0.1:6379/15"

pytestmark = pytest.mark.skipif(
    not nginx_available() and os.environ.get("CI") != "true", reason="nginx is not installed (apt-get install nginx)"
)


def _redis_or_skip():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("no Redis on 127.0.0.1:6379")
    return client


@pytest.fixture
def stack(tmp_path):
    """A migrated database with two users, gunicorn (2 workers, Redis limits) and nginx in front."""
    redis = _redis_or_skip()
    prefix = f"mileage-test-{uuid.uuid4().hex[:12]}"
    with scratch_database(configured_server_url()) as url:
        upgrade_database(url)
        engine = make_engine(url)
        factory = make_session_factory(engine)
        run_in_transaction(factory, lambda session: [
            users.create_user(session, actor=SYSTEM_ACTOR, username=name, password="right-password-1", role=role)
            for name, role in (("victim", "staff"), ("third.person", "staff"), ("the.admin", "admin"))
        ])
        server = GunicornServer(url, workers=2, threads=2, extra_environment={
            "MILEAGE_DISABLE_RATE_LIMITS": "0",
            "MILEAGE_TRUSTED_PROXIES": "1",
            "RATELIMIT_STORAGE_URI": REDIS,
            "RATELIMIT_KEY_PREFIX": prefix,
        })
        server.start(timeout=60)
        proxy = NginxProxy(upstream=server.port, root=tmp_path / "nginx")
        try:
            proxy.start()
            yield proxy, factory
        finally:
            proxy.stop()
            server.stop()
            engine.dispose()
            for key in redis.scan_iter(f"{prefix}*"):
                redis.delete(key)


def _post(proxy: NginxProxy, path: str, body: dict, *, source: str, headers: dict | None = None):
    """POST through nginx from a source address of our own; return (status, json)."""
    connection = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=30, source_address=(source, 0))
    try:
        connection.request("POST", path, body=json.dumps(body),
                           headers={"Content-Type": "application/json", **(headers or {})})
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()


def _sign_in(proxy, username, password, *, source, headers=None):
    return _post(proxy, "/auth/token", {"username": username, "password": password}, source=source,
                 headers=headers)[0]


def test_one_attacker_cannot_lock_everyone_else_out(stack):
    proxy, _factory = stack
    attacker = "127.0.0.66"
    # Twenty-five guesses at different accounts, each claiming to come from somewhere else.
    statuses = [
        _sign_in(proxy, f"guess{n}", "wrong-password", source=attacker,
                 headers={"X-Forwarded-For": f"10.0.{n}.1"})
        for n in range(25)
    ]
    assert statuses[:20] == [401] * 20
    assert statuses[20:] == [429] * 5, statuses
    # Twenty other people each mistype once, from their own addresses.
    for n in range(20):
        assert _sign_in(proxy, f"person{n}", "typo-password", source=f"127.0.1.{n + 1}") == 401
    # A third person signs in fine, and so does everyone but the attacker.
    assert _sign_in(proxy, "third.person", "right-password-1", source="127.0.2.1") == 200
    assert _sign_in(proxy, "victim", "right-password-1", source="127.0.2.2") == 200
    assert _sign_in(proxy, "victim", "right-password-1", source=attacker) == 429


def test_the_account_limit_is_shared_by_every_worker(stack):
    proxy, _factory = stack
    # Five wrong passwords for one account, from five addresses: two workers share one count in Redis.
    statuses = [_sign_in(proxy, "victim", "wrong-password", source=f"127.0.3.{n + 1}") for n in range(5)]
    assert statuses == [401] * 5
    assert _sign_in(proxy, "victim", "wrong-password", source="127.0.3.9") == 429


def test_the_audit_log_records_the_person_not_the_proxy(stack):
    proxy, factory = stack
    status, tokens = _post(proxy, "/auth/token", {"username": "the.admin", "password": "right-password-1"},
                           source="127.0.4.7")
    assert status == 200
    status, created = _post(
        proxy, "/admin/users",
        {"username": "new.staff", "password": "long-enough-pw", "role": "staff"},
        source="127.0.4.7",
        headers={"Authorization": f"Bearer {tokens['access_token']}", "X-Forwarded-For": "6.6.6.6"},
    )
    assert status == 201, created
    event = run_in_transaction(factory, lambda session: session.scalar(
        select(AuditEvent).where(AuditEvent.action == "user.create", AuditEvent.target_id == str(created["id"]))
    ))
    assert event.ip_address == "127.0.4.7"

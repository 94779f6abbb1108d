"""Every route of the OpenAPI document x every role, plus no token and an expired token.

Each area lists its routes in tests/authz/rows_<area>.py as {(METHOD, path): allowed roles}.
A route in the OpenAPI document without a row fails the test: add its row when you add a route.

An allowed role must get past the role check (any answer but 401 or a role refusal; ownership
refusals and validation errors are fine). A refused role gets 403 role_not_allowed. No token gets
401 token_missing, an expired token 401 token_expired. Nothing ever gets a 5xx.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from datetime import timedelta

import pytest

import tests.authz
from mileage.people.tokens import Principal, TokenSigner
from tests.authz.roles import EVERY_ROLE, PUBLIC

METHODS = ("get", "post", "put", "patch", "delete")
# Path parameters get ids that exist nowhere, so an allowed caller gets 404/422 and nothing changes.
ABSENT_ID = "999999"


def _all_rows() -> dict:
    rows: dict = {}
    for module_info in pkgutil.iter_modules(tests.authz.__path__):
        if module_info.name.startswith("rows_"):
            module = importlib.import_module(f"tests.authz.{module_info.name}")
            overlap = rows.keys() & module.ROWS.keys()
            assert not overlap, f"routes listed twice: {overlap}"
            rows.update(module.ROWS)
    return rows


ROWS = _all_rows()


def _documented_routes(app) -> set[tuple[str, str]]:
    spec = app.extensions["mileage.api"].spec.to_dict()
    return {
        (method.upper(), path)
        for path, operations in spec["paths"].items()
        for method in operations
        if method in METHODS
    }


def test_every_documented_route_has_a_row(app):
    documented = _documented_routes(app)
    missing = sorted(documented - ROWS.keys())
    stale = sorted(ROWS.keys() - documented)
    assert not missing, f"routes without an authorization row: {missing}"
    assert not stale, f"rows for routes that no longer exist: {stale}"


@pytest.fixture
def principals(make):
    """One principal per role, each owning real things (a card, an organisation, a shop)."""
    return {
        "volunteer": Principal.of_user(make.user(role="volunteer", volunteer_id=make.card().volunteer_id)),
        "coordinator": Principal.of_user(make.user(role="coordinator", organisation_id=make.organisation().id)),
        "staff": Principal.of_user(make.user(role="staff")),
        "admin": Principal.of_user(make.user(role="admin")),
        "auditor": Principal.of_user(make.user(role="auditor")),
        "merchant": make.merchant_principal(),
    }


def _call(client, method: str, path: str, headers: dict):
    url = re.sub(r"\{[^}]+\}", ABSENT_ID, path)
    headers = {"Idempotency-Key": "authz-matrix-probe", **headers}
    if method == "GET":
        return client.get(url, headers=headers)
    return client.open(url, method=method, json={}, headers=headers)


@pytest.mark.parametrize("method, path", sorted(ROWS), ids=[f"{m} {p}" for m, p in sorted(ROWS)])
def test_route_answers_each_role_as_its_row_says(app, client, principals, method, path):
    allowed = ROWS[(method, path)]
    signer: TokenSigner = app.extensions["mileage.token_signer"]
    for role in sorted(EVERY_ROLE):
        principal = principals[role]
        claims = {"sub": principal.scope, **principal.claims()}
        token = signer.sign(claims, token_type="access", ttl=timedelta(minutes=5))
        response = _call(client, method, path, {"Authorization": f"Bearer {token}"})
        assert response.status_code < 500, f"{role}: {response.status_code} {response.get_data(as_text=True)[:300]}"
        refused = response.status_code == 403 and response.json["code"] == "role_not_allowed"
        if allowed is PUBLIC or role in allowed:
            assert response.status_code != 401 and not refused, f"{role} should pass: {response.json}"
        else:
            assert refused, f"{role} should be refused, got {response.status_code} {response.json}"

    anonymous = _call(client, method, path, {})
    assert anonymous.status_code < 500
    if allowed is not PUBLIC:
        assert anonymous.status_code == 401 and anonymous.json["code"] == "token_missing"
        expired = signer.sign({"sub": "user:1", "role": "admin"}, token_type="access", ttl=timedelta(seconds=-5))
        response = _call(client, method, path, {"Authorization": f"Bearer {expired}"})
        assert response.status_code == 401 and response.json["code"] == "token_expired"

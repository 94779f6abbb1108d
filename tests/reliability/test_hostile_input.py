"""Hostile input to every operation that takes input (from /openapi.json): 4xx in the one envelope, no change.

Each body-taking operation gets: an oversized body, deeply nested JSON, integers beyond 2^63,
negative, zero and fractional amounts, NaN and Infinity, invalid UTF-8, SQL and template injection
strings, extremely long strings, and bodies that are not objects at all. Each operation with query
or path parameters gets the same spirit there. Every answer must be a 4xx with the standard envelope
(reads with a free-text search may answer 200), nothing may be a 5xx, and a fingerprint of every
stored row must not change.

Hostile values go into a body that is otherwise valid wherever the test knows one (the money
movements below; `test_the_valid_bodies_are_accepted` proves them valid), so a refusal is caused by
the hostile value. Injection strings in free text are legitimate values, so there the rest of the
body is made invalid; `test_injection_strings_in_free_text_are_stored_verbatim_and_never_evaluated`
covers the valid case.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import date, datetime

import pytest

from mileage.http.limits import limiter
from tests.reliability.bank import ENVELOPE_KEYS
from tests.reliability.conftest import state_fingerprint
from tests.reliability.operations import allowed_roles, hostile_world

SQL_INJECTIONS = ["' OR '1'='1", "1; DROP TABLE accounts; --", "\" UNION SELECT password_hash FROM users --"]
TEMPLATE_INJECTIONS = ["{{7*7}}", "${7*7}", "{% for x in ().__class__.__base__.__subclasses__() %}{{x}}{% endfor %}"]
INJECTIONS = SQL_INJECTIONS + TEMPLATE_INJECTIONS
LONG_TEXT = "가" * 100_000  # 300 KB of UTF-8: far past every field, still under the body limit
HUGE_INTEGERS = [2**53 + 1, 2**63, 2**63 + 1, -(2**63) - 1, 2**64, 10**30]
NON_FINITE = ["NaN", "Infinity", "-Infinity"]
ROLE_PREFERENCE = ("staff", "admin", "merchant", "volunteer", "coordinator", "auditor")
METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture
def world(app, session, make, login, monkeypatch):
    # Attempt limits would answer 429 before the body is even parsed; this test is about parsing.
    monkeypatch.setattr(limiter, "enabled", False)
    return hostile_world(app, session, make, login)


def valid_bodies(world) -> dict[tuple[str, str], dict]:
    """Bodies the API accepts, for the operations that move points."""
    scan = {"scanned": world.card_number, "purchase_amount": 20_000, "pin": world.pin}
    return {
        ("POST", "/merchant/quote"): {"scanned": world.card_number, "purchase_amount": 20_000},
        ("POST", "/merchant/redemptions"): scan,
        ("POST", "/merchant/holds"): scan,
        ("POST", "/merchant/holds/{hold_id}/capture"): {"amount": 100, "purchase_amount": 20_000},
        ("POST", "/merchant/redemptions/{redemption_id}/refunds"): {"amount": 100, "reason": "고객 요청"},
        ("POST", "/me/donations"): {"cause_id": world.ids["cause_id"], "points": 100},
        ("POST", "/admin/donations"): {
            "volunteer_id": world.ids["volunteer_id"], "cause_id": world.ids["cause_id"], "points": 100,
            "consent": {"method": "written", "note": "동의서"},
        },
    }


# --- reading the OpenAPI document -----------------------------------------------------------

def _operations(app):
    spec = app.extensions["mileage.api"].spec.to_dict()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method.upper(), path, operation, spec


def _resolve(schema: dict, spec: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _json_body_schema(operation: dict, spec: dict) -> dict | None:
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    return _resolve(content["application/json"]["schema"], spec)


def _sample(schema: dict, spec: dict, name: str, ids: dict):
    """A plausible value for a property: a real id, today, the first choice, a short Korean text."""
    schema = _resolve(schema, spec)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "integer":
        return ids.get(name, max(1, schema.get("minimum", 1)))
    if kind == "number":
        return 1
    if kind == "boolean":
        return True
    if kind == "array":
        return [_sample(schema.get("items", {}), spec, name, ids)]
    if kind == "object" or "properties" in schema:
        return _baseline(schema, spec, ids)
    if schema.get("format") == "date":
        return date.today().isoformat()
    if schema.get("format") == "date-time":
        return datetime.now().isoformat()
    return "노원 테스트"


def _baseline(schema: dict, spec: dict, ids: dict) -> dict:
    return {
        name: _sample(prop, spec, name, ids)
        for name, prop in schema.get("properties", {}).items()
        if not _resolve(prop, spec).get("readOnly")
    }


def _fields(schema: dict, spec: dict, prefix=()):
    """Yield (path, property schema) for every writable field, nested objects included."""
    for name, prop in schema.get("properties", {}).items():
        prop = _resolve(prop, spec)
        if prop.get("readOnly"):
            continue
        if prop.get("type") == "object" or "properties" in prop:
            yield from _fields(prop, spec, (*prefix, name))
        else:
            yield (*prefix, name), prop


def _with(body: dict, path: tuple, value) -> dict:
    copy = json.loads(json.dumps(body))
    target = copy
    for name in path[:-1]:
        target = target.setdefault(name, {})
    target[path[-1]] = value
    return copy


def _raw_with(body: dict, path: tuple, token: str) -> bytes:
    """The body as JSON text, with one field's value replaced by a raw token (NaN is not JSON)."""
    marker = f"__hostile_{uuid.uuid4().hex}__"
    return json.dumps(_with(body, path, marker), ensure_ascii=False).replace(f'"{marker}"', token).encode()


def _amount_fields(fields) -> list[tuple]:
    return [path for path, prop in fields if prop.get("type") == "integer"]


def _invalidate(body: dict, fields, valid: bool) -> dict:
    """Make an otherwise valid body invalid without touching its text fields."""
    amounts = _amount_fields(fields)
    if valid and amounts:
        return _with(body, amounts[0], 0)
    return {**body, "hostile_unknown_field": True}


def hostile_bodies(body: dict, schema: dict, spec: dict, *, valid: bool, max_bytes: int):
    """Yield (label, raw body, statuses allowed) for one operation."""
    yield "oversized", json.dumps({"x": "a" * (max_bytes + 1)}).encode(), {413}
    yield "deeply nested", b"[" * 100_000 + b"]" * 100_000, {400}
    deep = b"[" * 50_000 + b"]" * 50_000
    yield "deeply nested field", _raw_with(body, ("deep",), "").replace(b'"deep": ', b'"deep": ' + deep), {400}
    yield "invalid UTF-8", b'{"x": "\xff\xfe\xfd"}', {400}
    yield "not an object", b"[1, 2, 3]", None
    yield "a bare string", b'"hello"', None
    yield "null", b"null", None
    fields = list(_fields(schema, spec))
    for path, prop in fields:
        label = ".".join(path)
        if prop.get("type") in ("integer", "number"):
            for value in HUGE_INTEGERS:
                yield f"{label}={value}", _raw_with(body, path, str(value)), {400}
            for token in NON_FINITE:
                yield f"{label}={token}", _raw_with(body, path, token), {400}
            # Refused by that field's own validation, not truncated to 1 and refused (or not) later.
            yield f"{label}=1.5", json.dumps(_with(body, path, 1.5)).encode(), {422: path[-1]}
            if valid:
                for value in (-1, 0, -0.0, 0.999):
                    yield f"{label}={value}", json.dumps(_with(body, path, value)).encode(), None
        elif prop.get("type") == "string" and "enum" not in prop:
            yield f"{label}=long", json.dumps(_with(body, path, LONG_TEXT)).encode(), None
            invalid = _invalidate(body, fields, valid)
            for text in INJECTIONS:
                yield f"{label}={text[:20]}", json.dumps(_with(invalid, path, text)).encode(), None


# --- the tests ------------------------------------------------------------------------------

def _caller(app, method: str, path: str):
    roles = allowed_roles(app, method, path)
    if roles is None:
        return None
    return next(role for role in ROLE_PREFERENCE if role in roles)


def _url(path: str, ids: dict, **overrides) -> str:
    return re.sub(r"\{([^}]+)\}", lambda m: str(overrides.get(m.group(1), ids.get(m.group(1), 1))), path)


def _check_refused(response, allowed: set | dict | None, what: str) -> str | None:
    """Return a problem, or None when the answer is a 4xx (of the allowed ones) in the envelope.

    `allowed` may map a status to the field whose validation message the answer must carry.
    """
    status = response.status_code
    if not 400 <= status < 500 or (allowed and status not in allowed):
        return f"{what}: {status} {response.get_data(as_text=True)[:200]}"
    body = response.get_json(silent=True)
    if not isinstance(body, dict) or set(body) != ENVELOPE_KEYS or body["status"] != status:
        return f"{what}: {status} without the envelope: {response.get_data(as_text=True)[:200]}"
    field = allowed.get(status) if isinstance(allowed, dict) else None
    if field and f'"{field}"' not in json.dumps(body["errors"]):
        return f"{what}: refused, but not by the validation of {field}: {body}"
    return None


def test_hostile_bodies_get_a_4xx_envelope_and_change_nothing(app, client, session, world):
    known = valid_bodies(world)
    max_bytes = app.config["MAX_CONTENT_LENGTH"]
    problems, sent, operations = [], 0, 0
    for method, path, operation, spec in _operations(app):
        schema = _json_body_schema(operation, spec)
        if schema is None:
            continue
        operations += 1
        role = _caller(app, method, path)
        headers = world.headers[role] if role else {}
        body = known.get((method, path)) or _baseline(schema, spec, world.ids)
        before = state_fingerprint(session)
        for label, raw, allowed in hostile_bodies(
            body, schema, spec, valid=(method, path) in known, max_bytes=max_bytes
        ):
            response = client.open(
                _url(path, world.ids), method=method, data=raw, content_type="application/json",
                headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
            )
            sent += 1
            problem = _check_refused(response, allowed, f"{method} {path} [{label}]")
            if problem:
                problems.append(problem)
        if state_fingerprint(session) != before:
            problems.append(f"{method} {path}: stored state changed")
    print({"operations": operations, "requests": sent})
    assert operations >= 20 and sent >= 500
    assert not problems, "\n".join(problems)


def test_hostile_query_and_path_parameters_get_no_5xx_and_change_nothing(app, client, session, world):
    problems, sent = [], 0
    for method, path, operation, spec in _operations(app):
        role = _caller(app, method, path)
        headers = {**(world.headers[role] if role else {}), "Idempotency-Key": uuid.uuid4().hex}
        before = state_fingerprint(session)
        requests = []
        for parameter in operation.get("parameters", []):
            schema = _resolve(parameter.get("schema", {}), spec)
            name, place = parameter["name"], parameter["in"]
            if place == "query":
                strict = schema.get("type") == "integer" or "enum" in schema or schema.get("format") in ("date",)
                for value in [*map(str, HUGE_INTEGERS), "1.5", *NON_FINITE, *INJECTIONS, "가" * 5_000, b"\xff\xfe"]:
                    # An id filter within BIGINT range is a valid (fruitless) filter; beyond it, a refusal.
                    in_range = isinstance(value, str) and value.lstrip("-").isdigit() and abs(int(value)) < 2**63
                    requests.append(
                        (f"?{name}={value[:20]!r}", _url(path, world.ids), {name: value}, strict and not in_range)
                    )
        for name in re.findall(r"\{([^}]+)\}", path):
            for value in ("-1", "0", "99999999999999999999999", "1' OR '1'='1", "%00", "1.5"):
                requests.append((f"{{{name}}}={value}", _url(path, world.ids, **{name: value}), {}, True))
        for label, url, query, must_refuse in requests:
            response = client.open(url, method=method, query_string=query, headers=headers)
            sent += 1
            status = response.status_code
            if status >= 500 or (must_refuse and not 400 <= status < 500):
                problems.append(f"{method} {path} [{label}]: {status} {response.get_data(as_text=True)[:200]}")
            elif 400 <= status < 500 and (problem := _check_refused(response, None, f"{method} {path} [{label}]")):
                problems.append(problem)
        if state_fingerprint(session) != before:
            problems.append(f"{method} {path}: stored state changed")
    print({"requests": sent})
    assert sent >= 200
    assert not problems, "\n".join(problems)


def test_the_valid_bodies_are_accepted(app, client, session, world):
    """The bodies the hostile test mutates are valid: the hostile value is what gets refused."""
    for (method, path), body in valid_bodies(world).items():
        role = _caller(app, method, path)
        response = client.open(
            _url(path, world.ids), method=method, json=body,
            headers={**world.headers[role], "Idempotency-Key": uuid.uuid4().hex},
        )
        assert 200 <= response.status_code < 300, (method, path, response.get_json())


@pytest.mark.parametrize("text", INJECTIONS)
def test_injection_strings_in_free_text_are_stored_verbatim_and_never_evaluated(app, client, session, world, text):
    staff = world.headers["staff"]
    created = client.post("/admin/organisations", json={"name": f"복지관 {text}"}, headers=staff)
    assert created.status_code == 201, created.get_json()
    organisation = created.get_json()
    assert organisation["name"] == f"복지관 {text}"
    listed = client.get("/admin/organisations", query_string={"name": text}, headers=staff)
    assert listed.status_code == 200
    assert [item["name"] for item in listed.get_json()["items"]] == [f"복지관 {text}"]
    # A search with the injection string finds only the row that holds it verbatim, nothing else.
    everything = client.get("/admin/volunteers", query_string={"q": text}, headers=staff)
    assert everything.status_code == 200 and everything.get_json()["items"] == []

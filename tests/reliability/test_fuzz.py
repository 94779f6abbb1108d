"""Fuzz every operation of /openapi.json with schemathesis, as each role: no 5xx, answers as documented.

Each role fuzzes the operations it may call (and the public ones): valid and invalid requests
generated from the document, with path ids both random and real (so requests reach the services).
The number of examples per operation is bounded for CI; set MILEAGE_FUZZ_EXAMPLES for more.
"""

from __future__ import annotations

import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from mileage.http.limits import limiter
from tests.reliability.conftest import FUZZ_EXAMPLES
from tests.reliability.operations import ROLES, allowed_roles, hostile_world

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.mark.parametrize("role", ROLES)
def test_fuzzing_every_operation_as_a_role_finds_no_server_error_and_no_undocumented_answer(
    app, session, make, login, monkeypatch, role
):
    # Attempt limits would soon answer 429 to everything a till sends; the fuzz is about the rest.
    monkeypatch.setattr(limiter, "enabled", False)
    world = hostile_world(app, session, make, login)
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    headers = world.headers[role]
    failures: dict[str, str] = {}
    fuzzed = 0
    for operation in operations:
        roles = allowed_roles(app, operation.method.upper(), operation.path)
        if roles is not None and role not in roles:
            continue  # refusing a role is the authorization matrix's job
        real_ids = {
            parameter.name: world.ids.get(parameter.name, 1)
            for parameter in operation.path_parameters
        }
        strategy = st.one_of(
            operation.as_strategy(),
            operation.as_strategy(path_parameters=real_ids) if real_ids else st.nothing(),
            operation.as_strategy(generation_mode=schemathesis.GenerationMode.NEGATIVE),
        )

        @settings(
            max_examples=FUZZ_EXAMPLES,
            deadline=None,
            database=None,
            phases=[Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def call(case):
            case.headers = {**(case.headers or {}), **headers, "Idempotency-Key": uuid.uuid4().hex}
            response = case.call()
            case.validate_response(response, checks=CHECKS)

        try:
            call()
        except Exception as exc:  # noqa: BLE001 - every operation is fuzzed; all failures are reported
            failures[f"{operation.method.upper()} {operation.path}"] = str(exc)[:1500]
        fuzzed += 1
    assert fuzzed >= 5, f"{role} fuzzed only {fuzzed} operations"
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())

"""The document against its committed snapshot: additions pass; removals and type changes fail CI.

After a deliberate change (a new major version, see CHANGELOG.md), update the snapshot:

    MILEAGE_UPDATE_OPENAPI_SNAPSHOT=1 .venv/bin/python -m pytest tests/api/test_openapi_compatibility.py

and commit docs/openapi-contract.json with the CHANGELOG entry that explains it.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest

from tests.support.openapi_compatibility import breaking_changes

SNAPSHOT = Path(__file__).resolve().parents[2] / "docs" / "openapi-contract.json"


@pytest.fixture(scope="module")
def document(shared_app):
    with shared_app.test_client() as client:
        return client.get("/openapi.json").json


def contract(document):
    """Return what the snapshot keeps of a document: its shapes, without prose and examples."""
    if isinstance(document, dict):
        return {
            key: contract(value)
            for key, value in document.items()
            if key not in ("description", "example", "examples", "summary")
        }
    if isinstance(document, list):
        return [contract(item) for item in document]
    return document


def test_the_document_keeps_every_promise_of_the_committed_snapshot(document):
    if os.environ.get("MILEAGE_UPDATE_OPENAPI_SNAPSHOT") == "1":
        SNAPSHOT.write_text(json.dumps(contract(document), indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    snapshot = json.loads(SNAPSHOT.read_text())
    problems = breaking_changes(snapshot, document)
    assert problems == [], "breaking changes (see CHANGELOG.md for the rules):\n" + "\n".join(problems)
    assert snapshot["info"]["version"].split(".")[0] == document["info"]["version"].split(".")[0]


def test_additions_pass(document):
    grown = copy.deepcopy(document)
    grown["paths"]["/merchant/new-thing"] = {"get": {"operationId": "merchant_new_thing", "responses": {}}}
    grown["components"]["schemas"]["MerchantReceipt"]["properties"]["loyalty_note"] = {"type": "string"}
    grown["paths"]["/merchant/redemptions"]["get"]["parameters"].append(
        {"in": "query", "name": "terminal", "required": False, "schema": {"type": "integer"}}
    )
    assert breaking_changes(document, grown) == []


def test_removals_and_type_changes_fail(document):
    changed = copy.deepcopy(document)
    del changed["paths"]["/merchant/quote"]
    del changed["components"]["schemas"]["MerchantReceipt"]["properties"]["refundable"]
    changed["components"]["schemas"]["MerchantReceipt"]["properties"]["discount"]["type"] = "string"
    changed["paths"]["/merchant/redemptions"]["post"]["operationId"] = "redeem"
    changed["paths"]["/merchant/redemptions"]["get"]["parameters"].append(
        {"in": "query", "name": "terminal", "required": True, "schema": {"type": "integer"}}
    )
    problems = breaking_changes(document, changed)
    assert "path removed: /merchant/quote" in problems
    assert "schema MerchantReceipt: property removed: refundable" in problems
    assert "schema MerchantReceipt.discount: type integer became string" in problems
    assert "POST /merchant/redemptions: operationId merchant_redeem became redeem" in problems
    assert "GET /merchant/redemptions: new required parameter: terminal (query)" in problems

"""The OpenAPI document: valid, complete, and generated from the declarations that enforce the rules."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from mileage.http.openapi import operation_id

METHODS = ("get", "put", "post", "patch", "delete")


@pytest.fixture(scope="module")
def document(shared_app):
    with shared_app.test_client() as client:
        response = client.get("/openapi.json")
    assert response.status_code == 200
    return response.json


def operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def _view(app, path, method):
    adapter = app.url_map.bind("localhost")
    flask_path = path.replace("{", "<").replace("}", ">")
    for rule in app.url_map.iter_rules():
        if rule.rule.replace("<int:", "<") == flask_path and method.upper() in rule.methods:
            return rule.endpoint, app.view_functions[rule.endpoint]
    del adapter
    raise AssertionError(f"no view for {method} {path}")


def test_the_document_is_valid_openapi(document):
    validate(document)
    assert document["openapi"].startswith("3.")


def test_every_operation_has_a_unique_operation_id_from_its_endpoint(app, document):
    ids = [operation["operationId"] for _, _, operation in operations(document)]
    assert len(ids) == len(set(ids)) and len(ids) > 90
    endpoint, _ = _view(app, "/merchant/redemptions", "post")
    assert document["paths"]["/merchant/redemptions"]["post"]["operationId"] == operation_id(endpoint)


def test_the_idempotency_key_is_declared_exactly_where_it_is_enforced(app, document):
    declared = {}
    for path, method, operation in operations(document):
        keys = [p for p in operation.get("parameters", []) if (p["in"], p["name"]) == ("header", "Idempotency-Key")]
        assert len(keys) <= 1
        declared[(path, method)] = ("required" if keys[0]["required"] else "optional") if keys else None
        _, view = _view(app, path, method)
        enforced = None
        if getattr(view, "idempotent", False):
            enforced = "required" if view.idempotency_required else "optional"
        assert declared[(path, method)] == enforced, (path, method)
    assert declared[("/merchant/redemptions", "post")] == "required"
    assert sum(1 for value in declared.values() if value == "required") >= 9
    assert sum(1 for value in declared.values() if value) >= 15
    parameter = document["components"]["parameters"]["IdempotencyKey"]
    assert (parameter["in"], parameter["name"], parameter["required"]) == ("header", "Idempotency-Key", True)


def test_the_roles_are_those_the_view_checks(app, document):
    for path, method, operation in operations(document):
        _, view = _view(app, path, method)
        roles = getattr(view, "allowed_roles", None)
        if roles is None:
            assert "x-roles" not in operation
            continue
        assert operation["x-roles"] == sorted(str(role) for role in roles), (path, method)
        assert ", ".join(operation["x-roles"]) in operation["description"]
    assert document["paths"]["/merchant/redemptions"]["post"]["x-roles"] == ["merchant"]


def test_every_operation_documents_its_error_answers_and_codes(document):
    redeem = document["paths"]["/merchant/redemptions"]["post"]["responses"]
    conflicts = set(redeem["409"]["x-error-codes"])
    assert {"insufficient_balance", "qr_token_replayed", "idempotency_key_reused"} <= conflicts
    assert "wrong_pin" in redeem["403"]["x-error-codes"] and "role_not_allowed" in redeem["403"]["x-error-codes"]
    assert {"token_missing", "token_expired"} <= set(redeem["401"]["x-error-codes"])
    assert "idempotency_key_required" in redeem["422"]["x-error-codes"]
    assert "too_many_requests" in redeem["429"]["x-error-codes"]
    assert redeem["503"]["x-error-codes"] == ["database_unavailable"]
    assert "WWW-Authenticate" in redeem["401"]["headers"]
    assert redeem["409"]["content"]["application/json"]["examples"]["insufficient_balance"]["value"]["status"] == 409
    for path, method, operation in operations(document):
        statuses = {status for status in operation["responses"] if not status.startswith("2")} - {"default"}
        assert "503" in statuses, (path, method)
        if operation.get("security") != []:
            assert {"401", "403"} <= statuses, (path, method)
        if "{" in path:
            assert "404" in statuses, (path, method)
        for status in statuses:
            codes = operation["responses"][status]["x-error-codes"]
            assert codes and all(f"`{code}`" in operation["responses"][status]["description"] for code in codes)


def test_binary_and_csv_answers_have_their_media_types(document):
    paths = document["paths"]
    assert "image/png" in paths["/me/card/qr.png"]["get"]["responses"]["200"]["content"]
    assert "image/svg+xml" in paths["/me/card/qr.svg"]["get"]["responses"]["200"]["content"]
    assert "text/csv" in paths["/me/statement.csv"]["get"]["responses"]["200"]["content"]
    assert "text/csv" in paths["/merchant/settlement"]["get"]["responses"]["200"]["content"]
    assert "text/csv" in paths["/admin/reports/hours"]["get"]["responses"]["200"]["content"]


def test_every_request_body_and_main_answer_has_an_example(document):
    for path, method, operation in operations(document):
        bodies = [operation["requestBody"]] if "requestBody" in operation else []
        bodies += [answer for status, answer in operation["responses"].items() if status.startswith("2")]
        for body in bodies:
            for media_type, content in body.get("content", {}).items():
                if "json" in media_type:
                    assert "example" in content or "examples" in content, (path, method, media_type)
    receipt = document["paths"]["/merchant/redemptions"]["post"]["responses"]["201"]["content"]["application/json"]
    assert receipt["example"]["holder_name"] == "김*수"


def test_the_shop_schemas_describe_every_field(document):
    schemas = document["components"]["schemas"]
    for name, schema in schemas.items():
        assert schema.get("description"), name
        if name.startswith("Merchant"):
            for field, prop in schema.get("properties", {}).items():
                assert prop.get("description") or "$ref" in prop or "allOf" in prop, f"{name}.{field}"


def test_the_document_carries_the_version_and_the_conventions(document):
    info = document["info"]
    assert info["version"].count(".") == 2
    for heading in ("인증", "멱등성", "오류", "페이지", "언어"):
        assert heading in info["description"]
    assert "30" in info["description"]

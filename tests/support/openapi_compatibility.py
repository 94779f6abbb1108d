"""Compare two OpenAPI documents: what the new one removed or changed that a client of the old one relies on.

Additions are compatible: a new path, operation, optional parameter, optional body field, answer field,
error code or status. Breaking: a removed path, operation, parameter, schema or property; a changed type
or format; a parameter or body field that became required; a changed operationId (generated clients
name their functions after it); an enum that lost a value a client may send.
"""

from __future__ import annotations

METHODS = ("get", "put", "post", "patch", "delete")


def breaking_changes(old: dict, new: dict) -> list[str]:
    """Return a sentence for each change from `old` to `new` that could break a client of `old`."""
    problems: list[str] = []
    for path, old_item in old.get("paths", {}).items():
        new_item = new.get("paths", {}).get(path)
        if new_item is None:
            problems.append(f"path removed: {path}")
            continue
        for method in METHODS:
            if method not in old_item:
                continue
            where = f"{method.upper()} {path}"
            if method not in new_item:
                problems.append(f"operation removed: {where}")
                continue
            problems += _operation_changes(where, old_item[method], new_item[method], old, new)
    old_schemas = old.get("components", {}).get("schemas", {})
    new_schemas = new.get("components", {}).get("schemas", {})
    for name, schema in old_schemas.items():
        if name not in new_schemas:
            problems.append(f"schema removed: {name}")
            continue
        problems += _schema_changes(f"schema {name}", schema, new_schemas[name])
    return problems


def _parameters(operation: dict, document: dict) -> dict:
    found = {}
    for parameter in operation.get("parameters", []):
        if "$ref" in parameter:
            parameter = document["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[-1]]
        found[(parameter["in"], parameter["name"].lower() if parameter["in"] == "header" else parameter["name"])] = (
            parameter
        )
    return found


def _operation_changes(where: str, old: dict, new: dict, old_doc: dict, new_doc: dict) -> list[str]:
    problems = []
    if old.get("operationId") != new.get("operationId"):
        problems.append(f"{where}: operationId {old.get('operationId')} became {new.get('operationId')}")
    old_parameters, new_parameters = _parameters(old, old_doc), _parameters(new, new_doc)
    for key, parameter in old_parameters.items():
        if key not in new_parameters:
            problems.append(f"{where}: parameter removed: {key[1]} ({key[0]})")
            continue
        problems += _schema_changes(f"{where} parameter {key[1]}", parameter.get("schema", {}),
                                    new_parameters[key].get("schema", {}), sent_by_client=True)
    for key, parameter in new_parameters.items():
        if key not in old_parameters and parameter.get("required"):
            problems.append(f"{where}: new required parameter: {key[1]} ({key[0]})")
        elif key in old_parameters and parameter.get("required") and not old_parameters[key].get("required"):
            problems.append(f"{where}: parameter became required: {key[1]}")
    old_body = old.get("requestBody", {}).get("content", {})
    new_body = new.get("requestBody", {}).get("content", {})
    for media_type in old_body:
        if media_type not in new_body:
            problems.append(f"{where}: request body no longer accepts {media_type}")
    for status, answer in old.get("responses", {}).items():
        if status.startswith("2") and status not in new.get("responses", {}):
            problems.append(f"{where}: answer {status} removed")
            continue
        if status.startswith("2"):
            for media_type in answer.get("content", {}):
                if media_type not in new["responses"][status].get("content", {}):
                    problems.append(f"{where}: answer {status} no longer offers {media_type}")
    return problems


def _schema_changes(where: str, old: dict, new: dict, *, sent_by_client: bool = False) -> list[str]:
    problems = []
    if "$ref" in old or "$ref" in new:
        if old.get("$ref") != new.get("$ref"):
            problems.append(f"{where}: {old.get('$ref')} became {new.get('$ref')}")
        return problems
    for key in ("type", "format"):
        if old.get(key) != new.get(key):
            problems.append(f"{where}: {key} {old.get(key)} became {new.get(key)}")
    if sent_by_client and old.get("enum") and set(old["enum"]) - set(new.get("enum") or old["enum"]):
        problems.append(f"{where}: enum lost {sorted(set(old['enum']) - set(new['enum']))}")
    old_properties, new_properties = old.get("properties", {}), new.get("properties", {})
    for name, schema in old_properties.items():
        if name not in new_properties:
            problems.append(f"{where}: property removed: {name}")
            continue
        problems += _schema_changes(f"{where}.{name}", schema, new_properties[name], sent_by_client=sent_by_client)
    newly_required = set(new.get("required", [])) - set(old.get("required", []))
    for name in sorted(newly_required):
        problems.append(f"{where}: property became required: {name}")
    if "items" in old:
        problems += _schema_changes(f"{where}[]", old["items"], new.get("items", {}), sent_by_client=sent_by_client)
    return problems

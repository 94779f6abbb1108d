"""The OpenAPI document, completed from the declarations that enforce the rules it describes.

flask-smorest documents what the schemas say. This apispec plugin adds, for every operation, what
the rest of the code enforces, read from the same objects that enforce it:

- `operationId`, from the Flask endpoint (`merchant.redeem` → `merchant_redeem`);
- the roles allowed (`x-roles` and a line of the description), from `@requires`;
- the `Idempotency-Key` header parameter, from `@idempotent` (required or not), with the replay header;
- every error answer and its error codes, from the error registry (`mileage/errors.py`): the errors the
  view can raise are found by following, through the bytecode, every function of ours that it can call,
  so an error raised in a service appears in the document by itself;
- `ETag`/`If-Match` on the resources PATCH changes (see `mileage/http/preconditions.py`);
- an example for every request body and every main response, built from the schema and its fields'
  `example` metadata.
"""

from __future__ import annotations

import copy
import dis
import functools
import inspect
import types
from collections.abc import Iterable

from apispec import BasePlugin
from flask import Flask
from werkzeug.local import LocalProxy

from mileage import errors, i18n
from mileage.http.errors import HTTP_MESSAGES, STATUS_BY_FAMILY, status_for

# Packages whose functions are followed when looking for the errors a view can raise.
OWN_PACKAGES = ("mileage", "merchant_api", "admin")

HTTP_METHODS = ("get", "put", "post", "patch", "delete")

# What a status means to a POS developer, in the answer's description.
STATUS_DESCRIPTIONS = {
    400: "The body is not JSON we accept.",
    401: "The credentials are missing, bad or expired: sign in again (`WWW-Authenticate` says how).",
    403: "The caller is known but may not do this (role, ownership, a suspended shop, a wrong PIN).",
    404: "The resource does not exist or is not the caller's to see.",
    409: "The current state forbids this, or the idempotency key was used for another body.",
    412: "`If-Match` names a version that is no longer current: read the resource again.",
    413: "The body is too large.",
    422: "A field or query parameter is invalid or unknown, or a programme rule refuses the request.",
    428: "A required precondition header (`Idempotency-Key` or `If-Match`) is missing.",
    429: "Too many attempts: wait for `Retry-After` seconds, then retry with the same idempotency key.",
    503: "The database is unavailable: wait for `Retry-After` seconds, then retry with the same idempotency key.",
}


# Failures that come from the web edge rather than a domain error: (status, code, Korean, English).
def _http_answer(status: int, code: str) -> tuple[int, str, str, str]:
    """Return a failure that does not come from the domain: its status, code and sentence in both languages."""
    message = HTTP_MESSAGES[status]
    return status, code, i18n.translate("ko", message), i18n.translate("en", message)


VALIDATION_FAILED = _http_answer(422, "validation_failed")
ROUTE_NOT_FOUND = _http_answer(404, "not_found")
PAYLOAD_TOO_LARGE = _http_answer(413, "payload_too_large")
RATE_LIMITED = _http_answer(429, "too_many_requests")
DATABASE_UNAVAILABLE = _http_answer(503, "database_unavailable")


# --- the errors a view can raise --------------------------------------------------------------

def _is_own(obj) -> bool:
    module = getattr(obj, "__module__", None) or ""
    return module.split(".")[0] in OWN_PACKAGES


def _is_family(cls: type[errors.DomainError]) -> bool:
    """A family (NotFound, Conflict, ...) is caught and documented by its members, never raised as such."""
    return cls is errors.DomainError or (cls in STATUS_BY_FAMILY and bool(cls.__subclasses__()))


def _code_objects(code: types.CodeType) -> Iterable[types.CodeType]:
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


def _attribute_names(code: types.CodeType) -> set[str]:
    names = set()
    for inner in _code_objects(code):
        names.update(inner.co_names)
        names.update(instr.argval for instr in dis.get_instructions(inner) if instr.opname == "LOAD_ATTR")
    return names


class ErrorFinder:
    """Find the domain errors a function can raise by following every function of ours it names.

    It over-approximates (a name that is caught is counted as raised): the document lists what an
    operation *can* answer, and a code that never comes is harmless to a client, a missing one is not.
    """

    def __init__(self) -> None:
        # Disassembling is most of the cost of building the document, and every operation reaches
        # much the same functions: each is read once per process, and each app of a process (the
        # CLI's, every test's) finds the same answers for the same views.
        self._errors: dict[tuple, frozenset[type[errors.DomainError]]] = {}
        self._references: dict[types.FunctionType, tuple] = {}

    def errors_of(self, *functions) -> frozenset[type[errors.DomainError]]:
        if functions not in self._errors:
            found: set[type[errors.DomainError]] = set()
            seen: set[int] = set()
            for function in functions:
                self._walk(function, found, seen)
            self._errors[functions] = frozenset(cls for cls in found if not _is_family(cls))
        return self._errors[functions]

    def _walk(self, obj, found: set, seen: set) -> None:
        if isinstance(obj, type) and issubclass(obj, errors.DomainError):
            found.add(obj)
            return
        if isinstance(obj, LocalProxy) or id(obj) in seen:
            return
        seen.add(id(obj))
        if isinstance(obj, functools.partial):
            self._walk(obj.func, found, seen)
            for arg in obj.args:
                self._walk(arg, found, seen)
            return
        if isinstance(obj, dict | list | tuple | set | frozenset):
            for item in (list(obj.items()) if isinstance(obj, dict) else obj):
                for part in (item if isinstance(item, tuple) else (item,)):
                    if isinstance(part, type | types.FunctionType):
                        self._walk(part, found, seen)
            return
        if isinstance(obj, type) and _is_own(obj):
            for member in vars(obj).values():
                function = getattr(member, "__func__", member)
                if isinstance(function, types.FunctionType):
                    self._walk(function, found, seen)
            return
        function = getattr(obj, "__func__", obj)
        if not isinstance(function, types.FunctionType) or not _is_own(function):
            return
        if function.__module__ == errors.__name__:
            # The registry's lookups (`error_class(code)`) re-raise a stored refusal, which the code
            # that stored it raised in the first place: following them would list every error.
            return
        self._walk_function(function, found, seen)

    def _walk_function(self, function: types.FunctionType, found: set, seen: set) -> None:
        if function not in self._references:
            self._references[function] = _references_of(function)
        for obj in self._references[function]:
            self._walk(obj, found, seen)


def _references_of(function: types.FunctionType) -> tuple:
    """Return what a function of ours names: its globals and closure cells, and the attributes it reads on ours."""
    namespace = function.__globals__
    names = _attribute_names(function.__code__)
    referenced = [namespace[name] for name in names if name in namespace]
    for cell in function.__closure__ or ():
        try:
            referenced.append(cell.cell_contents)
        except ValueError:  # an empty cell
            continue
    # Attributes are resolved on the modules and classes the function names, and on the class
    # a function it calls returns (`token_signer().verify`).
    receivers = [obj for obj in referenced if isinstance(obj, types.ModuleType | type)]
    for obj in referenced:
        returned = _returned_class(obj)
        if returned is not None:
            receivers.append(returned)
    for receiver in receivers:
        if isinstance(receiver, types.ModuleType) and not receiver.__name__.startswith(OWN_PACKAGES):
            continue
        if isinstance(receiver, type) and not (_is_own(receiver) or receiver is errors.DomainError):
            continue
        for name in names:
            attribute = vars(receiver).get(name) if isinstance(receiver, type) else getattr(receiver, name, None)
            if attribute is not None:
                referenced.append(attribute)
    return tuple(obj for obj in referenced if not isinstance(obj, types.ModuleType))


# One per process: every app documents the same views (see ErrorFinder).
ERROR_FINDER = ErrorFinder()


def _returned_class(obj) -> type | None:
    """Return the class of ours a function of ours is annotated to return, if any."""
    if not (isinstance(obj, types.FunctionType) and _is_own(obj)):
        return None
    annotation = obj.__annotations__.get("return")
    if isinstance(annotation, str):
        annotation = obj.__globals__.get(annotation.split("[")[0].split("|")[0].strip())
    return annotation if isinstance(annotation, type) and _is_own(annotation) else None


# --- examples -------------------------------------------------------------------------------

EXAMPLE_BY_FORMAT = {
    "date": "2026-12-02",
    "date-time": "2026-12-02T14:30:00+09:00",
    "email": "kim@example.org",
    "uuid": "8e03978e-40d5-43e8-bc93-6894a57f9324",
    "uri": "https://example.org",
    "binary": "",
}


def _example_for_name(name: str, schema: dict):
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    lowered = name.lower()
    if kind == "integer":
        if lowered == "id" or lowered.endswith("_id"):
            return 42
        if "rate_bp" in lowered:
            return 500
        if "minute" in lowered:
            return 240
        if lowered.endswith("_count") or lowered == "count" or "version" in lowered:
            return 3
        if "expires_in" in lowered:
            return 900
        if "limit" in lowered:
            return 50
        if lowered == "status":
            return 409
        return 1500
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    if kind == "string":
        if lowered == "username":
            return "kim.minsu"
        if "password" in lowered or "secret" in lowered:
            return "correct-horse-battery"
        if "holder" in lowered or "masked" in lowered:
            return "김*수"
        if lowered in ("name", "volunteer_name", "full_name", "witness_name"):
            return "김민수"
        if lowered.endswith("name"):
            return "행복나눔 카페"
        if "status" in lowered or lowered == "state":
            return "active"
        if lowered == "role":
            return "staff"
        if "cursor" in lowered:
            return "eyJpZCI6IDQyfQ"
        if "token" in lowered:
            return "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl"
        if "card_number" in lowered or lowered == "number":
            return "9410-****-****-0012"
        if "phone" in lowered:
            return "010-1234-5678"
        if "time" in lowered:
            return "09:30"
        if "code" in lowered:
            return "insufficient_balance"
        if "message" in lowered:
            return "마일리지 잔액이 부족합니다."
        return "예시"
    return None


class ExampleBuilder:
    """Build an example value from a JSON schema of the document, fields' own examples first."""

    def __init__(self, schemas: dict) -> None:
        self.schemas = schemas

    def build(self, schema: dict, name: str = "", depth: int = 0, *, request: bool = False):
        """Return an example of `schema`: of a request body (no read-only fields) or of a response."""
        if depth > 6:
            return None
        if "$ref" in schema:
            target = self.schemas.get(schema["$ref"].rsplit("/", 1)[-1], {})
            return self.build(target, name, depth + 1, request=request)
        if "example" in schema:
            return schema["example"]
        if schema.get("enum"):
            return schema["enum"][0]
        if schema.get("default") is not None:
            return schema["default"]
        for combined in ("allOf", "oneOf", "anyOf"):
            if schema.get(combined):
                return self.build(schema[combined][0], name, depth + 1, request=request)
        if "format" in schema and schema["format"] in EXAMPLE_BY_FORMAT:
            return EXAMPLE_BY_FORMAT[schema["format"]]
        kind = schema.get("type")
        if kind == "object" or "properties" in schema:
            skipped = "readOnly" if request else "writeOnly"
            return {
                key: self.build(value, key, depth + 1, request=request)
                for key, value in schema.get("properties", {}).items()
                if not value.get(skipped)
            }
        if kind == "array":
            return [self.build(schema.get("items", {}), name.removesuffix("s"), depth + 1, request=request)]
        return _example_for_name(name, schema)


# --- the plugin -----------------------------------------------------------------------------

def _walk_wrappers(view):
    """Yield a view and every function it wraps, outermost first."""
    while view is not None:
        yield view
        view = getattr(view, "__wrapped__", None)


def _marker(view, name: str, default=None):
    for function in _walk_wrappers(view):
        if name in getattr(function, "__dict__", {}):
            return function.__dict__[name]
    return default


def operation_id(endpoint: str) -> str:
    """Return the operationId of a Flask endpoint: `merchant.redeem` → `merchant_redeem`."""
    return endpoint.replace(".", "_").replace("-", "_")


def _error_message(cls: type[errors.DomainError], language: str) -> str:
    """Return an error's sentence; one with parameters is shown as its template (`%(available)s`)."""
    return i18n.translations(language).gettext(cls.text)


class OperationsPlugin(BasePlugin):
    """Complete every operation from the declarations that enforce it (see the module docstring)."""

    def __init__(self) -> None:
        self.app: Flask | None = None
        self.finder = ERROR_FINDER
        self.spec = None

    def init_spec(self, spec) -> None:
        super().init_spec(spec)
        self.spec = spec

    def operation_helper(self, path=None, operations=None, **kwargs) -> None:
        rule = kwargs.get("rule")
        if rule is None or self.app is None or not operations:
            return
        view = self.app.view_functions[rule.endpoint]
        blueprint_name = rule.endpoint.rpartition(".")[0]
        # The blueprint's own hooks (how a terminal authenticates); the app's only refuse bodies (below).
        before = list(self.app.before_request_funcs.get(blueprint_name, ()))
        blueprint = self.app.blueprints.get(blueprint_name)
        security = getattr(blueprint, "openapi_security", None)
        for method, operation in operations.items():
            if method not in HTTP_METHODS:
                continue
            operation["operationId"] = operation_id(rule.endpoint)
            if security is not None and operation.get("security") != []:
                operation["security"] = security
            self._document_roles(view, operation)
            self._document_idempotency(view, operation)
            self._document_preconditions(view, method, operation)
            self._document_errors(view, before, rule, method, operation)
            self._add_examples(operation)

    def schema_helper(self, name, definition, **kwargs) -> dict | None:
        """Describe a component schema by its class's docstring (or its name) when it has no description."""
        if definition.get("description"):
            return None
        schema = kwargs.get("schema")
        schema_class = schema if isinstance(schema, type) else type(schema)
        doc = inspect.getdoc(schema_class) if _is_own(schema_class) else None
        if doc and doc == inspect.getdoc(schema_class.__mro__[1]):
            doc = None  # inherited from Schema or a base of ours, so not about this one
        return {"description": doc.split("\n\n")[0].replace("\n", " ") if doc else _sentence_from_name(name)}

    def _add_examples(self, operation: dict) -> None:
        """Give the JSON request body and the main (2xx) responses an example, unless they have one."""
        builder = ExampleBuilder(self.spec.components.schemas)
        bodies = [(operation["requestBody"], True)] if "requestBody" in operation else []
        bodies += [(r, False) for s, r in operation.get("responses", {}).items() if str(s).startswith("2")]
        for body, is_request in bodies:
            if not isinstance(body, dict):
                continue
            for media_type, content in body.get("content", {}).items():
                if "example" in content or "examples" in content or "schema" not in content:
                    continue
                if media_type.endswith("json") or media_type == "multipart/form-data":
                    content["example"] = builder.build(content["schema"], request=is_request)

    # roles --------------------------------------------------------------------------------

    def _document_roles(self, view, operation: dict) -> None:
        roles = _marker(view, "allowed_roles")
        if roles is None:
            return
        ordered = sorted(str(role) for role in roles)
        operation["x-roles"] = ordered
        line = f"**Roles / 역할:** {', '.join(ordered)}"
        description = operation.get("description") or ""
        operation["description"] = f"{description}\n\n{line}".strip()

    # idempotency --------------------------------------------------------------------------

    def _document_idempotency(self, view, operation: dict) -> None:
        from mileage.http.idempotency import (
            IDEMPOTENCY_RETENTION_HEADER,
            IDEMPOTENCY_RETENTION_SECONDS,
            REPLAYED_HEADER,
        )

        if not _marker(view, "idempotent", False):
            return
        required = bool(_marker(view, "idempotency_required", True))
        operation.setdefault("parameters", []).append(
            header_parameter("IdempotencyKey" if required else "IdempotencyKeyOptional")
        )
        operation["x-idempotent"] = {"required": required, "retention_seconds": IDEMPOTENCY_RETENTION_SECONDS}
        for status, response in operation.get("responses", {}).items():
            if str(status).startswith("2") and isinstance(response, dict):
                headers = response.setdefault("headers", {})
                headers[REPLAYED_HEADER] = {"$ref": "#/components/headers/IdempotentReplayed"}
                headers[IDEMPOTENCY_RETENTION_HEADER] = {"$ref": "#/components/headers/IdempotencyKeyRetention"}

    # preconditions ------------------------------------------------------------------------

    def _document_preconditions(self, view, method: str, operation: dict) -> None:
        if _marker(view, "etag_resource", False):
            if method == "patch":
                operation.setdefault("parameters", []).append(header_parameter("IfMatch"))
            for status, response in operation.get("responses", {}).items():
                if str(status).startswith("2") and isinstance(response, dict):
                    response.setdefault("headers", {})["ETag"] = {"$ref": "#/components/headers/ETag"}

    # errors -------------------------------------------------------------------------------

    def _document_errors(self, view, before, rule, method: str, operation: dict) -> None:
        raised = self.finder.errors_of(view, *before)
        public = operation.get("security") == []
        by_status: dict[int, dict[str, tuple[str, str]]] = {}

        def add(status: int, code: str, korean: str, english: str) -> None:
            by_status.setdefault(status, {})[code] = (korean, english)

        for cls in raised:
            if public and issubclass(cls, errors.RoleNotAllowed):
                continue
            add(status_for(cls()), cls.code, _error_message(cls, "ko"), _error_message(cls, "en"))
        # Every operation refuses a query parameter it does not read (mileage/http/blueprints.py).
        add(*VALIDATION_FAILED)
        if rule.arguments:
            add(*ROUTE_NOT_FOUND)
        if operation.get("requestBody"):
            add(*PAYLOAD_TOO_LARGE)
            if "application/json" in operation["requestBody"].get("content", {}):
                cls = errors.MalformedJson
                add(status_for(cls()), cls.code, _error_message(cls, "ko"), _error_message(cls, "en"))
        if _marker(view, "__wrapper-limiter-instance") is not None:
            add(*RATE_LIMITED)
        if method != "get":
            cls = errors.TransactionConflict
            add(409, cls.code, _error_message(cls, "ko"), _error_message(cls, "en"))
        add(*DATABASE_UNAVAILABLE)

        responses = operation.setdefault("responses", {})
        for status in sorted(by_status):
            codes = by_status[status]
            listing = "\n".join(
                f"- `{code}`: {korean} / {english}" for code, (korean, english) in sorted(codes.items())
            )
            response = {
                "description": f"{STATUS_DESCRIPTIONS.get(status, 'Error.')}\n\nError codes:\n{listing}",
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/ErrorEnvelope"},
                        "examples": {
                            code: {
                                "summary": english,
                                "value": {"code": code, "status": status, "message": korean, "errors": {},
                                          "request_id": "3f2c9d0e6b1a4f7e8c5d2b1a0f9e8d7c"},
                            }
                            for code, (korean, english) in sorted(codes.items())
                        },
                    }
                },
                "x-error-codes": sorted(codes),
            }
            if status == 401:
                response["headers"] = {"WWW-Authenticate": {"$ref": "#/components/headers/WWWAuthenticate"}}
            if status in (429, 503):
                response["headers"] = {"Retry-After": {"$ref": "#/components/headers/RetryAfter"}}
            responses[str(status)] = response
        # `default` (flask-smorest's, the same envelope) stays: any other failure has the same shape.


def _sentence_from_name(name: str) -> str:
    words = []
    for char in name:
        if char.isupper() and words:
            words.append(" ")
        words.append(char)
    return "".join(words).capitalize() + "."


@functools.cache
def header_parameters() -> dict[str, dict]:
    """Return the header parameters the plugin declares, by name: the idempotency key and If-Match."""
    from mileage.http.idempotency import (
        IDEMPOTENCY_HEADER,
        IDEMPOTENCY_KEY_PATTERN,
        IDEMPOTENCY_RETENTION_SECONDS,
    )

    key_description = (
        "Any 1-200 letters, digits, `-`, `_`, `.`, `:`; bare (`sale-0001`) or quoted as in the IETF draft "
        f'(`"sale-0001"`), both the same key. A key\'s first final answer (a success or a refusal) is kept '
        f"{IDEMPOTENCY_RETENTION_SECONDS // 86400} days and replayed to every retry with the same body "
        "(`Idempotent-Replayed: true`); the same key with another body is refused (409 `idempotency_key_reused`); "
        "a retry sent while the first attempt runs waits for it and gets its answer. "
        "A missing key on an operation that requires one is refused (422 `idempotency_key_required`), "
        "a malformed one too (422 `idempotency_key_invalid`)."
    )
    key_schema = {"type": "string", "pattern": f'^"?{IDEMPOTENCY_KEY_PATTERN}"?$', "maxLength": 202}
    return {
        "IdempotencyKey": {
            "in": "header", "name": IDEMPOTENCY_HEADER, "required": True, "description": key_description,
            "schema": key_schema, "example": "sale-20261202-0001",
        },
        "IdempotencyKeyOptional": {
            "in": "header", "name": IDEMPOTENCY_HEADER, "required": False,
            "description": "Optional here; when sent, the same rules apply. " + key_description,
            "schema": key_schema, "example": "approve-20261202-0001",
        },
        "IfMatch": {
            "in": "header", "name": "If-Match", "required": False,
            "description": (
                "The `ETag` of the version you read. A stale one is refused with 412 `precondition_failed` and "
                "nothing changes. Optional unless the operator sets `MILEAGE_REQUIRE_IF_MATCH=1`, which refuses a "
                "PATCH without it (428 `precondition_required`)."
            ),
            "schema": {"type": "string"}, "example": '"3b1f0c9a2e7d4c55"',
        },
    }


def header_parameter(name: str) -> dict:
    """Return a copy of one of `header_parameters`, to put inline in an operation (tools read it directly)."""
    return copy.deepcopy(header_parameters()[name])


def register_components(spec) -> None:
    """Register the parameters and headers the plugin's operations use."""
    from mileage.http.idempotency import IDEMPOTENCY_RETENTION_SECONDS

    for name, parameter in header_parameters().items():
        spec.components.parameter(name, parameter["in"], {k: v for k, v in parameter.items() if k != "in"})
    spec.components.header("IdempotentReplayed", {
        "description": "`true` when this answer is the stored answer of an earlier request with the same key.",
        "schema": {"type": "string", "enum": ["true"]},
    })
    spec.components.header("IdempotencyKeyRetention", {
        "description": "Seconds the server keeps this key's answer; after that the key may be pruned and run as new.",
        "schema": {"type": "integer", "example": IDEMPOTENCY_RETENTION_SECONDS},
    })
    spec.components.header("ETag", {
        "description": "The version of this resource; send it back as `If-Match` to change it safely.",
        "schema": {"type": "string"},
    })
    spec.components.header("WWWAuthenticate", {
        "description": "How to authenticate: `Bearer` (or `Terminal` on /merchant), with the error.",
        "schema": {"type": "string", "example": 'Bearer realm="mileage", error="invalid_token"'},
    })
    spec.components.header("RetryAfter", {
        "description": "Seconds to wait before retrying.", "schema": {"type": "integer", "example": 5},
    })


# --- the document's front page ----------------------------------------------------------------

# The API's version (CHANGELOG.md says when it changes): additions bump the minor version; a
# change that could break a client needs a new major version, served beside the old one.
API_VERSION = "1.1.0"

API_DESCRIPTION = """\
자원봉사 시간이 마일리지 포인트가 되고, 포인트는 가맹점 할인이나 기부로 쓰입니다.
Volunteer hours become mileage points, spent at partner shops or donated.

기계가 읽는 문서 / machine-readable: [`/openapi.json`](/openapi.json) · 변경 기록과 호환성 약속 / changes and
compatibility: `CHANGELOG.md`.

## 공통 규칙 · Conventions

### 인증 · Authentication
- `Authorization: Bearer <access_token>`: `POST /auth/token`(사용자) 또는 `POST /merchant/auth/token`(가맹점 단말기)으로
  발급합니다. 액세스 토큰은 15분 유효하며, `POST /auth/refresh`로 갱신합니다.
- 가맹점 단말기는 요청마다 `Authorization: Terminal <key_id>:<secret>`을 보낼 수도 있습니다.
- 401은 토큰이 없거나 잘못되었거나 만료되었을 때만 옵니다(`WWW-Authenticate` 헤더 포함). 역할이나 소유권이 맞지 않거나,
  카드 PIN이 틀리면 403입니다(`wrong_pin`). Each operation lists the roles allowed (`x-roles`).

### 멱등성 · Idempotency
- 포인트를 움직이는 POST에는 `Idempotency-Key` 헤더(따옴표 있는 IETF 형식 `"sale-0001"`과 없는 형식 모두 허용):
  키의 첫 최종 응답(성공이든 거절이든)이 그 키의 유일한 응답입니다. 같은 키·같은 본문은 그 응답을
  `Idempotent-Replayed: true`와 함께 돌려줍니다. 다시 시도하려면 새 키를 씁니다.
- 키가 없으면 422 `idempotency_key_required`, 같은 키·다른 본문은 409 `idempotency_key_reused`, 첫 시도가 아직
  처리 중이면 재시도는 그 결과를 기다렸다가 같은 응답을 받습니다.
- 처리되지 않았다는 응답(본문 형식 오류 422, 401, 429, 503)은 저장하지 않습니다. 키는 **30일** 보관합니다
  (응답 헤더 `Idempotency-Key-Retention`, 초 단위).

### 오류 · Errors
- 모든 오류는 한 형식입니다 / one shape: `{"code", "status", "message", "errors", "request_id"}`. `code`는 바뀌지 않는
  기계용 코드이고, 각 작업의 응답마다 올 수 있는 코드가 나열되어 있습니다(`x-error-codes`).
- 알 수 없는 쿼리 매개변수는 422로 거절합니다 / unknown query parameters are refused (422).

### 동시 수정 · Concurrent edits
- PATCH로 바꿀 수 있는 자원은 `ETag`를 돌려줍니다. `If-Match`에 그 값을 보내면, 그사이 다른 사람이 바꾼 경우 412로
  거절되고 아무것도 바뀌지 않습니다.

### 페이지 · Pagination
- 목록은 키셋 페이지입니다: `limit`과 앞 페이지의 `next_cursor`를 `cursor`로 보냅니다.
  마지막 페이지의 `next_cursor`는 null.

### 언어 · Languages
- `message`는 `Accept-Language`를 따릅니다: 한국어 기본, `en` 가능. 날짜와 하루는 서울 시간(Asia/Seoul)입니다.
  포인트와 금액은 정수(원)입니다.

### 브라우저의 POS · Browser-based POS
- 운영자가 `MILEAGE_CORS_ORIGINS`에 허용한 출처에서만 `/merchant/*`를 CORS로 부를 수 있습니다(기본은 꺼짐).
"""


def spec_settings(*, extra_plugins) -> dict:
    """Return the apispec settings of the document: its front page, security schemes and plugins."""
    return {
        "extra_plugins": extra_plugins,
        "security": [{"bearerAuth": []}],
        "info": {
            "description": API_DESCRIPTION,
            "contact": {"name": "Volunteer centre IT / 자원봉사센터 전산 담당"},
        },
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                               "description": "An access token from POST /auth/token or POST /merchant/auth/token."},
                "terminalAuth": {"type": "apiKey", "in": "header", "name": "Authorization",
                                 "description": "`Terminal <key_id>:<secret>` on every request (shop terminals only)."},
            }
        },
        "x-api-version": API_VERSION,
    }

"""Reading the console's HTML forms and query strings into plain values, with Korean field errors."""

from __future__ import annotations

import re
import secrets
from datetime import date

from flask import request
from werkzeug.datastructures import MultiDict

from admin.console.i18n import N_, _
from admin.console.i18n import text as translated
from mileage.errors import RuleViolation

MAX_TEXT_LENGTH = 2000
FORM_KEY_FIELD = "form_key"
_FORM_KEY = re.compile(r"[A-Za-z0-9_-]{8,64}")


class FormInvalid(RuleViolation):
    """A console form field is missing or malformed (an edge error, like a 422 in the API)."""

    code = "form_invalid"
    text = N_("Please check this field: %(field)s")


def _source(where: str) -> MultiDict:
    return request.form if where == "form" else request.args


def text(
    name: str, *, label: str, required: bool = False, where: str = "form", max_length: int = MAX_TEXT_LENGTH
) -> str:
    """Return a stripped text field ("" when absent).

    :raises FormInvalid: required and empty, or longer than max_length.
    """
    value = (_source(where).get(name) or "").strip()
    if (required and not value) or len(value) > max_length:
        raise FormInvalid(field=translated(label))
    return value


def integer(
    name: str, *, label: str, required: bool = False, minimum: int | None = None, where: str = "form"
) -> int | None:
    """Return a whole number field, thousands separators allowed; None when absent and optional.

    :raises FormInvalid: required and empty, not a whole number, or below minimum.
    """
    raw = (_source(where).get(name) or "").strip().replace(",", "")
    if not raw:
        if required:
            raise FormInvalid(field=translated(label))
        return None
    if not re.fullmatch(r"-?[0-9]{1,15}", raw):
        raise FormInvalid(field=translated(label))
    value = int(raw)
    if minimum is not None and value < minimum:
        raise FormInvalid(field=translated(label))
    return value


def day(name: str, *, label: str, required: bool = False, where: str = "form") -> date | None:
    """Return a YYYY-MM-DD date field; None when absent and optional.

    :raises FormInvalid:
    """
    raw = (_source(where).get(name) or "").strip()
    if not raw:
        if required:
            raise FormInvalid(field=translated(label))
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise FormInvalid(field=translated(label)) from exc


def ids(name: str, *, label: str, where: str = "form") -> list[int]:
    """Return the ids of a repeated field (checkboxes) or of a list typed as "3, 5 7".

    :raises FormInvalid: an entry is not a positive whole number.
    """
    values: list[int] = []
    for raw in _source(where).getlist(name):
        for part in re.split(r"[\s,]+", raw.strip()):
            if not part:
                continue
            if not re.fullmatch(r"[0-9]{1,18}", part) or int(part) <= 0:
                raise FormInvalid(field=translated(label))
            values.append(int(part))
    return list(dict.fromkeys(values))


def choice(name: str, options, *, label: str, required: bool = True, where: str = "form") -> str | None:
    """Return a field whose value must be one of the options.

    :raises FormInvalid:
    """
    value = (_source(where).get(name) or "").strip()
    if not value and not required:
        return None
    if value not in {str(option) for option in options}:
        raise FormInvalid(field=translated(label))
    return value


def new_form_key() -> str:
    """Return a random key for a form that moves points; the form sends it back as `form_key`."""
    return secrets.token_urlsafe(16)


def form_key() -> str | None:
    """Return the key a points-moving form was rendered with, so that sending it twice posts once.

    :raises FormInvalid: not a key this console hands out.
    """
    key = (request.form.get(FORM_KEY_FIELD) or "").strip()
    if not key:
        return None
    if not _FORM_KEY.fullmatch(key):
        raise FormInvalid(field=_("form"))
    return key

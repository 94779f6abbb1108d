"""marshmallow's field errors in the caller's language, from the one catalogue.

marshmallow formats its English messages when it validates ("Length must be between 1 and 200.");
each is matched here against the template it came from and rendered from the catalogue with the same
values ("길이는 1자에서 200자 사이여야 합니다."). Our own schema messages are catalogue msgids already
(`N_` in the schemas). A message nobody declared is shown as the generic "check this field" sentence in
Korean, never as English.
"""

from __future__ import annotations

import re
from functools import cache

from mileage import i18n
from mileage.i18n import N_

# marshmallow's template (as it formats it) → our msgid with the same parameters.
MARSHMALLOW_MESSAGES: dict[str, str] = {
    "Missing data for required field.": N_("This field is required."),
    "Field may not be null.": N_("This field cannot be empty."),
    "Invalid value.": N_("This value is not valid."),
    "Invalid type.": N_("This value has the wrong type."),
    "Invalid input type.": N_("This value has the wrong type."),
    "Invalid input.": N_("This value is not valid."),
    "Unknown field.": N_("This field is not expected here. Leave it out."),
    "Not a valid string.": N_("Enter text."),
    "Not a valid utf-8 string.": N_("Enter text in UTF-8."),
    "Not a valid integer.": N_("Enter a whole number."),
    "Not a valid number.": N_("Enter a number."),
    "Number too large.": N_("This number is too large."),
    "Special numeric values (nan or infinity) are not permitted.": N_("Enter a number."),
    "Not a valid boolean.": N_("Enter true or false."),
    "Not a valid date.": N_("Enter a date as YYYY-MM-DD."),
    "Not a valid datetime.": N_("Enter a date and time (ISO 8601)."),
    "Not a valid time.": N_("Enter a time as HH:MM."),
    "Not a valid period of time.": N_("Enter a period of time."),
    "Not a valid list.": N_("Enter a list."),
    "Not a valid tuple.": N_("Enter a list."),
    "Not a valid mapping type.": N_("Enter an object."),
    "Not a valid email address.": N_("Enter a valid email address."),
    "Not a valid URL.": N_("Enter a valid web address."),
    "Not a valid UUID.": N_("Enter a valid identifier."),
    "Not a valid IP address.": N_("Enter a valid IP address."),
    "Not a valid IPv4 address.": N_("Enter a valid IP address."),
    "Not a valid IPv6 address.": N_("Enter a valid IP address."),
    "Not a valid IP interface.": N_("Enter a valid IP address."),
    "Not a valid IPv4 interface.": N_("Enter a valid IP address."),
    "Not a valid IPv6 interface.": N_("Enter a valid IP address."),
    "Not a valid {obj_type}.": N_("This value is not valid."),
    "Not a valid {awareness} {obj_type}.": N_("Enter a date and time with a time zone."),
    '"{input}" cannot be formatted as a date.': N_("Enter a date as YYYY-MM-DD."),
    '"{input}" cannot be formatted as a {obj_type}.': N_("This value is not valid."),
    "String does not match expected pattern.": N_("This value is not in the expected form."),
    "Length must be between {min} and {max}.": N_("Enter %(min)s to %(max)s characters."),
    "Length must be {equal}.": N_("Enter exactly %(equal)s characters."),
    "Longer than maximum length {max}.": N_("Enter at most %(max)s characters."),
    "Shorter than minimum length {min}.": N_("Enter at least %(min)s characters."),
    "Must be one of: {choices}.": N_("Choose one of: %(choices)s."),
    "One or more of the choices you made was not in: {choices}.": N_("Choose only from: %(choices)s."),
    "One or more of the choices you made was in: {values}.": N_("Do not choose: %(values)s."),
    "Must be equal to {other}.": N_("This value must be %(other)s."),
    "Must be greater than or equal to {min}.": N_("Enter %(min)s or more."),
    "Must be greater than {min}.": N_("Enter more than %(min)s."),
    "Must be less than or equal to {max}.": N_("Enter %(max)s or less."),
    "Must be less than {max}.": N_("Enter less than %(max)s."),
    "Must be greater than or equal to {min} and less than or equal to {max}.": N_("Enter %(min)s to %(max)s."),
    "Must be greater than {min} and less than or equal to {max}.": N_("Enter more than %(min)s, up to %(max)s."),
    "Must be greater than or equal to {min} and less than {max}.": N_("Enter %(min)s or more, below %(max)s."),
    "Must be greater than {min} and less than {max}.": N_("Enter more than %(min)s and less than %(max)s."),
}

# What to say when a message matches nothing we know (a library's new message): never its English.
FALLBACK = N_("Check this field.")


@cache
def _patterns() -> list[tuple[re.Pattern, str]]:
    patterns = []
    for template, message in MARSHMALLOW_MESSAGES.items():
        parts = re.split(r"\{(\w+)\}", template)
        regex = "".join(re.escape(part) if index % 2 == 0 else f"(?P<{part}>.+?)" for index, part in enumerate(parts))
        patterns.append((re.compile(f"^{regex}$", re.S), message, len("".join(parts[::2]))))
    # The template with the most fixed text first: "Must be greater than 1 and less than 200." is the
    # two-bound message, not the one-bound one with "1 and less than 200" as its bound.
    return [(pattern, message) for pattern, message, _ in sorted(patterns, key=lambda item: -item[2])]


def translate_field_message(message: str, language: str | None) -> str:
    """Return one field error in a language: our own msgids directly, marshmallow's by their template."""
    catalogue = i18n.translations(language)
    if message in _declared_messages() or catalogue.gettext(message) != message:
        return i18n.translate(language, message)
    for pattern, msgid in _patterns():
        found = pattern.match(message)
        if found:
            values = {name: _shown(value, language) for name, value in found.groupdict().items()}
            return i18n.translate(language, msgid, **values)
    return i18n.translate(language, FALLBACK)


def _shown(value: str, language: str | None) -> str:
    """Return a value marshmallow wrote into a message, numbers grouped for the locale."""
    if re.fullmatch(r"-?\d+", value):
        return i18n.format_number(int(value), language)
    return value


@cache
def _declared_messages() -> frozenset[str]:
    # English msgids translate to themselves in English; they are still ours, not marshmallow's.
    return frozenset(MARSHMALLOW_MESSAGES.values()) | frozenset(SCHEMA_MESSAGES)


def translate_field_errors(errors, language: str | None):
    """Return webargs/marshmallow errors ({field: [messages]}, nested) with every message in a language."""
    if isinstance(errors, dict):
        return {key: translate_field_errors(value, language) for key, value in errors.items()}
    if isinstance(errors, list | tuple):
        return [translate_field_errors(value, language) for value in errors]
    if isinstance(errors, str):
        return translate_field_message(errors, language)
    return errors


# The schemas' own messages (raised with ValidationError or given as a validator's error=).
SCHEMA_MESSAGES = (
    N_("The end must come after the start."),
    N_("The period must start before it ends."),
    N_("The end time must be after the start time."),
    N_("The start day must not be after the end day."),
    N_("Use YYYY-MM, e.g. 2026-11."),
    N_("A sign-in needs a password."),
    N_("A password needs a username."),
    N_("The end date must not be before the start date."),
    N_("Name at least one field to change."),
    N_("A campaign with a fixed amount needs the points per volunteer."),
    N_("A whole-balance campaign takes no points per volunteer."),
    N_("Group by at least one of month, organisation or category."),
    N_("Give both the start and the end time, or neither."),
    N_("Use HH:MM, from 00:00 to 24:00."),
    N_("Use HH:MM (00:00-24:00) or minutes since midnight (0-1440)."),
    N_("Use digits, spaces, dashes, + and parentheses."),
    N_("Must not be blank."),
)

"""The one catalogue: complete in Korean, consistent placeholders, current with the code, every state named."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from mileage import errors, i18n
from mileage.labels import LABELS
from mileage.models import (
    CampaignItemState,
    CampaignState,
    CardStatus,
    CauseStatus,
    ClaimState,
    ConsentMethod,
    DonationChannel,
    EntryKind,
    HoldStatus,
    MerchantStatus,
    Role,
    VolunteerStatus,
)

ROOT = Path(__file__).resolve().parents[2]
KOREAN_PO = ROOT / "mileage" / "translations" / "ko" / "LC_MESSAGES" / "messages.po"
TEMPLATE = ROOT / "mileage" / "translations" / "messages.pot"


def _catalogue(path: Path):
    with path.open("rb") as handle:
        return read_po(handle, locale="ko" if path.suffix == ".po" else None)


def _ids(catalogue) -> set:
    return {(message.context, message.id if isinstance(message.id, str) else message.id[0])
            for message in catalogue if message.id}


def test_msgfmt_accepts_the_korean_catalogue():
    if shutil.which("msgfmt") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("msgfmt (Debian package gettext) is required in CI")
        pytest.skip("msgfmt (gettext) is not installed")
    result = subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(KOREAN_PO)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_every_message_has_a_korean_translation_that_is_not_fuzzy():
    korean = _catalogue(KOREAN_PO)
    assert not korean.fuzzy
    untranslated = [message.id for message in korean if message.id and not all(
        part.strip() for part in (message.string if isinstance(message.string, tuple) else (message.string,)))]
    fuzzy = [message.id for message in korean if message.id and message.fuzzy]
    assert untranslated == [] and fuzzy == []
    assert _ids(_catalogue(TEMPLATE)) - _ids(korean) == set()


def test_placeholders_are_the_same_in_korean_and_english():
    for message in _catalogue(KOREAN_PO):
        if not message.id:
            continue
        english = message.id if isinstance(message.id, tuple) else (message.id,)
        korean = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = i18n.placeholders(english[-1])
        assert all(i18n.placeholders(text) == expected for text in korean), message.id
        # Every message is %-formatted when shown: a stray % would break it.
        if "%(" in english[-1] or "%%" in english[-1]:
            assert "python-format" in message.flags, message.id
        for text in (*english, *korean):
            text % {name: "x" for name in i18n.placeholders(text)}


def test_babel_checkers_find_no_problem():
    problems = [(message.id, [str(error) for error in found]) for message, found in _catalogue(KOREAN_PO).check()]
    assert problems == []


def test_the_compiled_catalogue_matches_its_source():
    with KOREAN_PO.with_suffix(".mo").open("rb") as handle:
        compiled = read_mo(handle)
    source = _catalogue(KOREAN_PO)
    def entries(catalogue):
        def flat(value):
            return str(tuple(value)) if isinstance(value, list | tuple) else str(value)

        def text(context):
            # Babel before 2.15 reads a compiled catalogue's contexts as bytes.
            return context.decode() if isinstance(context, bytes) else context

        return {(text(m.context), flat(m.id), flat(m.string))
                for m in catalogue if m.id}

    assert entries(compiled) == entries(source)


def test_the_template_is_current_with_the_code(tmp_path):
    pybabel = Path(sys.executable).with_name("pybabel")
    if not pybabel.exists():
        pytest.skip("pybabel is not installed next to this Python")
    result = subprocess.run(
        ["sh", "tools/i18n.sh", "extract"], cwd=ROOT, capture_output=True, text=True,
        env={"PATH": "/usr/bin:/bin", "PYBABEL": str(pybabel), "HOME": str(tmp_path),
             "POT": str(tmp_path / "messages.pot")},
    )
    assert result.returncode == 0, result.stderr
    fresh = _ids(_catalogue(tmp_path / "messages.pot"))
    # A message in the code but not in the committed template (or the other way round): run tools/i18n.sh all.
    assert sorted(fresh ^ _ids(_catalogue(TEMPLATE)), key=str) == []


@pytest.mark.parametrize("group, values", [
    ("claim_state", ClaimState), ("card_status", CardStatus), ("card_condition", CardStatus),
    ("volunteer_status", VolunteerStatus), ("merchant_status", MerchantStatus), ("cause_status", CauseStatus),
    ("campaign_state", CampaignState), ("item_state", CampaignItemState), ("consent", ConsentMethod),
    ("channel", DonationChannel), ("role", Role), ("hold_status", HoldStatus),
    ("entry_kind", [kind for kind in EntryKind if kind != EntryKind.REFUSAL]),
])
def test_every_state_has_a_name(group, values):
    assert [str(value) for value in values if str(value) not in LABELS[group]] == []


def test_every_labelled_parameter_names_a_group():
    for cls in errors.all_error_classes():
        assert set(cls.labelled_params.values()) <= set(LABELS), cls.__name__
        assert set(cls.labelled_params) <= i18n.placeholders(cls.text), cls.__name__


def test_no_error_class_still_declares_ko_or_en():
    # A branch written before the catalogue declares ko/en: run tools/convert_ko_en_messages.py on it.
    left = [cls.__name__ for cls in errors.all_error_classes() if "ko" in cls.__dict__ or "en" in cls.__dict__]
    assert left == []


def test_every_error_declares_its_own_sentence():
    assert [cls.__name__ for cls in errors.all_error_classes() if "text" not in cls.__dict__] == []


def _calls(function_names: set[str]):
    """Yield (path, call) for every call of the named functions in the application's sources."""
    import ast

    for package in ("mileage", "admin", "merchant_api"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call):
                    name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                    if name in function_names:
                        yield path, node


def test_every_audited_action_has_a_name_for_the_audit_log():
    import ast

    actions = set()
    for _, call in _calls({"record_audit"}):
        arguments = call.args[2:3] + [keyword.value for keyword in call.keywords if keyword.arg == "action"]
        for argument in arguments:
            if isinstance(argument, ast.Constant):
                actions.add(argument.value)
            elif isinstance(argument, ast.JoinedStr):
                # f"cause.{'close' if ... else 'reopen'}": both ends are actions.
                actions.update(f"{argument.values[0].value}{end}" for end in _string_ends(argument))
    assert len(actions) > 20
    assert sorted(actions - set(LABELS["action"])) == []


def _string_ends(joined) -> list[str]:
    import ast

    prefix = joined.values[0].value
    return [node.value for node in ast.walk(joined) if isinstance(node, ast.Constant) and node.value != prefix]


def test_every_schema_message_is_in_the_catalogue():
    import ast

    from mileage.http.validation import SCHEMA_MESSAGES

    written = {call.args[0].value for _, call in _calls({"ValidationError"})
               if call.args and isinstance(call.args[0], ast.Constant)}
    written |= {keyword.value.value for _, call in _calls({"Regexp", "Length", "Range", "OneOf"})
                for keyword in call.keywords if keyword.arg == "error" and isinstance(keyword.value, ast.Constant)}
    assert written and sorted(written - set(SCHEMA_MESSAGES)) == []

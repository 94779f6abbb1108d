"""With Korean selected, nothing a user reads is English, a snake_case identifier or a raw state value.

The error registry, every HTTP failure, every marshmallow message, every state name, the files and the
server-rendered pages (/m, /counter, the console as each role). The pages' scripts are walked in Chromium
by tests/browser/test_korean_leaks.py.
"""

from __future__ import annotations

import csv
import io
import re

import pytest

from mileage import errors, i18n
from mileage.http.errors import CODE_BY_STATUS, HTTP_MESSAGES, describe_failure, http_message
from mileage.http.validation import MARSHMALLOW_MESSAGES, translate_field_message
from mileage.labels import LABELS, label
from tests.api.console_client import ConsoleClient
from tests.support.leaks import english_leaks, hangul_leaks
from tests.support.page_text import flat_messages, read_page


def test_the_checker_finds_what_the_issue_found():
    assert english_leaks("사용할 수 없는 카드입니다. (상태: lost)") == ["lost"]
    assert "rate_bp" in english_leaks("할인 조건이 올바르지 않습니다: rate_bp must be 1-10000")
    assert english_leaks("필수 입력 항목입니다. PIN, QR, CSV") == []
    assert hangul_leaks("Donation to 노원 푸드뱅크", names=("노원 푸드뱅크",)) == []


def _examples(cls: type[errors.DomainError]) -> list[errors.DomainError]:
    """Return the error once per value of each state it may name, its numbers as numbers."""
    names = i18n.placeholders(cls.text)
    labelled = {name: list(LABELS[group]) for name, group in cls.labelled_params.items()}
    variants = max((len(values) for values in labelled.values()), default=1)
    found = []
    for index in range(variants):
        params = {name: 12_000 for name in names}
        params.update({name: values[index % len(values)] for name, values in labelled.items()})
        found.append(cls(**params))
    return found


@pytest.mark.parametrize("cls", errors.all_error_classes(), ids=lambda cls: cls.code)
def test_every_error_in_the_registry_is_korean_by_default_and_english_on_request(app, cls):
    for error in _examples(cls):
        with app.test_request_context():
            korean = describe_failure(error).message
        with app.test_request_context(headers={"Accept-Language": "en-US,en;q=0.8"}):
            english = describe_failure(error).message
        assert english_leaks(korean) == [], korean
        assert hangul_leaks(english) == [], english
        assert korean != english


@pytest.mark.parametrize("status", sorted(CODE_BY_STATUS))
def test_every_http_failure_is_korean(app, status):
    with app.test_request_context():
        assert english_leaks(http_message(status)) == []
    assert set(CODE_BY_STATUS) <= set(HTTP_MESSAGES)


@pytest.mark.parametrize("template", list(MARSHMALLOW_MESSAGES))
def test_every_marshmallow_message_is_korean(template):
    formatted = template.format(min=1, max=200, equal=4, choices="day, month", values="1", other="1", input="1",
                                obj_type="1", awareness="1")
    korean = translate_field_message(formatted, "ko")
    assert english_leaks(korean.replace("day, month", "")) == [], (template, korean)


def test_an_unknown_library_message_is_still_korean():
    assert translate_field_message("Something new went wrong.", "ko") == "이 항목을 확인하세요."


def test_every_state_and_kind_has_a_korean_name():
    for group, values in LABELS.items():
        for value in values:
            assert english_leaks(label(group, value, "ko")) == [], (group, value)
            assert hangul_leaks(label(group, value, "en")) == [], (group, value)


@pytest.mark.parametrize("path", ["/m", "/counter"])
def test_the_pages_and_their_scripts_messages_are_korean(client, path):
    pieces, messages = read_page(client.get(path).get_data(as_text=True))
    # The language switch names English in English, on purpose.
    assert english_leaks(" ".join(pieces).replace("English", "")) == []
    # {name} is a placeholder the script fills in.
    texts = [re.sub(r"\{\w+\}", "", text).replace("English", "") for text in flat_messages(messages)]
    assert [text for text in texts if english_leaks(text)] == []


def test_a_validation_failure_is_korean_in_every_part(client, login_as):
    _, headers = login_as("staff")
    invalid = {"volunteer_id": "x", "date": "어제", "start": "9시"}
    body = client.post("/admin/claims", json=invalid, headers=headers).json
    texts = [body["message"], *[text for messages in body["errors"].values() for text in messages]]
    assert body["errors"] and [text for text in texts if english_leaks(text)] == []


def test_the_files_are_korean(client, login_as):
    _, volunteer = login_as("volunteer")
    statement = client.get("/me/statement.csv", headers=volunteer).get_data().decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(statement)))
    assert english_leaks(" ".join(header)) == []
    _, auditor = login_as("auditor")
    for report in ("movements", "hours", "volunteers", "top-volunteers", "shop-accounts", "donations"):
        response = client.get(f"/admin/reports/{report}?from=2026-01-01&to=2026-03-31&format=csv", headers=auditor)
        rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
        assert english_leaks(" ".join(rows[0])) == [], report


CONSOLE_PAGES = ("/console/", "/console/claims/", "/console/claims/approved", "/console/volunteers/",
                 "/console/volunteers/new", "/console/organisations/", "/console/merchants/", "/console/donations/",
                 "/console/donations/list", "/console/donations/disbursements", "/console/donations/campaigns",
                 "/console/reports/", "/console/reports/?report=settlement", "/console/reports/?report=hours",
                 "/console/audit/", "/console/no-such-page")


@pytest.mark.parametrize("role", ["staff", "admin", "auditor"])
def test_every_console_page_is_korean_for_each_role(client, make, role):
    console = ConsoleClient(client)
    user = make.user(role=role, username=f"kim.{role}", display_name="김담당")
    card = make.card()
    console.login(user)
    names = (f"kim.{role}", "김담당", card.volunteer.name)
    for path in (*CONSOLE_PAGES, f"/console/volunteers/{card.volunteer_id}", "/console/login"):
        pieces, _ = read_page(console.get(path, follow_redirects=True).get_data(as_text=True))
        text = " ".join(pieces)
        for name in names:
            text = text.replace(name, " ")
        assert "봉사 마일리지" in text, path
        assert english_leaks(text.replace("English", "")) == [], path

"""A third language is one catalogue: with a test-only pseudo-locale added, every user-facing path speaks it.

Every message of the pseudo-locale is ⟦its English⟧, so any words left outside ⟦⟧ on a page, in an error,
a file or a memo did not come from the catalogue (only data the test put there may remain).
"""

from __future__ import annotations

import csv
import io
import re

import pytest

from mileage import errors, i18n
from mileage.http.errors import describe_failure
from mileage.labels import LABELS, label
from mileage.ledger.memos import MEMO_TEMPLATES, render_memo
from tests.api.console_client import ConsoleClient
from tests.support.page_text import flat_messages, read_page
from tests.support.pseudo_locale import PSEUDO, build_pseudo_catalogue, outside_catalogue

# Language names are each language's own name (proper names), shown on purpose in the switch.
LANGUAGE_NAMES = ("한국어", "English", "Esperanto")
LETTERS = re.compile(r"[A-Za-z가-힣]{2,}")


@pytest.fixture(scope="module")
def pseudo_locale(tmp_path_factory):
    directory = build_pseudo_catalogue(tmp_path_factory.mktemp("pseudo-translations"))
    i18n.add_translation_directory(directory)
    yield PSEUDO
    i18n.remove_translation_directory(directory)


def words_outside(texts, names=()) -> list[str]:
    """Return the words of texts that no catalogue message produced, ignoring the given data."""
    left = []
    for text in texts:
        rest = outside_catalogue(text)
        for name in (*names, *LANGUAGE_NAMES):
            rest = rest.replace(name, " ")
        left += LETTERS.findall(rest)
    return left


def _example(cls: type[errors.DomainError]) -> errors.DomainError:
    params = {}
    for name in i18n.placeholders(cls.text):
        group = cls.labelled_params.get(name)
        params[name] = next(iter(LABELS[group])) if group else 7
    return cls(**params)


def test_the_pseudo_locale_is_a_language_we_have(pseudo_locale):
    assert pseudo_locale in i18n.available_languages()
    assert i18n.translate(pseudo_locale, "Not found.") == "⟦Not found.⟧"


def test_every_error_in_the_registry_speaks_it(app, pseudo_locale):
    with app.test_request_context(headers={"Accept-Language": pseudo_locale}):
        messages = {cls.code: describe_failure(_example(cls)).message for cls in errors.all_error_classes()}
    assert {code: message for code, message in messages.items() if words_outside([message])} == {}


def test_routing_and_validation_errors_speak_it(client, login_as, pseudo_locale):
    missing = client.get("/no-such-page", headers={"Accept-Language": pseudo_locale}).json
    assert words_outside([missing["message"]]) == [] and missing["message"].startswith("⟦")
    _, headers = login_as("staff")
    invalid = client.post("/admin/volunteers", json={"name": 5}, headers={**headers, "Accept-Language": PSEUDO}).json
    texts = [invalid["message"], *[text for field in invalid["errors"].values() for text in field]]
    assert invalid["errors"] and words_outside(texts) == []


@pytest.mark.parametrize("path", ["/m", "/counter"])
def test_the_pages_and_their_scripts_speak_it_and_remember_it(client, pseudo_locale, path):
    chosen = client.get(f"{path}?lang={pseudo_locale}")
    pieces, messages = read_page(chosen.get_data(as_text=True))
    assert f'lang="{pseudo_locale}"' in chosen.get_data(as_text=True)
    assert words_outside(pieces) == [] and words_outside(flat_messages(messages)) == []
    # The choice is kept in a cookie: the next page comes in the same language without ?lang=.
    again = client.get(path)
    assert f'lang="{pseudo_locale}"' in again.get_data(as_text=True)


def test_the_console_speaks_it(client, make, pseudo_locale):
    console = ConsoleClient(client)
    staff = make.user(role="staff", username="choi.staff", display_name="최담당")
    volunteer = make.card().volunteer
    console.login(staff)
    console.post("/console/language", {"lang": pseudo_locale})
    names = ("choi.staff", "최담당", volunteer.name, volunteer.phone)
    for path in ("/console/", "/console/claims/", f"/console/volunteers/{volunteer.id}", "/console/volunteers/",
                 "/console/volunteers/new", "/console/organisations/", "/console/merchants/", "/console/donations/",
                 "/console/donations/list", "/console/donations/disbursements", "/console/donations/campaigns",
                 "/console/reports/", "/console/reports/?report=settlement", "/console/audit/"):
        response = console.get(path, follow_redirects=True)
        assert response.status_code == 200, path
        pieces, _ = read_page(response.get_data(as_text=True))
        assert words_outside(pieces, names) == [], path


def test_files_memos_and_state_names_speak_it(client, login_as, pseudo_locale):
    _, headers = login_as("volunteer")
    statement = client.get("/me/statement.csv", headers={**headers, "Accept-Language": pseudo_locale})
    header = next(csv.reader(io.StringIO(statement.get_data().decode("utf-8-sig"))))
    assert words_outside(header) == [] and len(header) == 8
    _, auditor = login_as("auditor")
    for report in ("movements", "hours", "shop-accounts", "donations"):
        response = client.get(f"/admin/reports/{report}?from=2026-01-01&to=2026-03-31&format=csv",
                              headers={**auditor, "Accept-Language": pseudo_locale})
        assert response.status_code == 200, (report, response.get_data(as_text=True)[:200])
        rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
        assert words_outside([*rows[0], *(row[0] for row in rows[1:])]) == [], report
    for kind in MEMO_TEMPLATES:
        params = {name: "7" for name in i18n.placeholders(MEMO_TEMPLATES[kind])}
        assert words_outside([render_memo(kind, params, pseudo_locale)]) == [], kind
    names = [label(group, value, pseudo_locale) for group, values in LABELS.items() for value in values]
    assert words_outside(names) == []

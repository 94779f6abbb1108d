"""One locale selector for everything: ?lang=, then the cookie the pages keep, then the console session,
then Accept-Language, then Korean."""

from __future__ import annotations

import pytest

from mileage.http.locale import CONSOLE_SESSION_KEY, LANGUAGE_COOKIE, select_language
from tests.api.console_client import ConsoleClient


@pytest.mark.parametrize("query, cookie, session_choice, accept, expected", [
    ("", None, None, None, "ko"),
    ("", None, None, "en-US,en;q=0.9", "en"),
    ("", None, None, "fr-FR,fr;q=0.9", "ko"),
    ("", None, "en", "ko-KR", "en"),
    ("", "ko", "en", "en", "ko"),
    ("", "en", None, "ko", "en"),
    ("?lang=ko", "en", "en", "en", "ko"),
    ("?lang=en", None, None, "ko", "en"),
    ("?lang=xx", None, None, None, "ko"),
    ("?lang=en-US", None, None, None, "ko"),
])
def test_the_order_of_the_choices(app, query, cookie, session_choice, accept, expected):
    headers = {"Accept-Language": accept} if accept else {}
    if cookie:
        headers["Cookie"] = f"{LANGUAGE_COOKIE}={cookie}"
    with app.test_request_context("/" + query, headers=headers):
        if session_choice:
            from flask import session

            session[CONSOLE_SESSION_KEY] = session_choice
        assert select_language() == expected


def test_the_api_follows_the_same_choice(client):
    assert client.get("/nowhere").json["message"] == "요청한 주소를 찾을 수 없습니다."
    english = "The requested URL was not found."
    assert client.get("/nowhere", headers={"Accept-Language": "en"}).json["message"] == english
    assert client.get("/nowhere?lang=en").json["message"] == english


def test_a_page_remembers_an_explicit_choice_and_the_api_then_follows_it(client):
    chosen = client.get("/m?lang=en")
    assert '<html lang="en">' in chosen.get_data(as_text=True)
    assert f"{LANGUAGE_COOKIE}=en" in chosen.headers["Set-Cookie"]
    assert '<html lang="en">' in client.get("/m", headers={"Accept-Language": "ko"}).get_data(as_text=True)
    assert client.get("/nowhere").json["message"] == "The requested URL was not found."
    back = client.get("/counter?lang=ko")
    assert '<html lang="ko">' in back.get_data(as_text=True)
    assert '<html lang="ko">' in client.get("/m").get_data(as_text=True)


def test_the_console_switch_is_kept_in_the_session_and_the_cookie(client, make):
    console = ConsoleClient(client)
    console.login(make.user(role="staff", username="han.staff"))
    assert "대시보드" in console.get("/console/").get_data(as_text=True)
    switched = console.post("/console/language", {"lang": "en"})
    assert switched.status_code in (302, 303)
    assert console.session_value(CONSOLE_SESSION_KEY) == "en"
    page = console.get("/console/").get_data(as_text=True)
    assert '<html lang="en">' in page and "Dashboard" in page
    # And the pages in the same browser now come in English too.
    assert '<html lang="en">' in client.get("/m").get_data(as_text=True)

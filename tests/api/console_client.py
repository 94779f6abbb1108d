"""A Flask test client that signs in to the staff console and sends its forms with the CSRF secret."""

from __future__ import annotations

import re

PASSWORD = "correct-horse-battery"
CSRF_SESSION_KEY = "console_csrf"


class ConsoleClient:
    """Drive /console like a browser: a session cookie, the CSRF secret in every form."""

    def __init__(self, client):
        self.client = client

    def csrf(self) -> str:
        """Return this browser session's CSRF secret (the login page hands it out)."""
        with self.client.session_transaction() as session:
            token = session.get(CSRF_SESSION_KEY)
        if token is None:
            self.client.get("/console/login")
            with self.client.session_transaction() as session:
                token = session[CSRF_SESSION_KEY]
        return token

    def login(self, user, password: str = PASSWORD):
        return self.client.post(
            "/console/login", data={"username": user.username, "password": password, "csrf_token": self.csrf()}
        )

    def get(self, path: str, **kwargs):
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict | None = None, *, csrf: bool = True, **kwargs):
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf_token", self.csrf())
        return self.client.post(path, data=form, **kwargs)

    def set_session(self, **values) -> None:
        with self.client.session_transaction() as session:
            session.update(values)

    def session_value(self, key: str):
        with self.client.session_transaction() as session:
            return session.get(key)


def text_of(response) -> str:
    """Return a page's visible text, roughly: tags dropped, whitespace collapsed."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def redirect_of(response) -> tuple[int, str | None]:
    """Return a response's status and redirect target, to assert both in one comparison."""
    return response.status_code, response.headers.get("Location")

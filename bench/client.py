"""A small keep-alive JSON client over http.client: one connection per load thread, no extra dependency."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Reply:
    """A response's status and its decoded JSON body (None when the body is not JSON)."""

    status: int
    body: object

    @property
    def code(self) -> str | None:
        """Return the error envelope's code, if the body is one."""
        return self.body.get("code") if isinstance(self.body, dict) else None


class JsonClient:
    """Send JSON requests to one server over a single persistent connection."""

    def __init__(self, base_url: str, *, timeout: float = 30):
        parts = urlsplit(base_url)
        self.host = parts.hostname
        self.port = parts.port
        self.timeout = timeout
        self.connection: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: object = None, headers: dict | None = None) -> Reply:
        """Send one request and return its reply; reconnect once if the server closed the connection."""
        payload = None if body is None else json.dumps(body).encode()
        sent_headers = {"Content-Type": "application/json", "Accept": "application/json", **(headers or {})}
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.connection.request(method, path, body=payload, headers=sent_headers)
                response = self.connection.getresponse()
                raw = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # An idle keep-alive connection the server has closed: nothing was processed, resend.
                self.close()
                if attempt == 2:
                    raise
                continue
            if response.getheader("Connection", "").lower() == "close":
                self.close()
            try:
                decoded = json.loads(raw) if raw else None
            except ValueError:
                decoded = None
            return Reply(response.status, decoded)
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Close the connection; the next request opens a new one."""
        if self.connection is not None:
            self.connection.close()
            self.connection = None

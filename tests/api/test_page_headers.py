"""The pages people open in a browser, and the API docs, may not be sniffed into something else or framed."""

import pytest


@pytest.mark.parametrize("path", ["/m", "/counter", "/docs", "/console/login", "/healthz", "/openapi.json"])
def test_every_answer_is_never_sniffed(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["/m", "/counter", "/docs"])
def test_pages_cannot_be_framed_and_load_nothing_from_elsewhere(client, path):
    response = client.get(path)
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "default-src" in policy
    assert response.headers["X-Frame-Options"] == "DENY"


def test_the_docs_page_runs_only_its_own_scripts(client):
    policy = client.get("/docs").headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]

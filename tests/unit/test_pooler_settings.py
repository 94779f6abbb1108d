"""Which pooler the engine is told about, and what that changes in the driver's settings."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from mileage.db import UnknownPooler, make_engine, pooler_of

URL = "postgresql+psycopg://app:secret@db.example:6432/mileage"


def test_the_pooler_option_is_taken_out_of_the_url_before_the_driver_sees_it():
    url, pooler = pooler_of(URL + "?pooler=pgbouncer&connect_timeout=5")
    assert pooler == "pgbouncer"
    assert "pooler" not in url and "connect_timeout=5" in url and "secret" in url


def test_the_configured_pooler_wins_and_no_option_means_no_pooler():
    assert pooler_of(URL, "PgBouncer") == (URL, "pgbouncer")
    assert pooler_of(URL) == (URL, None)


def test_an_unknown_pooler_is_refused_at_start_up():
    with pytest.raises(UnknownPooler):
        pooler_of(URL + "?pooler=odyssey")


class _Connecting(Exception):
    """Raised instead of connecting: the test only wants the arguments."""


def _connect_arguments(engine) -> dict:
    """The keyword arguments the pool would hand psycopg.connect, caught before any connection is made."""
    arguments = {}

    @event.listens_for(engine, "do_connect")
    def _capture(_dialect, _record, _args, kwargs):
        arguments.update(kwargs)
        raise _Connecting()

    try:
        with pytest.raises(_Connecting):
            engine.pool._creator()
    finally:
        engine.dispose()
    return arguments


def test_behind_a_pooler_psycopg_prepares_no_statements():
    assert _connect_arguments(make_engine(URL, pooler="pgbouncer"))["prepare_threshold"] is None
    assert _connect_arguments(make_engine(URL + "?pooler=pgbouncer"))["prepare_threshold"] is None
    assert "prepare_threshold" not in _connect_arguments(make_engine(URL))

"""Shared fixtures: a migrated database and the app built once per run, a rolled-back transaction per test.

Set MILEAGE_TEST_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test) to run the
whole suite on PostgreSQL; without it the suite runs on SQLite.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from mileage import hashing
from mileage.app import create_app
from mileage.db import make_engine, make_session_factory
from mileage.http.limits import limiter
from mileage.migrations_runner import upgrade_database
from tests.support.databases import configured_server_url, scratch_database
from tests.support.factories import Factories


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Start the long reliability tests first, so that parallel workers do not end waiting on one of them."""
    items.sort(key=lambda item: item.get_closest_marker("reliability") is None)


@pytest.fixture(autouse=True)
def cheap_secret_hashing(monkeypatch):
    """Hash PINs and passwords with the cheapest argon2 cost: the cost is a production setting, not a rule."""
    monkeypatch.setattr(hashing, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A fresh database migrated to head with Alembic, shared by the whole run."""
    with scratch_database(configured_server_url()) as url:
        upgrade_database(url)
        yield url


@pytest.fixture(scope="session")
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine):
    """One connection whose outer transaction is rolled back after the test."""
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


@pytest.fixture
def session_factory(connection):
    """Sessions that share the test's connection; their commits become savepoint releases."""
    factory = make_session_factory(connection)
    factory.configure(join_transaction_mode="create_savepoint")
    return factory


@pytest.fixture
def session(session_factory) -> Iterator[Session]:
    session = session_factory()
    yield session
    session.close()


@pytest.fixture(scope="session")
def shared_app(engine):
    """Build the app once per run: building it and its OpenAPI document used to be most of a test's time."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key",
            "TOKEN_SIGNING_KEY": "test-token-signing-key-of-32-bytes!",
            "DATABASE_URL": str(engine.url),
            "ENGINE": engine,
        }
    )
    # As gunicorn's workers do: what lives for the whole run is kept out of every full collection.
    gc.collect()
    gc.freeze()
    return app


@pytest.fixture
def app(shared_app, session_factory):
    """Serve this test from the shared app on its rolled-back connection; restore config and extensions after."""
    config, extensions = dict(shared_app.config), dict(shared_app.extensions)
    shared_app.extensions["mileage.session_factory"] = session_factory
    # The limiter is one module-level object that the last app built took over (a live server, the CLI,
    # a race's app with limits off); binding it again also gives this test empty counters.
    limiter.init_app(shared_app)
    yield shared_app
    shared_app.config.clear()
    shared_app.config.update(config)
    shared_app.extensions.clear()
    shared_app.extensions.update(extensions)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make(session) -> Factories:
    """Factories for volunteers, cards, organisations and claims: `make.card(balance=5000)`."""
    return Factories(session)


@pytest.fixture
def login(app):
    """Return Authorization headers carrying an access token for a user or principal."""
    from mileage.people.tokens import Principal, issue_access_token

    def headers_for(who, **extra_headers) -> dict:
        principal = who if isinstance(who, Principal) else Principal.of_user(who)
        token = issue_access_token(app.extensions["mileage.token_signer"], principal)
        return {"Authorization": f"Bearer {token}", **extra_headers}

    return headers_for


@pytest.fixture
def login_as(make, login):
    """Create a user of a role (a volunteer gets a card, a coordinator an organisation) and sign in.

    Returns (user, headers).
    """

    def sign_in(role: str, **overrides):
        if role == "volunteer" and "volunteer_id" not in overrides:
            overrides["volunteer_id"] = make.card().volunteer_id
        if role == "coordinator" and "organisation_id" not in overrides:
            overrides["organisation_id"] = make.organisation().id
        user = make.user(role=role, **overrides)
        return user, login(user)

    return sign_in

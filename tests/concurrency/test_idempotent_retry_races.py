"""A till's retry racing its own first attempt, with points landing on the card in between.

Real commits on separate connections: the first attempt is made slow (its terminal secret takes a
second to check, or it stalls after it started), the retry with the same key arrives during it, and
a credit lands in between. Whatever the timing, the key ends with one outcome and every answer the
till saw is that outcome.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from mileage import hashing, ledger
from mileage.app import create_app
from mileage.cards import qr
from mileage.models import JournalEntry
from mileage.people.tokens import Principal, issue_access_token
from mileage.shops import redemptions, terminals
from tests.support.factories import Factories

PIN = "2468"
pytestmark = pytest.mark.postgres_only


@dataclass
class Till:
    key_id: str
    secret: str
    bearer: dict


@pytest.fixture
def live_app(concurrent_engine):
    """The app on the scratch database, committing for real; limits off (one till retries a lot)."""
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "race-secret-key",
            "TOKEN_SIGNING_KEY": "race-token-signing-key-of-32-bytes!!",
            "DATABASE_URL": str(concurrent_engine.url),
            "ENGINE": concurrent_engine,
            "RATELIMIT_ENABLED": False,
        }
    )


@pytest.fixture
def till(commit, live_app) -> Till:
    def create(session):
        credentials = Factories(session).terminal()
        principal = terminals.terminal_principal(credentials.terminal)
        token = issue_access_token(live_app.extensions["mileage.token_signer"], principal)
        return Till(credentials.terminal.key_id, credentials.secret, {"Authorization": f"Bearer {token}"})

    return commit(create)


def new_card(commit, balance: int):
    return commit(lambda session: Factories(session).card(balance=balance, pin=PIN))


def credit(commit, card, points: int) -> None:
    commit(lambda session: Factories(session).credit(card, points))


def entries_for(commit, key: str) -> list[str]:
    return commit(
        lambda session: list(
            session.scalars(select(JournalEntry.kind).where(JournalEntry.idempotency_key.like(f"%:{key}")))
        )
    )


class Answers:
    """Each attempt's answer, sent from its own thread."""

    def __init__(self, app):
        self.app = app
        self.seen: dict[str, tuple[int, dict]] = {}
        self.threads: list[threading.Thread] = []

    def send(self, name: str, headers: dict, key: str, card) -> None:
        def run():
            body = {"scanned": card.number, "purchase_amount": 20_000, "pin": PIN}
            response = self.app.test_client().post(
                "/merchant/redemptions", json=body, headers={**headers, "Idempotency-Key": key}
            )
            self.seen[name] = (response.status_code, response.json)

        thread = threading.Thread(target=run, name=name)
        thread.start()
        self.threads.append(thread)

    def wait(self) -> dict[str, tuple[int, dict]]:
        for thread in self.threads:
            thread.join(60)
        assert not any(thread.is_alive() for thread in self.threads)
        return self.seen


def assert_one_outcome(commit, key: str, answers: dict[str, tuple[int, dict]]) -> None:
    outcomes = set((status, repr(body)) for status, body in answers.values())
    assert len(outcomes) == 1, answers
    status, _ = next(iter(answers.values()))
    entries = entries_for(commit, key)
    assert (entries == ["redemption"]) if status == 201 else ("redemption" not in entries), (answers, entries)
    assert commit(ledger.check_invariants).ok


def test_a_retry_during_a_slow_credential_check_waits_and_gets_the_first_attempts_answer(
    commit, live_app, till, monkeypatch
):
    """The fault the till met: its retry was declined while the first attempt went on to charge the card."""
    card = new_card(commit, balance=0)
    checking = threading.Event()
    real_verify = hashing.verify_secret
    calls = []

    def slow_first_check(stored_hash, secret):
        calls.append(secret)
        if len(calls) == 1:
            checking.set()
            time.sleep(1.0)
        return real_verify(stored_hash, secret)

    monkeypatch.setattr(terminals, "verify_secret", slow_first_check)
    answers = Answers(live_app)

    answers.send("first", {"Authorization": f"Terminal {till.key_id}:{till.secret}"}, "sale-1", card)
    assert checking.wait(10)
    answers.send("retry", till.bearer, "sale-1", card)
    time.sleep(0.3)  # the retry is waiting now; staff approve hours meanwhile
    credit(commit, card, 2_000)

    seen = answers.wait()
    assert seen["first"][0] == 201 and seen["first"][1]["discount"] == 2_000, seen
    assert_one_outcome(commit, "sale-1", seen)
    assert commit(lambda session: ledger.get_balance(session, card.account_id)) == 0


def test_retries_racing_a_stalled_first_attempt_and_credits_end_with_one_outcome(
    commit, live_app, till, monkeypatch
):
    """Random stalls (checking the secret, or reading the card), retry and credit times: one outcome per key."""
    rng = random.Random(9)
    stalls: dict[str, float] = {}

    def stalling(real):
        def stalled(*args):
            delay = stalls.pop(threading.current_thread().name, 0.0)
            if delay:
                time.sleep(delay)
            return real(*args)

        return stalled

    monkeypatch.setattr(terminals, "verify_secret", stalling(hashing.verify_secret))
    monkeypatch.setattr(redemptions, "read_scan", stalling(qr.read_scan))
    by_secret = {"Authorization": f"Terminal {till.key_id}:{till.secret}"}
    for round_number in range(12):
        card = new_card(commit, balance=rng.choice([0, 500, 1_500]))
        key = f"round-{round_number}"
        answers = Answers(live_app)
        stalls["first"] = rng.uniform(0.05, 0.4)
        events = sorted(
            [(rng.uniform(0, 0.3), "retry"), (rng.uniform(0, 0.5), "credit"), (rng.uniform(0.1, 0.6), "second retry")]
        )
        answers.send("first", rng.choice([by_secret, till.bearer]), key, card)
        started = time.monotonic()
        for at, what in events:
            time.sleep(max(0.0, started + at - time.monotonic()))
            if what == "credit":
                credit(commit, card, 3_000)
            else:
                answers.send(what, till.bearer, key, card)
        seen = answers.wait()
        assert_one_outcome(commit, key, seen)


def test_many_copies_of_a_request_the_ledger_refuses_all_get_its_one_refusal(commit, live_app):
    """The refusal is kept in a transaction of its own; copies racing for the key must not deadlock."""

    def create(session):
        make = Factories(session)
        card = make.card(balance=100)
        volunteer = make.user(role="volunteer", volunteer_id=card.volunteer_id)
        token = issue_access_token(live_app.extensions["mileage.token_signer"], Principal.of_user(volunteer))
        return card, make.cause().id, {"Authorization": f"Bearer {token}", "Idempotency-Key": "gift-copies"}

    card, cause_id, headers = commit(create)
    start = threading.Barrier(10)
    seen = {}

    def donate(index: int) -> None:
        client = live_app.test_client()
        start.wait(10)
        response = client.post("/me/donations", json={"cause_id": cause_id, "points": 1_000}, headers=headers)
        seen[index] = (response.status_code, response.json)

    threads = [threading.Thread(target=donate, args=(index,)) for index in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert {status for status, _ in seen.values()} == {409}, seen
    assert len({repr(body) for _, body in seen.values()}) == 1, seen
    assert next(iter(seen.values()))[1]["code"] == "insufficient_balance"
    assert commit(lambda session: ledger.get_balance(session, card.account_id)) == 100

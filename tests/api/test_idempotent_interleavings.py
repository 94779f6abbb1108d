"""Property test: attempts, retries, credits and other spending, interleaved at random, over HTTP.

For every Idempotency-Key, every answer the shop ever got is the same answer, and the ledger holds an
entry for the key exactly when that answer was a success.
"""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from mileage import ledger
from mileage.models import JournalEntry
from mileage.shops import terminals

CARDS = 2
KEYS = 4
PIN = "2468"

steps = st.lists(
    st.one_of(
        st.tuples(st.just("send"), st.integers(0, KEYS - 1)),
        st.tuples(st.just("credit"), st.integers(0, CARDS - 1), st.integers(1, 3_000)),
        st.tuples(st.just("spend_elsewhere"), st.integers(0, CARDS - 1)),
    ),
    min_size=1,
    max_size=14,
)
bodies = st.lists(
    st.tuples(st.integers(0, CARDS - 1), st.integers(1_000, 40_000), st.none() | st.integers(1, 4_000)),
    min_size=KEYS,
    max_size=KEYS,
)
runs = itertools.count()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps, bodies=bodies)
def test_every_key_has_one_answer_and_an_entry_only_if_it_succeeded(client, session, make, login, steps, bodies):
    run = next(runs)
    shop = make.merchant(offer={"rate_bp": 1000, "max_discount": 3000, "min_purchase": 0})
    headers = login(terminals.terminal_principal(make.terminal(shop).terminal))
    cards = [make.card(balance=1_000, pin=PIN) for _ in range(CARDS)]
    answers: dict[str, list] = {}
    fresh = itertools.count()

    def send(key: str, card_index: int, purchase: int, discount: int | None):
        body = {"scanned": cards[card_index].number, "purchase_amount": purchase, "pin": PIN}
        if discount is not None:
            body["discount"] = discount
        response = client.post("/merchant/redemptions", json=body, headers={**headers, "Idempotency-Key": key})
        return response.status_code, response.json

    for step in steps:
        if step[0] == "send":
            key = f"run{run}-key{step[1]}"
            answers.setdefault(key, []).append(send(key, *bodies[step[1]]))
        elif step[0] == "credit":
            make.credit(cards[step[1]], step[2])
        else:
            send(f"run{run}-other{next(fresh)}", step[1], 20_000, None)

    for key, seen in answers.items():
        assert all(answer == seen[0] for answer in seen), (key, seen)
        status, body = seen[0]
        entries = list(
            session.scalars(select(JournalEntry.kind).where(JournalEntry.idempotency_key.like(f"%:{key}")))
        )
        if status == 201:
            assert entries == ["redemption"], (key, body, entries)
        else:
            assert status in (403, 409, 422) and "redemption" not in entries, (key, body, entries)
    assert ledger.check_invariants(session).ok

"""Under gunicorn: a till's retry arrives while its first attempt is still checking the terminal's secret.

The first attempt authenticates with `Terminal <key id>:<secret>`, whose argon2 check takes a good
hundred milliseconds at the production cost; the retry, with the same key and body, comes with the
terminal's bearer token a moment later, and points land on the empty card in between. The till must
see one answer twice, and the card must be charged only if that answer was a sale.
"""

from __future__ import annotations

import threading
import time
import uuid

from argon2 import PasswordHasher
from sqlalchemy import select

from mileage import hashing, ledger, merchants
from mileage.db import make_session_factory, run_in_transaction
from mileage.models import JournalEntry, Merchant
from mileage.qr_tokens import issue_qr_token
from tests.reliability.bank import HttpClient, _json
from tests.support.factories import Factories

ROUNDS = 8


def test_a_retry_during_a_slow_secret_check_gets_the_first_attempts_answer(bank, monkeypatch):
    sessions = make_session_factory(bank.engine)
    # The suite hashes cheaply; this terminal's secret gets the production cost, as a shop's would.
    monkeypatch.setattr(hashing, "_hasher", PasswordHasher())
    merchant = bank.world.merchants[0]
    made = run_in_transaction(
        sessions, lambda session: Factories(session).terminal(session.get(Merchant, merchant.merchant_id))
    )
    workload = bank.workload()
    signer = workload.signer
    bearer = workload.token_for(merchants.terminal_principal(made.terminal))
    by_secret = {"Authorization": f"Terminal {made.terminal.key_id}:{made.secret}"}
    by_token = {"Authorization": f"Bearer {bearer}"}
    outcomes = []
    warm_up = HttpClient(bank.server.base_url)
    for _ in range(8):  # every worker has served a sign-in before the rounds start
        warm_up.send("GET", "/merchant/me", headers=by_secret)
    warm_up.close()
    for _round in range(ROUNDS):
        card = run_in_transaction(sessions, lambda session: Factories(session).card(balance=0))
        key = uuid.uuid4().hex
        body = _json({"scanned": issue_qr_token(signer, card).token, "purchase_amount": 20_000})
        replies = {}

        def send(name: str, headers: dict, body=body, key=key, replies=replies) -> None:
            client = HttpClient(bank.server.base_url)
            try:
                reply = client.send("POST", "/merchant/redemptions", body, {**headers, "Idempotency-Key": key})
                replies[name] = (reply.status, reply.json())
            finally:
                client.close()

        first = threading.Thread(target=send, args=("first", by_secret))
        retry = threading.Thread(target=send, args=("retry", by_token))
        first.start()
        time.sleep(0.03)
        retry.start()
        time.sleep(0.03)
        run_in_transaction(sessions, lambda session, card=card: Factories(session).credit(card, 2_000))
        first.join(30)
        retry.join(30)

        assert replies["first"] == replies["retry"], replies
        status = replies["first"][0]
        with sessions() as session:
            kinds = list(
                session.scalars(select(JournalEntry.kind).where(JournalEntry.idempotency_key.like(f"%:{key}")))
            )
            card_balance = ledger.get_balance(session, card.account_id)
        if status == 201:
            assert (kinds, card_balance) == (["redemption"], 0), replies
        else:
            assert "redemption" not in kinds and card_balance == 2_000, replies
        outcomes.append(status)
    print({"outcomes": outcomes})

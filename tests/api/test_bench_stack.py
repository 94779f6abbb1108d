"""The benchmark's stand-in sale (bench/stack.py): each layer it names really runs, and it moves nothing."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bench.common import reaped_children_cpu_seconds
from bench.stack import LAYERS, parse_layers, stack_view
from mileage import ledger
from mileage.shops import terminals

BODY = {"scanned": "9410-0000-0000-0012", "purchase_amount": 20_000}


@pytest.fixture
def serve_stand_in(app, monkeypatch):
    """Serve the sale as the stand-in of some layers, for this test only."""

    def serve(spelled: str) -> None:
        monkeypatch.setitem(app.view_functions, "merchant.redeem", stack_view(parse_layers(spelled)))

    return serve


@pytest.fixture
def till_headers(make, login):
    merchant = make.merchant(offer={"rate_bp": 1000, "max_discount": 3000, "min_purchase": 5000})
    return login(terminals.terminal_principal(make.terminal(merchant).terminal))


def test_layers_are_named_from_a_fixed_list():
    assert parse_layers("") == frozenset()
    assert parse_layers(" auth , schemas ") == {"auth", "schemas"}
    with pytest.raises(ValueError, match="unknown stack layers"):
        parse_layers("auth,cache")
    with pytest.raises(ValueError, match="needs the auth layer"):
        parse_layers("idempotency")


@pytest.mark.parametrize("spelled", ["", "session", "auth,limits,schemas", ",".join(LAYERS)])
def test_the_stand_in_answers_a_sale_and_moves_nothing(client, session, make, till_headers, serve_stand_in, spelled):
    card = make.card(balance=10_000)
    serve_stand_in(spelled)

    answer = client.post("/merchant/redemptions", json=BODY, headers={**till_headers, "Idempotency-Key": "k-1"})

    assert answer.status_code == 201, answer.get_data(as_text=True)
    assert "discount" in answer.json
    assert client.get("/merchant/redemptions", headers=till_headers).json["items"] == []
    assert ledger.get_balance(session, card.account_id) == 10_000


def test_the_auth_layer_refuses_a_caller_without_a_token(client, serve_stand_in):
    serve_stand_in("auth")

    assert client.post("/merchant/redemptions", json=BODY).status_code == 401


def test_the_schemas_layer_validates_the_body_and_dumps_the_receipt(client, till_headers, serve_stand_in):
    serve_stand_in("auth,schemas")

    refused = client.post("/merchant/redemptions", json={"scanned": "x"}, headers=till_headers)
    receipt = client.post("/merchant/redemptions", json=BODY, headers=till_headers)

    assert refused.status_code == 422
    assert receipt.json["holder_name"] == "김*수"
    assert receipt.json["amount_to_pay"] == BODY["purchase_amount"] - receipt.json["discount"]


def test_the_idempotency_layer_replays_the_first_answer(client, till_headers, serve_stand_in):
    serve_stand_in("auth,idempotency")
    headers = {**till_headers, "Idempotency-Key": "k-2"}

    first = client.post("/merchant/redemptions", json=BODY, headers=headers)
    again = client.post("/merchant/redemptions", json=BODY, headers=headers)

    assert (again.status_code, again.json) == (first.status_code, first.json)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers


def test_the_cpu_of_a_reaped_child_stays_counted():
    """The benchmark counts gunicorn's replaced workers through their master; this is the count it reads."""
    before = reaped_children_cpu_seconds(os.getpid())

    subprocess.run([sys.executable, "-c", "import time\nend = time.process_time() + 0.3\n"
                    "while time.process_time() < end: pass"], check=True)

    assert reaped_children_cpu_seconds(os.getpid()) - before >= 0.25

"""A Python client generated from /openapi.json runs a shop's main flow against a live gunicorn server.

openapi-python-client (the generator a POS vendor would pick) must read the document without a
warning; the generated client then signs a terminal in, quotes, redeems with an idempotency key,
retries it (and gets the same receipt back), refunds part of it and reads the settlement.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from mileage.db import make_engine, make_session_factory
from mileage.migrations_runner import upgrade_database
from tests.support.databases import configured_server_url, scratch_database
from tests.support.factories import Factories
from tests.support.gunicorn import GunicornServer

PACKAGE = "volunteer_mileage_api_client"
# The generator does not know image types; a POS never asks for the volunteer's QR images anyway.
GENERATOR_CONFIG = """\
content_type_overrides:
  image/png: application/octet-stream
  image/svg+xml: application/octet-stream
post_hooks: []
"""


@pytest.fixture(scope="module")
def shop_server(tmp_path_factory):
    """A migrated scratch database with a shop, its terminal and a printed card, served by gunicorn."""
    with scratch_database(configured_server_url()) as url:
        upgrade_database(url)
        engine = make_engine(url)
        session = make_session_factory(engine)()
        make = Factories(session)
        credentials = make.terminal()
        card = make.card(volunteer=make.volunteer(name="김민수"), balance=10_000, pin="2468")
        seeded = {"key_id": credentials.terminal.key_id, "secret": credentials.secret, "card": card.number}
        session.commit()
        session.close()
        server = GunicornServer(url, workers=1, threads=2)
        try:
            server.start()
            yield server, seeded
        finally:
            server.stop()
            engine.dispose()


@pytest.fixture(scope="module")
def generated(shop_server, tmp_path_factory):
    """Generate the client from the live server's document and import it."""
    server, _ = shop_server
    folder = tmp_path_factory.mktemp("client")
    with urllib.request.urlopen(server.base_url + "/openapi.json", timeout=10) as answer:
        (folder / "openapi.json").write_bytes(answer.read())
    (folder / "config.yml").write_text(GENERATOR_CONFIG)
    run = subprocess.run(
        [str(Path(sys.executable).with_name("openapi-python-client")), "generate",
         "--path", "openapi.json", "--config", "config.yml", "--meta", "none", "--output-path", PACKAGE],
        cwd=folder, capture_output=True, text=True, timeout=300,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert "Warning" not in output and "WARNING" not in output and "Unable" not in output, output
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def test_the_generated_client_runs_the_shop_flow(shop_server, generated):
    server, seeded = shop_server
    models = importlib.import_module(f"{PACKAGE}.models")
    issue_token = importlib.import_module(f"{PACKAGE}.api.merchant.merchant_issue_token")
    quote = importlib.import_module(f"{PACKAGE}.api.merchant.merchant_quote")
    redeem = importlib.import_module(f"{PACKAGE}.api.merchant.merchant_redeem")
    refund = importlib.import_module(f"{PACKAGE}.api.merchant.merchant_refund")
    settlement = importlib.import_module(f"{PACKAGE}.api.merchant.merchant_settlement_report")

    with generated.Client(base_url=server.base_url, raise_on_unexpected_status=True) as anonymous:
        token = issue_token.sync(
            client=anonymous, body=models.MerchantTokenRequest(key_id=seeded["key_id"], secret=seeded["secret"])
        )
    assert isinstance(token, models.MerchantToken) and token.token_type == "Bearer"
    with generated.AuthenticatedClient(
        base_url=server.base_url, token=token.access_token, raise_on_unexpected_status=True
    ) as till:
        _sell_retry_refund_and_settle(till, models, seeded, quote, redeem, refund, settlement)


def _sell_retry_refund_and_settle(till, models, seeded, quote, redeem, refund, settlement):

    offered = quote.sync(client=till, body=models.MerchantScan(scanned=seeded["card"], purchase_amount=15_000))
    assert isinstance(offered, models.MerchantQuote)
    assert (offered.discount, offered.amount_to_pay, offered.needs_pin) == (1_500, 13_500, True)

    sale = models.MerchantRedeem(scanned=seeded["card"], purchase_amount=15_000, pin="2468")
    first = redeem.sync_detailed(client=till, body=sale, idempotency_key='"pos-sale-0001"')
    assert first.status_code == 201 and isinstance(first.parsed, models.MerchantReceipt)
    receipt = first.parsed
    assert (receipt.discount, receipt.amount_to_pay, receipt.holder_name) == (1_500, 13_500, "김*수")
    assert first.headers["Idempotency-Key-Retention"] == str(30 * 24 * 3600)
    # The till timed out and sends the same sale again, this time with the key bare: the same receipt.
    retry = redeem.sync_detailed(client=till, body=sale, idempotency_key="pos-sale-0001")
    assert retry.status_code == 201 and retry.headers["Idempotent-Replayed"] == "true"
    assert retry.parsed.id == receipt.id

    returned = refund.sync_detailed(
        client=till, redemption_id=receipt.id, body=models.MerchantRefundRequest(amount=500, reason="부분 환불"),
        idempotency_key="pos-refund-0001",
    )
    assert returned.status_code == 201 and isinstance(returned.parsed, models.MerchantRefund)
    assert (returned.parsed.amount, returned.parsed.remaining) == (500, 1_000)

    report = settlement.sync(client=till, period=models.MerchantSettlementReportPeriod.DAY)
    assert isinstance(report, models.Settlement)
    (line,) = report.items
    assert (line.redemption_count, line.gross_discount, line.refunds, line.net) == (1, 1_500, 500, 1_000)

    # The same key with another body is refused, in the one error shape the client parses.
    other = models.MerchantRedeem(scanned=seeded["card"], purchase_amount=20_000, pin="2468")
    refused = redeem.sync_detailed(client=till, body=other, idempotency_key="pos-sale-0001")
    assert refused.status_code == 409 and isinstance(refused.parsed, models.ErrorEnvelope)
    assert refused.parsed.code == "idempotency_key_reused"

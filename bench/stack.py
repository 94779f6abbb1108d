"""The web stack alone: the app with its sale replaced by one `SELECT 1` behind the layers a sale passes.

    python -m bench.redeem --stack session,auth,limits,schemas,idempotency

`bench.redeem --stack LAYERS` serves `create_app()` below instead of the app: the same gunicorn, the
same load and the same pgbench, but `POST /merchant/redemptions` moves nothing. What remains is
the envelope every sale pays before and after its own work, one layer at a time, so the figures
say how fast a sale could ever be with this stack, whatever the sale itself costs:

- ``session``: a database session sends `SELECT 1` and commits (what one database call costs);
- ``auth``: the bearer token checked and the terminal looked up (`requires("merchant")`);
- ``limits``: Flask-Limiter's two decorators (with the limits off, as in every load test);
- ``schemas``: flask-smorest parses the request and dumps a receipt with its marshmallow schemas;
- ``idempotency``: the HTTP key claimed before the view and its answer stored after (needs auth).

The receipt is made up, so nothing is recorded: `recorded_equals_acknowledged` is not a figure here.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from types import SimpleNamespace

from flask import Flask, jsonify, request
from sqlalchemy import text

from merchant_api import views
from merchant_api.schemas import MerchantReceiptSchema, MerchantRedeemSchema
from mileage.app import create_app as create_mileage_app
from mileage.http.boundary import get_session
from mileage.http.callers import requires
from mileage.http.idempotency import idempotent

LAYERS_VARIABLE = "MILEAGE_BENCH_STACK"
LAYERS = ("session", "auth", "limits", "schemas", "idempotency")


def parse_layers(spelled: str) -> frozenset[str]:
    """Return the layers named in a comma-separated list.

    :raises ValueError: an unknown layer, or idempotency without auth (it must know the caller).
    """
    layers = frozenset(filter(None, (name.strip() for name in spelled.split(","))))
    unknown = sorted(layers - set(LAYERS))
    if unknown:
        raise ValueError(f"unknown stack layers {unknown}; choose from {', '.join(LAYERS)}")
    if "idempotency" in layers and "auth" not in layers:
        raise ValueError("the idempotency layer needs the auth layer: a key is scoped to its caller")
    return layers


def _receipt(purchase_amount: int) -> SimpleNamespace:
    """Return a receipt with every field the real one shows, moved from nowhere."""
    return SimpleNamespace(
        id=1, terminal_id=1, terminal=SimpleNamespace(label="1번 계산대"),
        card=SimpleNamespace(volunteer=SimpleNamespace(masked_name="김*수"), masked_number="9410-****-****-0012"),
        purchase_amount=purchase_amount, offer_version_id=1, created_at=datetime.now(UTC), discount=100,
        amount_to_pay=purchase_amount - 100, refunded_amount=0, refundable=100, hold_id=None,
        settlement_date=datetime.now(UTC).date(),
    )


def stack_view(layers: frozenset[str]):
    """Build the stand-in sale, wrapped in the chosen layers in the order the real view has them."""
    blueprint = views.blueprint

    def sale(body):
        if "session" in layers:
            get_session().execute(text("SELECT 1"))
        if "schemas" in layers:
            return _receipt(body["purchase_amount"])
        return jsonify({"id": 1, "discount": 100}), 201

    def sale_of_the_raw_body():
        return sale(request.get_json())

    if "schemas" in layers:
        view = blueprint.arguments(MerchantRedeemSchema)(blueprint.response(201, MerchantReceiptSchema)(sale))
    else:
        view = sale_of_the_raw_body
    if "limits" in layers:
        view = views.scan_limit(views.pin_failure_limit(view))
    if "auth" in layers:
        view = requires("merchant")(view)
    if "idempotency" in layers:
        view = idempotent()(view)
    return view


def create_app() -> Flask:
    """Return the app with its sale replaced by the stand-in of the layers in MILEAGE_BENCH_STACK."""
    app = create_mileage_app()
    app.view_functions["merchant.redeem"] = stack_view(parse_layers(os.environ.get(LAYERS_VARIABLE, "")))
    return app

"""What the fuzz and hostile-input tests need to know about the API: who may call what, and real ids.

Both drive the WSGI app through Flask's test client inside the test's rolled-back transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mileage.donations import donate
from mileage.shops import holds, redemptions
from mileage.shops.counter import Till
from mileage.shops.terminals import terminal_principal

ROLES = ("volunteer", "merchant", "coordinator", "staff", "admin", "auditor")
PIN = "4321"
_PATH_PARAMETER = re.compile(r"\{[^}]+\}")


def allowed_roles(app, method: str, openapi_path: str) -> frozenset[str] | None:
    """Return the roles a route lets through (its `@requires`), or None for a public route."""
    concrete = _PATH_PARAMETER.sub("1", openapi_path)
    endpoint, _args = app.url_map.bind("localhost").match(concrete, method)
    return getattr(app.view_functions[endpoint], "allowed_roles", None)


@dataclass
class HostileWorld:
    """Signed-in callers of every role, and real objects whose ids fill path parameters."""

    headers: dict[str, dict]
    ids: dict[str, int]
    card_number: str
    pin: str


def hostile_world(app, session, make, login) -> HostileWorld:
    """Create a volunteer with points, a shop with a redemption and a hold, a claim, a cause and a donation."""
    card = make.card(balance=50_000, pin=PIN)
    volunteer = make.user(role="volunteer", volunteer_id=card.volunteer_id)
    organisation = make.organisation()
    coordinator = make.user(role="coordinator", organisation_id=organisation.id)
    claim = make.claim(volunteer=card.volunteer, organisation=organisation)
    cause = make.cause()
    donation = donate.donate_points(session, volunteer_id=card.volunteer_id, cause_id=cause.id, points=100)
    merchant = make.merchant()
    terminal = make.terminal(merchant).terminal
    till = Till(merchant_id=merchant.id, terminal_id=terminal.id)
    signer = app.extensions["mileage.token_signer"]
    redemption = redemptions.redeem(
        session, signer, till, scanned=card.number, purchase_amount=20_000, pin=PIN, idempotency_key="world-redeem"
    )
    hold = holds.authorize_hold(
        session, signer, till, scanned=card.number, purchase_amount=20_000, pin=PIN, idempotency_key="world-hold"
    )
    session.flush()
    headers = {
        "volunteer": login(volunteer),
        "merchant": login(terminal_principal(terminal)),
        "coordinator": login(coordinator),
        **{role: login(make.user(role=role)) for role in ("staff", "admin", "auditor")},
    }
    ids = {
        "card_id": card.id,
        "volunteer_id": card.volunteer_id,
        "claim_id": claim.id,
        "organisation_id": organisation.id,
        "merchant_id": merchant.id,
        "terminal_id": terminal.id,
        "redemption_id": redemption.id,
        "hold_id": hold.id,
        "cause_id": cause.id,
        "donation_id": donation.id,
    }
    return HostileWorld(headers=headers, ids=ids, card_number=card.number, pin=PIN)

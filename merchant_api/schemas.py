"""Request and response schemas of the partner-shop API.

A shop sees a card's masked number and the holder's masked name, never a phone number,
a balance or a history.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from mileage.cards.qr import MAX_SCANNED_LENGTH
from mileage.claims.submission import format_clock_time
from mileage.http.schemas import page_schema
from mileage.pagination import MAX_PAGE_SIZE
from mileage.shops.offers import weekday_names

# Ten billion won is far past any purchase at a district shop, and far inside a BIGINT.
MAX_AMOUNT = 10_000_000_000
AMOUNT = validate.Range(min=1, max=MAX_AMOUNT)


def _clock(minute: int | None) -> str | None:
    return None if minute is None else format_clock_time(minute)


# --- sign-in --------------------------------------------------------------------------------

class MerchantTokenRequestSchema(Schema):
    key_id = fields.String(required=True, validate=validate.Length(min=1, max=32))
    secret = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200))
    session = fields.String(
        load_default=None,
        validate=validate.OneOf(["browser", "remember"]),
        metadata={"description": "For the counter page: also start a session kept in an httpOnly cookie "
                                 "(`browser`: until the browser closes, at most 14 hours; `remember`: 30 days), "
                                 "renewed at POST /merchant/auth/refresh. POS clients leave it out."},
    )


class MerchantTokenSchema(Schema):
    access_token = fields.String(dump_only=True)
    token_type = fields.String(dump_only=True, dump_default="Bearer")
    expires_in = fields.Integer(dump_only=True, metadata={"description": "Seconds until the token expires."})
    merchant_id = fields.Integer(dump_only=True, attribute="terminal.merchant_id")
    terminal_id = fields.Integer(dump_only=True, attribute="terminal.id")


class MerchantOfferSchema(Schema):
    id = fields.Integer(dump_only=True, metadata={"description": "The offer version id redemptions record."})
    version = fields.Integer(dump_only=True)
    rate_bp = fields.Integer(dump_only=True, metadata={"description": "Discount rate in basis points (500 = 5 %)."})
    max_discount = fields.Integer(dump_only=True)
    min_purchase = fields.Integer(dump_only=True)
    days = fields.Function(lambda offer: weekday_names(offer.weekdays), dump_only=True)
    start_time = fields.Function(lambda offer: _clock(offer.start_minute), dump_only=True, allow_none=True)
    end_time = fields.Function(lambda offer: _clock(offer.end_minute), dump_only=True, allow_none=True)


class MerchantSelfSchema(Schema):
    merchant_id = fields.Integer(dump_only=True, attribute="terminal.merchant_id")
    merchant_name = fields.String(dump_only=True, attribute="terminal.merchant.name")
    terminal_id = fields.Integer(dump_only=True, attribute="terminal.id")
    terminal_label = fields.String(dump_only=True, attribute="terminal.label")
    offer = fields.Nested(MerchantOfferSchema, dump_only=True, allow_none=True)


# --- quote and redeem -----------------------------------------------------------------------

class MerchantScanSchema(Schema):
    scanned = fields.String(
        required=True,
        validate=validate.Length(min=1, max=MAX_SCANNED_LENGTH),
        metadata={"description": "The raw scanner text: a dynamic QR token or a printed card number."},
    )
    purchase_amount = fields.Integer(required=True, strict=True, validate=AMOUNT, metadata={"description": "Won."})
    discount = fields.Integer(
        load_default=None,
        strict=True,
        validate=AMOUNT,
        metadata={"description": "A smaller discount the customer asks for; the most that applies otherwise."},
    )


class MerchantRedeemSchema(MerchantScanSchema):
    pin = fields.String(
        load_default=None,
        load_only=True,
        validate=validate.Length(max=64),
        metadata={"description": "The card's PIN; required for a printed card."},
    )


class MerchantQuoteSchema(Schema):
    holder_name = fields.String(dump_only=True, metadata={"description": "Masked, e.g. 김*수."})
    card_number = fields.String(dump_only=True, attribute="card.masked_number")
    needs_pin = fields.Boolean(dump_only=True)
    is_dynamic = fields.Boolean(dump_only=True)
    purchase_amount = fields.Integer(dump_only=True)
    discount = fields.Integer(dump_only=True)
    amount_to_pay = fields.Integer(dump_only=True)
    offer_version_id = fields.Integer(dump_only=True, attribute="offer.id")


class MerchantRefundSchema(Schema):
    id = fields.Integer(dump_only=True)
    redemption_id = fields.Integer(dump_only=True)
    terminal_id = fields.Integer(dump_only=True)
    amount = fields.Integer(dump_only=True)
    reason = fields.String(dump_only=True)
    remaining = fields.Integer(dump_only=True, attribute="redemption.refundable",
                               metadata={"description": "Points of the redemption still refundable."})
    settlement_date = fields.Date(dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class MerchantReceiptSchema(Schema):
    id = fields.Integer(dump_only=True, metadata={"description": "The redemption id, for refunds."})
    terminal_id = fields.Integer(dump_only=True)
    terminal_label = fields.String(dump_only=True, attribute="terminal.label")
    holder_name = fields.String(dump_only=True, attribute="card.volunteer.masked_name")
    card_number = fields.String(dump_only=True, attribute="card.masked_number")
    purchase_amount = fields.Integer(dump_only=True)
    discount = fields.Integer(dump_only=True)
    amount_to_pay = fields.Integer(dump_only=True)
    refunded_amount = fields.Integer(dump_only=True)
    refundable = fields.Integer(dump_only=True)
    offer_version_id = fields.Integer(dump_only=True)
    hold_id = fields.Integer(dump_only=True, allow_none=True)
    settlement_date = fields.Date(dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class MerchantRefundRequestSchema(Schema):
    amount = fields.Integer(
        load_default=None, strict=True, validate=AMOUNT,
        metadata={"description": "Points to give back; everything still refundable when left out."},
    )
    reason = fields.String(load_default="", validate=validate.Length(max=200))


# --- holds ----------------------------------------------------------------------------------

class MerchantHoldSchema(Schema):
    id = fields.Integer(dump_only=True)
    status = fields.String(dump_only=True, metadata={"description": "held, captured, voided or expired"})
    amount = fields.Integer(dump_only=True, metadata={"description": "Points held."})
    purchase_amount = fields.Integer(dump_only=True)
    holder_name = fields.String(dump_only=True, attribute="card.volunteer.masked_name")
    card_number = fields.String(dump_only=True, attribute="card.masked_number")
    offer_version_id = fields.Integer(dump_only=True)
    expires_at = fields.DateTime(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    settled_at = fields.DateTime(dump_only=True, allow_none=True)


class MerchantCaptureSchema(Schema):
    amount = fields.Integer(
        load_default=None, strict=True, validate=AMOUNT,
        metadata={"description": "Points to take; all that is held when left out."},
    )
    purchase_amount = fields.Integer(
        load_default=None, strict=True, validate=AMOUNT,
        metadata={"description": "The final purchase, to recompute the discount under the hold's offer."},
    )


# --- lists and totals -----------------------------------------------------------------------

class MerchantListArgsSchema(Schema):
    day = fields.Date(load_default=None, metadata={"description": "Only this Seoul day (YYYY-MM-DD)."})
    cursor = fields.String(load_default=None, validate=validate.Length(min=1, max=100))
    limit = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))


MerchantReceiptPageSchema = page_schema(MerchantReceiptSchema)


MerchantRefundPageSchema = page_schema(MerchantRefundSchema)


class MerchantDayArgsSchema(Schema):
    day = fields.Date(load_default=None, metadata={"description": "A Seoul day (YYYY-MM-DD); today by default."})


"""Request and response schemas of the partner-shop API.

A shop sees a card's masked number and the holder's masked name, never a phone number,
a balance or a history.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from mileage.cards.qr import MAX_SCANNED_LENGTH
from mileage.claims.submission import format_clock_time
from mileage.http.locale import select_language
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
    key_id = fields.String(
        required=True,
        validate=validate.Length(min=1, max=32),
        metadata={"description": "The terminal's key id, from the volunteer centre.", "example": "trm_demo_counter"},
    )
    secret = fields.String(
        required=True,
        load_only=True,
        validate=validate.Length(min=1, max=200),
        metadata={
            "description": "The terminal's secret, shown once when it was issued.",
            "example": "mileage-demo-terminal-1234",
        },
    )
    session = fields.String(
        load_default=None,
        validate=validate.OneOf(["browser", "remember"]),
        metadata={"description": "For the counter page: also start a session kept in an httpOnly cookie "
                                 "(`browser`: until the browser closes, at most 14 hours; `remember`: 30 days), "
                                 "renewed at POST /merchant/auth/refresh. POS clients leave it out."},
    )


class MerchantTokenSchema(Schema):
    access_token = fields.String(
        dump_only=True, metadata={"description": "Send as `Authorization: Bearer <access_token>`."}
    )
    token_type = fields.String(
        dump_only=True, dump_default="Bearer", metadata={"description": "Always Bearer.", "example": "Bearer"}
    )
    expires_in = fields.Integer(dump_only=True, metadata={"description": "Seconds until the token expires."})
    merchant_id = fields.Integer(
        dump_only=True, attribute="terminal.merchant_id", metadata={"description": "The shop's id.", "example": 7}
    )
    terminal_id = fields.Integer(
        dump_only=True, attribute="terminal.id", metadata={"description": "The terminal's id.", "example": 3}
    )


class MerchantOfferSchema(Schema):
    id = fields.Integer(dump_only=True, metadata={"description": "The offer version id redemptions record."})
    version = fields.Integer(dump_only=True, metadata={"description": "The offer's version number.", "example": 2})
    rate_bp = fields.Integer(dump_only=True, metadata={"description": "Discount rate in basis points (500 = 5 %)."})
    max_discount = fields.Integer(
        dump_only=True, metadata={"description": "The largest discount of one purchase, in won.", "example": 3000}
    )
    min_purchase = fields.Integer(
        dump_only=True, metadata={"description": "The smallest purchase that gets a discount, in won.", "example": 5000}
    )
    days = fields.Function(
        lambda offer: weekday_names(offer.weekdays),
        dump_only=True,
        metadata={
            "type": "array",
            "items": {"type": "string"},
            "description": "Weekdays the discount applies (mon..sun).",
            "example": ["mon", "tue", "wed", "thu", "fri"],
        },
    )
    start_time = fields.Function(
        lambda offer: _clock(offer.start_minute),
        dump_only=True,
        allow_none=True,
        metadata={
            "type": "string",
            "description": "Seoul time of day the discount starts (HH:MM); null for all day.",
            "example": "10:00",
        },
    )
    end_time = fields.Function(
        lambda offer: _clock(offer.end_minute),
        dump_only=True,
        allow_none=True,
        metadata={
            "type": "string",
            "description": "Seoul time of day the discount ends (HH:MM); null for all day.",
            "example": "20:00",
        },
    )


class MerchantSelfSchema(Schema):
    merchant_id = fields.Integer(
        dump_only=True, attribute="terminal.merchant_id", metadata={"description": "The shop's id.", "example": 7}
    )
    merchant_name = fields.String(
        dump_only=True,
        attribute="terminal.merchant.name",
        metadata={"description": "The shop's name.", "example": "행복나눔 카페"},
    )
    terminal_id = fields.Integer(
        dump_only=True, attribute="terminal.id", metadata={"description": "The terminal's id.", "example": 3}
    )
    terminal_label = fields.String(
        dump_only=True,
        attribute="terminal.label",
        metadata={"description": "The terminal's label, e.g. the till it is.", "example": "카운터 1"},
    )
    offer = fields.Nested(
        MerchantOfferSchema,
        dump_only=True,
        allow_none=True,
        metadata={"description": "The offer in force now; null when the shop has none."},
    )


# --- quote and redeem -----------------------------------------------------------------------


class MerchantScanSchema(Schema):
    scanned = fields.String(
        required=True,
        validate=validate.Length(min=1, max=MAX_SCANNED_LENGTH),
        metadata={
            "description": "The raw scanner text: a dynamic QR token or a printed card number.",
            "example": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjYXJkOjQyIn0.c2lnbmF0dXJl",
        },
    )
    purchase_amount = fields.Integer(
        required=True, strict=True, validate=AMOUNT, metadata={"description": "The purchase, in won.", "example": 15000}
    )
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
        metadata={"description": "The card's PIN; required for a printed card.", "example": "1234"},
    )


class MerchantQuoteSchema(Schema):
    holder_name = fields.String(dump_only=True, metadata={"description": "Masked, e.g. 김*수."})
    card_number = fields.String(
        dump_only=True,
        attribute="card.masked_number",
        metadata={"description": "The card number, masked.", "example": "9410-****-****-0012"},
    )
    needs_pin = fields.Boolean(
        dump_only=True, metadata={"description": "True for a printed card: the sale needs its PIN.", "example": False}
    )
    is_dynamic = fields.Boolean(
        dump_only=True,
        metadata={
            "description": "True for a phone's dynamic QR token (single use), false for a printed card number.",
            "example": True,
        },
    )
    purchase_amount = fields.Integer(
        dump_only=True, metadata={"description": "The purchase, in won.", "example": 15000}
    )
    discount = fields.Integer(
        dump_only=True, metadata={"description": "The discount, in points (1 point = 1 won).", "example": 1500}
    )
    amount_to_pay = fields.Integer(
        dump_only=True,
        metadata={"description": "What the customer pays: purchase_amount - discount, in won.", "example": 13500},
    )
    offer_version_id = fields.Integer(
        dump_only=True,
        attribute="offer.id",
        metadata={"description": "The offer version the discount was computed under.", "example": 12},
    )
    balance_applied = fields.Boolean(dump_only=True, metadata={
        "description": "false for a printed card: the discount is the offer's and may be less once the PIN "
                       "is given and the balance applied",
        "example": True,
    })


class MerchantRefundSchema(Schema):
    id = fields.Integer(dump_only=True, metadata={"description": "The id.", "example": 42})
    redemption_id = fields.Integer(
        dump_only=True, metadata={"description": "The redemption this refund belongs to.", "example": 42}
    )
    terminal_id = fields.Integer(dump_only=True, metadata={"description": "The terminal's id.", "example": 3})
    amount = fields.Integer(dump_only=True, metadata={"description": "Points.", "example": 500})
    reason = fields.String(
        dump_only=True, metadata={"description": "Why, as the cashier typed it.", "example": "고객 변심"}
    )
    remaining = fields.Integer(
        dump_only=True,
        attribute="redemption.refundable",
        metadata={"description": "Points of the redemption still refundable."},
    )
    settlement_date = fields.Date(
        dump_only=True,
        metadata={"description": "The Seoul day this counts toward in settlement.", "example": "2026-12-02"},
    )
    created_at = fields.DateTime(
        dump_only=True,
        metadata={"description": "When it happened (UTC, ISO 8601).", "example": "2026-12-02T05:30:00+00:00"},
    )


class _CardSaleSchema(Schema):
    """What a sale and a hold both show: the card, its holder, the purchase and the offer version."""

    holder_name = fields.String(
        dump_only=True,
        attribute="card.volunteer.masked_name",
        metadata={"description": "The card holder's name, masked (e.g. 김*수).", "example": "김*수"},
    )
    card_number = fields.String(
        dump_only=True,
        attribute="card.masked_number",
        metadata={"description": "The card number, masked.", "example": "9410-****-****-0012"},
    )
    purchase_amount = fields.Integer(
        dump_only=True, metadata={"description": "The purchase, in won.", "example": 15000}
    )
    offer_version_id = fields.Integer(
        dump_only=True, metadata={"description": "The offer version the discount was computed under.", "example": 12}
    )
    created_at = fields.DateTime(
        dump_only=True,
        metadata={"description": "When it happened (UTC, ISO 8601).", "example": "2026-12-02T05:30:00+00:00"},
    )


class MerchantReceiptSchema(_CardSaleSchema):
    id = fields.Integer(dump_only=True, metadata={"description": "The redemption id, for refunds."})
    terminal_id = fields.Integer(dump_only=True, metadata={"description": "The terminal's id.", "example": 3})
    terminal_label = fields.String(
        dump_only=True,
        attribute="terminal.label",
        metadata={"description": "The terminal's label, e.g. the till it is.", "example": "카운터 1"},
    )
    discount = fields.Integer(
        dump_only=True, metadata={"description": "The discount, in points (1 point = 1 won).", "example": 1500}
    )
    amount_to_pay = fields.Integer(
        dump_only=True,
        metadata={"description": "What the customer pays: purchase_amount - discount, in won.", "example": 13500},
    )
    refunded_amount = fields.Integer(dump_only=True, metadata={"description": "Points refunded so far.", "example": 0})
    refundable = fields.Integer(dump_only=True, metadata={"description": "Points still refundable.", "example": 1500})
    hold_id = fields.Integer(
        dump_only=True,
        allow_none=True,
        metadata={"description": "The hold this sale captured; null for a direct sale."},
    )
    settlement_date = fields.Date(
        dump_only=True,
        metadata={"description": "The Seoul day this counts toward in settlement.", "example": "2026-12-02"},
    )


class MerchantRefundRequestSchema(Schema):
    amount = fields.Integer(
        load_default=None,
        strict=True,
        validate=AMOUNT,
        metadata={"description": "Points to give back; everything still refundable when left out.", "example": 500},
    )
    reason = fields.String(
        load_default="",
        validate=validate.Length(max=200),
        metadata={"description": "Why, as the cashier typed it.", "example": "고객 변심"},
    )


# --- holds ----------------------------------------------------------------------------------


class MerchantHoldSchema(_CardSaleSchema):
    id = fields.Integer(dump_only=True, metadata={"description": "The id.", "example": 42})
    status = fields.String(dump_only=True, metadata={"description": "held, captured, voided or expired"})
    amount = fields.Integer(dump_only=True, metadata={"description": "Points held."})
    expires_at = fields.DateTime(
        dump_only=True,
        metadata={"description": "When an uncaptured hold is released.", "example": "2026-12-02T05:40:00+00:00"},
    )
    settled_at = fields.DateTime(
        dump_only=True,
        allow_none=True,
        metadata={"description": "When the hold was captured or voided; null while held."},
    )


class MerchantCaptureSchema(Schema):
    amount = fields.Integer(
        load_default=None,
        strict=True,
        validate=AMOUNT,
        metadata={"description": "Points to take; all that is held when left out."},
    )
    purchase_amount = fields.Integer(
        load_default=None,
        strict=True,
        validate=AMOUNT,
        metadata={"description": "The final purchase, to recompute the discount under the hold's offer."},
    )


# --- lists and totals -----------------------------------------------------------------------


class MerchantListArgsSchema(Schema):
    day = fields.Date(load_default=None, metadata={"description": "Only this Seoul day (YYYY-MM-DD)."})
    cursor = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "The next_cursor of the previous page."},
    )
    limit = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1, max=MAX_PAGE_SIZE),
        metadata={"description": "Items per page.", "example": 50},
    )


MerchantReceiptPageSchema = page_schema(MerchantReceiptSchema)


MerchantRefundPageSchema = page_schema(MerchantRefundSchema)


class MerchantDayArgsSchema(Schema):
    day = fields.Date(load_default=None, metadata={"description": "A Seoul day (YYYY-MM-DD); today by default."})


class MerchantCheckoutRequestSchema(MerchantRedeemSchema):
    use_points = fields.Boolean(load_default=True, metadata={"description": "false: the tier benefit only"})


class MerchantBenefitSchema(Schema):
    rate_bp = fields.Integer(dump_only=True, metadata={"description": "Tier discount rate (500 = 5 %)."})
    amount = fields.Integer(dump_only=True, metadata={"description": "Won off the bill; no points deducted."})


class _BothDiscountsSchema(Schema):
    """What a checkout preview and a checkout both tell the cashier."""

    holder_name = fields.String(dump_only=True, metadata={"description": "Masked, e.g. 김*수."})
    card_number = fields.String(dump_only=True, attribute="card.masked_number",
                                metadata={"description": "The card's masked number."})
    tier = fields.String(dump_only=True, allow_none=True, metadata={"description": "The card's tier name only."})
    purchase_amount = fields.Integer(dump_only=True, metadata={"description": "The bill, in won."})
    tier_benefit = fields.Nested(MerchantBenefitSchema, attribute="benefit", dump_only=True,
                                 metadata={"description": "The tier discount (no points deducted)."})
    points_refusal = fields.Function(
        lambda sale: sale.points_refusal.code if sale.points_refusal else None, dump_only=True,
        metadata={"description": "why points give nothing, when a tier benefit still applies"})
    points_refusal_message = fields.Function(
        lambda sale: sale.points_refusal.message(select_language()) if sale.points_refusal else None,
        dump_only=True, metadata={"description": "The refusal's sentence in the request's language."})
    amount_to_pay = fields.Integer(dump_only=True, metadata={"description": "What the customer still pays, in won."})


class MerchantCheckoutPreviewSchema(_BothDiscountsSchema):
    is_dynamic = fields.Boolean(dump_only=True, metadata={"description": "Scanned from the mobile QR."})
    needs_pin = fields.Boolean(dump_only=True, metadata={"description": "A printed card asks for its PIN."})
    discount = fields.Integer(dump_only=True, metadata={"description": "Points discount (0 when none applies)."})


class MerchantCheckoutSchema(_BothDiscountsSchema):
    redemption_id = fields.Function(lambda done: done.redemption.id if done.redemption else None, dump_only=True,
                                    metadata={"description": "for a refund of the points; none without points"})
    benefit_use_id = fields.Function(lambda done: done.benefit_use.id if done.benefit_use else None, dump_only=True,
                                     metadata={"description": "The recorded tier benefit use, if any."})
    discount = fields.Integer(dump_only=True, metadata={"description": "Points deducted from the card."})
    created_at = fields.Function(
        lambda done: (done.redemption or done.benefit_use).created_at.isoformat()
        if (done.redemption or done.benefit_use) else None, dump_only=True,
        metadata={"description": "When the sale was recorded (ISO 8601)."})

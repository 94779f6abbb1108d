"""Demo partner shops in Nowon-gu, with offers and a counter terminal the demo can sign in with."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from mileage import i18n
from mileage.audit import SYSTEM_ACTOR
from mileage.i18n import N_
from mileage.models import Merchant, MerchantStatus
from mileage.shops import merchants, offers, terminals

DEMO_TERMINAL_KEY_ID = "trm_demo_counter"
DEMO_TERMINAL_SECRET = "mileage-demo-terminal-1234"

# name, first nine digits of the business number (the check digit is computed), address, category, offer.
SHOPS = [
    ("상계 행복베이커리", "217810123", "서울 노원구 상계로 70", "제과점",
     {"rate_bp": 1000, "max_discount": 3000, "min_purchase": 5000}),
    ("공릉 착한분식", "217810456", "서울 노원구 공릉로 232", "음식점",
     {"rate_bp": 500, "max_discount": 2000, "min_purchase": 3000,
      "days": ["mon", "tue", "wed", "thu", "fri"], "start_minute": 11 * 60, "end_minute": 15 * 60}),
    ("중계 동네문구", "217810789", "서울 노원구 중계로 152", "문구",
     {"rate_bp": 1000, "max_discount": 1000, "min_purchase": 0}),
    ("월계 나눔세탁소", "217811012", "서울 노원구 월계로 345", "세탁",
     {"rate_bp": 2000, "max_discount": 5000, "min_purchase": 10000}),
]


def _business_number(first_nine: str) -> str:
    return first_nine + str(merchants.business_number_check_digit(first_nine))


def load_demo_merchants(session: Session, language: str | None = None) -> str:
    """Load the demo shops once (active, with offers) and a terminal for the first; return a summary."""
    first_number = _business_number(SHOPS[0][1])
    if session.scalar(select(Merchant.id).where(Merchant.business_number == first_number)) is not None:
        return i18n.translate(language, N_("The demo shops are already loaded."))
    shops = []
    for name, first_nine, address, category, offer in SHOPS:
        shop = merchants.register_merchant(
            session, name=name, business_number=_business_number(first_nine), address=address,
            category=category, contact="02-2116-3114", actor=SYSTEM_ACTOR,
        )
        offers.set_offer(session, shop.id, actor=SYSTEM_ACTOR, **offer)
        merchants.change_merchant_status(session, shop.id, MerchantStatus.ACTIVE, actor=SYSTEM_ACTOR)
        shops.append(shop)
    # A known secret, like the demo passwords, so the counter page can be tried straight away.
    terminals.add_terminal_with_secret(session, shops[0], "1번 계산대", DEMO_TERMINAL_KEY_ID, DEMO_TERMINAL_SECRET)
    return i18n.translate(
        language, N_("%(count)s demo shops; counter page /counter: terminal %(key)s / %(secret)s (%(shop)s)"),
        count=len(shops), key=DEMO_TERMINAL_KEY_ID, secret=DEMO_TERMINAL_SECRET, shop=shops[0].name,
    )

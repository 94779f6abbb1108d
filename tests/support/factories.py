"""Factory callables that build valid domain objects with overridable fields.

Everything is made through the domain's own audited operations, acting as the system actor.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from mileage import ledger
from mileage.audit import SYSTEM_ACTOR
from mileage.cards import lifecycle, pins
from mileage.claims import submission
from mileage.claims.rules import DEFAULT_POLICY, ClaimPolicy, ClaimRequest
from mileage.clock import seoul_today
from mileage.donations import causes
from mileage.models import (
    AccountKind,
    Card,
    CardStatus,
    CauseStatus,
    Claim,
    MerchantStatus,
    Organisation,
    User,
    Volunteer,
)
from mileage.people import organisations, users, volunteers
from mileage.shops import merchants, offers, terminals
from mileage.shops.merchants import business_number_check_digit
from mileage.shops.terminals import terminal_principal

_sequence = itertools.count(1)

KOREAN_NAMES = ["김민수", "이서연", "박지훈", "최유진", "정하늘", "강도윤", "조수아", "윤서준"]
# The staff action that puts a card in each status.
_CARD_STATUS_ACTIONS = {
    CardStatus.LOST: lifecycle.report_lost,
    CardStatus.BLOCKED: lifecycle.block_card,
    CardStatus.ACTIVE: lifecycle.unblock_card,
}


class Factories:
    """`make.card(balance=5000)`, `make.claim(volunteer=v, minutes=120)`, ..."""

    def __init__(self, session: Session):
        self.session = session

    def volunteer(self, **overrides) -> Volunteer:
        n = next(_sequence)
        values = {
            "name": KOREAN_NAMES[n % len(KOREAN_NAMES)],
            "phone": f"010-{n:04d}-{(n * 7) % 10000:04d}",
        }
        values.update(overrides)
        return volunteers.enrol_volunteer(self.session, actor=SYSTEM_ACTOR, **values).volunteer

    def card(self, *, volunteer: Volunteer | None = None, balance: int = 0, pin: str | None = None) -> Card:
        card = lifecycle.issue_card(self.session, (volunteer or self.volunteer()).id, actor=SYSTEM_ACTOR).card
        if balance:
            self.credit(card, balance)
        if pin is not None:
            pins.reset_pin(self.session, card.id, pin, actor=SYSTEM_ACTOR)
        return card

    def card_status(self, card: Card, status: str) -> Card:
        """Move a card to lost, blocked or back to active, as staff would."""
        return _CARD_STATUS_ACTIONS[CardStatus(status)](self.session, card.id, actor=SYSTEM_ACTOR).card

    def credit(self, card: Card, points: int) -> ledger.JournalEntry:
        return ledger.transfer(
            self.session,
            kind="test_credit",
            from_account_id=ledger.system_account(self.session, AccountKind.ISSUANCE).id,
            to_account_id=card.account_id,
            amount=points,
        )

    def organisation(self, **overrides) -> Organisation:
        values = {"name": f"노원구 복지관 {next(_sequence)}"}
        values.update(overrides)
        return organisations.create_organisation(self.session, actor=SYSTEM_ACTOR, **values)

    def claim(
        self,
        *,
        volunteer: Volunteer | None = None,
        organisation: Organisation | None = None,
        work_date: date | None = None,
        start_minute: int = 9 * 60,
        minutes: int = 120,
        category: str = "복지",
        policy: ClaimPolicy = DEFAULT_POLICY,
    ) -> Claim:
        if volunteer is None:
            volunteer = self.card().volunteer
        request = ClaimRequest(
            volunteer_id=volunteer.id,
            organisation_id=(organisation or self.organisation()).id,
            work_date=work_date or seoul_today() - timedelta(days=1),
            start_minute=start_minute,
            end_minute=start_minute + minutes,
            category=category,
        )
        return submission.submit_claim(self.session, request, actor=SYSTEM_ACTOR, policy=policy)

    def user(self, *, role: str = "staff", password: str = "correct-horse-battery", **overrides) -> User:
        values = {"username": f"{role}{next(_sequence)}", "password": password, "role": role}
        values.update(overrides)
        # Each role's required link, unless the test names one: a volunteer's login needs a volunteer.
        if role == "volunteer" and "volunteer_id" not in overrides:
            values["volunteer_id"] = self.card().volunteer_id
        if role == "coordinator" and "organisation_id" not in overrides:
            values["organisation_id"] = self.organisation().id
        return users.create_user(self.session, actor=SYSTEM_ACTOR, **values)

    def unlinked_user(self, *, role: str) -> User:
        """A volunteer or coordinator whose required link is missing (a row from before links were required).

        The services refuse to make one; it is written behind their back, for the views' own checks.
        """
        user = self.user(role=role)
        link = "volunteer_id" if role == "volunteer" else "organisation_id"
        self.session.execute(update(User).where(User.id == user.id).values({link: None}))
        self.session.refresh(user)
        return user

    def cause(self, **overrides):
        """A donation cause, active unless `status="closed"` is given."""
        status = overrides.pop("status", CauseStatus.ACTIVE)
        values = {"name": f"노원 나눔냉장고 {next(_sequence)}", "receiving_organisation": "노원구 푸드뱅크"}
        values.update(overrides)
        cause = causes.create_cause(self.session, actor=SYSTEM_ACTOR, **values)
        if status != CauseStatus.ACTIVE:
            causes.set_cause_status(self.session, cause.id, CauseStatus(status), actor=SYSTEM_ACTOR)
        return cause

    def business_number(self) -> str:
        """A fresh, valid 사업자등록번호 (ten digits with the official check digit)."""
        first_nine = f"{(2_000_000 + next(_sequence) * 7919) % 1_000_000_000:09d}"
        return first_nine + str(business_number_check_digit(first_nine))

    def merchant(self, *, status: str = "active", offer: dict | None = None, with_offer: bool = True, **overrides):
        """A partner shop (active by default) with an offer of 10 %, at most 3,000 points, no minimum."""
        values = {"name": f"노원 상점 {next(_sequence)}", "business_number": self.business_number(),
                  "address": "서울 노원구 동일로 1414", "category": "음식점"}
        values.update(overrides)
        merchant = merchants.register_merchant(self.session, actor=SYSTEM_ACTOR, **values)
        if with_offer:
            terms = {"rate_bp": 1000, "max_discount": 3000, "min_purchase": 0}
            terms.update(offer or {})
            offers.set_offer(self.session, merchant.id, actor=SYSTEM_ACTOR, **terms)
        if status != MerchantStatus.PENDING:
            merchants.change_merchant_status(self.session, merchant.id, MerchantStatus(status), actor=SYSTEM_ACTOR)
        return merchant

    def terminal(self, merchant=None, *, label: str = "1번 계산대"):
        """A terminal of a shop (a new active shop by default) and its one-time secret."""
        merchant = merchant or self.merchant()
        return terminals.create_terminal(self.session, merchant.id, label=label, actor=SYSTEM_ACTOR)

    def merchant_principal(self, merchant=None):
        """The principal of a terminal of a real, active shop with an offer (role merchant)."""
        return terminal_principal(self.terminal(merchant).terminal)

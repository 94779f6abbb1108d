"""Factory callables that build valid domain objects with overridable fields."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from sqlalchemy.orm import Session

from mileage import cards, claims, ledger, users
from mileage.clock import seoul_today
from mileage.models import AccountKind, Card, Claim, Organisation, User, Volunteer

_sequence = itertools.count(1)

KOREAN_NAMES = ["김민수", "이서연", "박지훈", "최유진", "정하늘", "강도윤", "조수아", "윤서준"]


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
        return cards.register_volunteer(self.session, **values)

    def card(self, *, volunteer: Volunteer | None = None, balance: int = 0, pin: str | None = None) -> Card:
        card = cards.issue_card(self.session, (volunteer or self.volunteer()).id)
        if balance:
            self.credit(card, balance)
        if pin is not None:
            cards.set_pin(self.session, card.id, pin)
        return card

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
        return claims.create_organisation(self.session, **values)

    def claim(
        self,
        *,
        volunteer: Volunteer | None = None,
        organisation: Organisation | None = None,
        work_date: date | None = None,
        start_minute: int = 9 * 60,
        minutes: int = 120,
        category: str = "복지",
        policy: claims.ClaimPolicy = claims.DEFAULT_POLICY,
    ) -> Claim:
        if volunteer is None:
            volunteer = self.card().volunteer
        request = claims.ClaimRequest(
            volunteer_id=volunteer.id,
            organisation_id=(organisation or self.organisation()).id,
            work_date=work_date or seoul_today() - timedelta(days=1),
            start_minute=start_minute,
            end_minute=start_minute + minutes,
            category=category,
        )
        return claims.submit_claim(self.session, request, submitted_by_user_id=None, policy=policy)

    def user(self, *, role: str = "staff", password: str = "correct-horse-battery", **overrides) -> User:
        values = {"username": f"{role}{next(_sequence)}", "password": password, "role": role}
        values.update(overrides)
        return users.create_user(self.session, **values)

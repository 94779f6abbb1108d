"""Realistic demo data for a district volunteer centre: organisations, volunteers, cards, claims, users."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from mileage import i18n
from mileage.audit import SYSTEM_ACTOR, Actor
from mileage.cards import lifecycle, lookup, pins
from mileage.claims import review, rules, submission
from mileage.clock import seoul_today
from mileage.demo.shops import load_demo_merchants
from mileage.donations import causes as donations_causes
from mileage.donations import donate
from mileage.i18n import N_
from mileage.models import Card, Merchant, Organisation, Terminal
from mileage.people import organisations as people_organisations
from mileage.people import users
from mileage.people.tokens import TokenSigner
from mileage.people.volunteers import enrol_volunteer
from mileage.programme import book as programme_book
from mileage.programme import presets as programme_presets
from mileage.shops import benefits as shop_benefits
from mileage.shops import counter, redemptions

DEMO_PASSWORD = "mileage-demo-1234"
DEMO_PIN = "1234"

ORGANISATIONS = [
    ("노원구 종합사회복지관", "서울 노원구 노해로 123"),
    ("상계 어린이도서관", "서울 노원구 상계로 45"),
    ("중계동 주민센터", "서울 노원구 중계로 210"),
    ("노원 어르신 돌봄센터", "서울 노원구 동일로 1500"),
]
VOLUNTEERS = [
    ("김민수", "010-2345-6789"),
    ("이서연", "010-3456-7890"),
    ("박지훈", "010-4567-8901"),
    ("최유진", "010-5678-9012"),
    ("정하늘", "010-6789-0123"),
    ("강도윤", "010-7890-1234"),
    ("조수아", "010-8901-2345"),
    ("윤서준", "010-9012-3456"),
]
CATEGORIES = ["노인돌봄", "아동교육", "환경정화", "행정지원", "문화행사"]


# With a preset, some volunteers bring older hours (7 hours a day, 60 to 89 days ago): enough to pass
# Nowon's unpaid first 50 hours and to reach its 그린 and 골드 tiers.
HISTORY_DAYS = {0: 30, 1: 12, 2: 8}


def load_demo_data(session: Session, language: str | None = None, *, preset: str | None = None) -> str:
    """Load the demo data once, under a preset's rules if one is named; return a summary with the demo sign-ins,
    in a language (Korean by default).

    :raises RulePresetNotFound:
    """
    if session.scalar(select(Organisation.id).where(Organisation.name == ORGANISATIONS[0][0])):
        return i18n.translate(language, N_("The demo data is already loaded."))
    if preset is not None:
        terms = programme_presets.preset(preset)
        programme_book.create_rule_set(
            session, name=terms["name"], effective_from=seoul_today() - timedelta(days=365), actor=SYSTEM_ACTOR,
            definition=terms["definition"], note=terms["note"], preset=preset, allow_past=True,
        )
    rng = random.Random(2011)  # the year Nowon-gu's card was recognised; any fixed seed keeps demos alike
    organisations = [
        people_organisations.create_organisation(session, name=name, address=address, actor=SYSTEM_ACTOR)
        for name, address in ORGANISATIONS
    ]
    def demo_user(username: str, display_name: str, **values):
        return users.create_user(
            session, username=username, password=DEMO_PASSWORD, role=values.pop("role", username),
            display_name=display_name, actor=SYSTEM_ACTOR, **values,
        )

    demo_user("admin", "관리자")
    staff = demo_user("staff", "박담당")
    demo_user("auditor", "감사")
    demo_user("coordinator", "복지관 코디네이터", organisation_id=organisations[0].id)
    reviewer = Actor(user_id=staff.id, role=staff.role)

    today = seoul_today()
    volunteers = []
    for index, (name, phone) in enumerate(VOLUNTEERS):
        volunteer = enrol_volunteer(session, name=name, phone=phone, actor=SYSTEM_ACTOR).volunteer
        card = lifecycle.issue_card(session, volunteer.id, actor=SYSTEM_ACTOR).card
        pins.reset_pin(session, card.id, DEMO_PIN, actor=SYSTEM_ACTOR)
        volunteers.append(volunteer)
        if index == 0:
            demo_user("volunteer", name, volunteer_id=volunteer.id)

    if preset is not None:
        for index, days in HISTORY_DAYS.items():
            for days_ago in range(60, 60 + days):
                claim = submission.submit_claim(
                    session,
                    rules.ClaimRequest(volunteer_id=volunteers[index].id, organisation_id=organisations[0].id,
                                       work_date=today - timedelta(days=days_ago), start_minute=9 * 60,
                                       end_minute=16 * 60, category="노인돌봄", note="데모 봉사 이력"),
                    actor=reviewer,
                )
                review.approve_claim(session, claim.id, actor=reviewer)
    # Claims in every state: most approved, some waiting, one rejected, one reversed.
    for volunteer in volunteers:
        for days_ago in rng.sample(range(2, 60), 6):
            start = rng.choice([9, 10, 13, 14]) * 60
            claim = submission.submit_claim(
                session,
                rules.ClaimRequest(
                    volunteer_id=volunteer.id,
                    organisation_id=rng.choice(organisations).id,
                    work_date=today - timedelta(days=days_ago),
                    start_minute=start,
                    end_minute=start + rng.choice([60, 90, 120, 180, 240]),
                    category=rng.choice(CATEGORIES),
                    note="데모 봉사",
                ),
                actor=reviewer,
            )
            roll = rng.random()
            if roll < 0.65:
                review.approve_claim(session, claim.id, actor=reviewer)
            elif roll < 0.72:
                review.reject_claim(session, claim.id, actor=reviewer, reason="활동 확인서 누락")
            elif roll < 0.76:
                review.approve_claim(session, claim.id, actor=reviewer)
                review.reverse_claim(session, claim.id, actor=reviewer, reason="중복 신청 확인")
    shops_summary = load_demo_merchants(session, language)
    if preset is not None:
        _load_demo_tier_benefits(session)
    _load_demo_spending(session, volunteers, staff.id)
    return shops_summary + "\n" + i18n.translate(
        language,
        N_("Demo data loaded: %(organisations)s organisations, %(volunteers)s volunteers with cards (PIN %(pin)s); "
           "sign in as admin / staff / auditor / coordinator / volunteer with the password %(password)s"),
        organisations=len(organisations), volunteers=len(volunteers), pin=DEMO_PIN, password=DEMO_PASSWORD,
    )


def _load_demo_tier_benefits(session: Session) -> None:
    """Under a preset with tiers, the first shops give the second tier and above 10 %, as Nowon's shops did."""
    tiers = programme_book.current_rule_set(session).tiers
    if len(tiers) < 2:
        return
    for merchant in session.scalars(select(Merchant).order_by(Merchant.id).limit(3)):
        shop_benefits.set_tier_benefit(session, merchant.id, rate_bp=1000, min_tier=tiers[1].name, actor=SYSTEM_ACTOR)


CAUSES = [
    ("노원 푸드뱅크", "노원구 푸드뱅크", "어려운 이웃에게 식료품을 전달합니다.", 500_000),
    ("이웃돕기 희망기금", "노원구 사회복지협의회", "긴급 지원이 필요한 이웃을 돕습니다.", None),
]


def _load_demo_spending(session: Session, volunteers: list, staff_user_id: int) -> None:
    """Give the demo some shop discounts (printed card + PIN) and donations to two causes."""
    causes = [
        donations_causes.create_cause(
            session, name=name, receiving_organisation=receiver, description=description,
            target_points=target, actor=SYSTEM_ACTOR,
        )
        for name, receiver, description, target in CAUSES
    ]
    shop = session.scalar(select(Merchant).order_by(Merchant.id).limit(1))
    terminal = session.scalar(select(Terminal).where(Terminal.merchant_id == shop.id).limit(1))
    till = counter.Till(merchant_id=shop.id, terminal_id=terminal.id)
    # Printed cards need no token signature: the signer is never consulted for them.
    signer = TokenSigner(key="demo-printed-cards-only")
    for index, volunteer in enumerate(volunteers[:5]):
        card = session.scalar(select(Card).where(Card.volunteer_id == volunteer.id))
        balance = lookup.card_balance(session, card)
        if balance >= 1000:
            redemptions.redeem(
                session, signer, till, scanned=card.number, purchase_amount=20_000, pin=DEMO_PIN,
                idempotency_key=f"demo-redeem-{volunteer.id}",
            )
        if index % 2 == 0 and lookup.card_balance(session, card) >= 500:
            donate.donate_points(
                session, volunteer_id=volunteer.id, cause_id=causes[index % 2].id, points=500,
                idempotency_key=f"demo-donation-{volunteer.id}",
            )


def sample_hours_csv(session: Session, *, rows: int = 3) -> str:
    """Return a sample hours file for the demo's volunteers, dated yesterday (Seoul), ready to import.

    Written on demand rather than shipped as a fixed file, so its dates are always inside the claim
    window. Korean headers, as a coordinator's spreadsheet has them.
    """
    place = session.scalar(select(Organisation).where(Organisation.name == ORGANISATIONS[0][0]))
    if place is None:
        raise LookupError("the demo data is not loaded: run `mileage demo` first")
    cards = list(session.scalars(select(Card).order_by(Card.id).limit(rows)))
    day = seoul_today() - timedelta(days=1)
    lines = ["카드번호,이름,기관ID,날짜,시작,종료,분야,비고"]
    for card in cards:
        # Late in the evening: the demo's own claims for that day are all over by then.
        lines.append(
            f"{card.number},{card.volunteer.name},{place.id},{day.isoformat()},21:00,22:30,환경,하천 정화 야간 순찰"
        )
    return "\r\n".join(lines) + "\r\n"

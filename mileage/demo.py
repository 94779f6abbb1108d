"""Realistic demo data for a district volunteer centre: organisations, volunteers, cards, claims, users."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from mileage import cards, claims, users
from mileage.clock import seoul_today
from mileage.models import Organisation

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


def load_demo_data(session: Session) -> str:
    """Load the demo data once; return a summary with the demo sign-ins."""
    if session.scalar(select(Organisation.id).where(Organisation.name == ORGANISATIONS[0][0])):
        return "demo data already loaded"
    rng = random.Random(2011)  # the year Nowon-gu's card was recognised; any fixed seed keeps demos alike
    organisations = [
        claims.create_organisation(session, name=name, address=address) for name, address in ORGANISATIONS
    ]
    users.create_user(session, username="admin", password=DEMO_PASSWORD, role="admin", display_name="관리자")
    staff = users.create_user(session, username="staff", password=DEMO_PASSWORD, role="staff", display_name="박담당")
    users.create_user(session, username="auditor", password=DEMO_PASSWORD, role="auditor", display_name="감사")
    users.create_user(
        session, username="coordinator", password=DEMO_PASSWORD, role="coordinator",
        display_name="복지관 코디네이터", organisation_id=organisations[0].id,
    )

    today = seoul_today()
    volunteers = []
    for index, (name, phone) in enumerate(VOLUNTEERS):
        volunteer = cards.register_volunteer(session, name=name, phone=phone)
        card = cards.issue_card(session, volunteer.id)
        cards.set_pin(session, card.id, DEMO_PIN)
        volunteers.append(volunteer)
        if index == 0:
            users.create_user(
                session, username="volunteer", password=DEMO_PASSWORD, role="volunteer",
                display_name=name, volunteer_id=volunteer.id,
            )

    # Claims in every state: most approved, some waiting, one rejected, one reversed.
    for volunteer in volunteers:
        for days_ago in rng.sample(range(2, 60), 6):
            start = rng.choice([9, 10, 13, 14]) * 60
            claim = claims.submit_claim(
                session,
                claims.ClaimRequest(
                    volunteer_id=volunteer.id,
                    organisation_id=rng.choice(organisations).id,
                    work_date=today - timedelta(days=days_ago),
                    start_minute=start,
                    end_minute=start + rng.choice([60, 90, 120, 180, 240]),
                    category=rng.choice(CATEGORIES),
                    note="데모 봉사",
                ),
                submitted_by_user_id=staff.id,
            )
            roll = rng.random()
            if roll < 0.65:
                claims.approve_claim(session, claim.id, reviewer_id=staff.id)
            elif roll < 0.72:
                claims.reject_claim(session, claim.id, reviewer_id=staff.id, reason="활동 확인서 누락")
            elif roll < 0.76:
                claims.approve_claim(session, claim.id, reviewer_id=staff.id)
                claims.reverse_claim(session, claim.id, reviewer_id=staff.id, reason="중복 신청 확인")
    return (
        f"demo data loaded: {len(organisations)} organisations, {len(volunteers)} volunteers with cards "
        f"(PIN {DEMO_PIN}); sign in as admin / staff / auditor / coordinator / volunteer "
        f"with password {DEMO_PASSWORD}"
    )

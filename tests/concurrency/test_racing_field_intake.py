"""Races at the edges of intake: double-clicked confirmations, and two scanners reading one card at once."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from mileage.audit import SYSTEM_ACTOR
from mileage.claims import uploads, visits
from mileage.claims.rules import DEFAULT_POLICY
from mileage.clock import SEOUL, seoul_today
from mileage.db import make_session_factory, run_in_transaction
from mileage.models import Claim, SiteVisit
from mileage.people.tokens import TokenSigner
from tests.concurrency.racing import race
from tests.support.factories import Factories

pytestmark = pytest.mark.postgres_only


def test_racing_confirmations_of_one_upload_create_its_claims_once(concurrent_engine):
    factory = make_session_factory(concurrent_engine)

    def seed(session):
        make = Factories(session)
        organisation = make.organisation()
        numbers = [make.card().number for _ in range(5)]
        book = Workbook()
        book.active.append(["카드번호", "기관ID", "날짜", "시작", "종료", "분야"])
        for number in numbers:
            book.active.append([number, organisation.id, seoul_today() - timedelta(days=1), "09:00", "11:00", "복지"])
        buffer = io.BytesIO()
        book.save(buffer)
        report = uploads.preview_claim_upload(session, buffer.getvalue(), actor=SYSTEM_ACTOR, policy=DEFAULT_POLICY)
        return report.upload_id, organisation.id

    upload_id, organisation_id = run_in_transaction(factory, seed)
    outcomes = race(concurrent_engine, 8, lambda session, _i: uploads.confirm_claim_upload(
        session, upload_id, actor=SYSTEM_ACTOR, policy=DEFAULT_POLICY).created)
    assert [outcome.error for outcome in outcomes] == [None] * 8
    assert sorted(outcome.value for outcome in outcomes) == [5] * 8
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(Claim)
                              .where(Claim.organisation_id == organisation_id)) == 5


def test_two_scanners_reading_one_printed_card_at_once_open_one_visit(concurrent_engine):
    factory = make_session_factory(concurrent_engine)
    signer = TokenSigner(key="racing-site-signing-key-32-bytes!!!!")

    def seed(session):
        make = Factories(session)
        return make.card().number, make.organisation().id

    number, organisation_id = run_in_transaction(factory, seed)
    # Every racer scans at the same instant, so none of them is a check-out a minute later.
    today = seoul_today()
    instant = datetime(today.year, today.month, today.day, 10, 0, tzinfo=SEOUL)
    outcomes = race(concurrent_engine, 6, lambda session, _i: visits.scan_at_site(
        session, signer, number, organisation_id=organisation_id, category="복지", actor=SYSTEM_ACTOR,
        policy=DEFAULT_POLICY, now=instant).action)
    actions = [outcome.value for outcome in outcomes if outcome.error is None]
    errors = [type(outcome.error).__name__ for outcome in outcomes if outcome.error is not None]
    # One scan checks in; the others see its visit (a check-out within the same minute is refused).
    assert actions == ["check_in"] and set(errors) == {"SiteVisitTooShort"}
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(SiteVisit)) == 1

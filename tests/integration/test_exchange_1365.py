"""The 1365 exchange: export approved hours, import them into a fresh database, get the same hours."""

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from mileage.audit import SYSTEM_ACTOR
from mileage.claims import exchange_1365, review
from mileage.claims.exchange_1365 import DEFAULT_PROFILE, ExchangeProfile
from mileage.claims.rules import DEFAULT_POLICY
from mileage.clock import seoul_today
from mileage.db import make_engine, make_session_factory, run_in_transaction
from mileage.ledger import get_balance
from mileage.migrations_runner import upgrade_database
from mileage.models import Card, Claim
from tests.support.databases import configured_server_url, scratch_database
from tests.support.factories import Factories

ORGANISATION = "상계 종합사회복지관"


def days_ago(n):
    return seoul_today() - timedelta(days=n)


def export(session, profile=DEFAULT_PROFILE):
    return exchange_1365.export_approved_hours(
        session, date_from=days_ago(30), date_to=seoul_today(), profile=profile, actor=SYSTEM_ACTOR
    )


def hours_of(session):
    return sorted(
        (claim.volunteer.portal_1365_id or "", claim.organisation.name, claim.work_date, claim.start_minute,
         claim.end_minute, claim.category, claim.state)
        for claim in session.scalars(select(Claim).where(Claim.state == "approved"))
    )


@pytest.fixture
def seeded(session, make):
    place = make.organisation(name=ORGANISATION)
    with_id = make.card(volunteer=make.volunteer(name="이서연", portal_1365_id="seoyeon77")).volunteer
    without_id = make.card(volunteer=make.volunteer(name="조수아")).volunteer
    for volunteer, day, start, minutes in [(with_id, 3, 540, 150), (with_id, 2, 780, 61), (without_id, 2, 540, 60)]:
        claim = make.claim(volunteer=volunteer, organisation=place, work_date=days_ago(day), start_minute=start,
                           minutes=minutes, category="노인복지")
        review.approve_claim(session, claim.id, actor=SYSTEM_ACTOR)
    make.claim(volunteer=with_id, organisation=place, work_date=days_ago(1))  # submitted: not exported
    return place, with_id


def test_the_export_has_the_default_profiles_columns_in_cp949(session, seeded):
    exported = export(session)
    rows = list(csv.reader(io.StringIO(exported.content.decode("cp949"))))
    assert rows[0] == [header for header, _name in DEFAULT_PROFILE.columns]
    assert [(r[0], r[1], r[3], r[4], r[5], r[7]) for r in rows[1:]] == [
        ("seoyeon77", "이서연", "09:00", "11:30", "150", ORGANISATION),
        ("seoyeon77", "이서연", "13:00", "14:01", "61", ORGANISATION),
    ]
    assert (exported.rows, exported.minutes, exported.skipped_without_1365_id) == (2, 211, 1)


def test_changing_the_profile_changes_the_file(session, seeded):
    profile = ExchangeProfile.from_mapping({
        "name": "portal-2027", "encoding": "utf-8-sig", "delimiter": "\t", "date_format": "%Y.%m.%d",
        "time_format": "%H%M", "columns": [["봉사자ID", "portal_1365_id"], ["일자", "work_date"], ["시작", "start"],
                                           ["종료", "end"], ["분야", "category"], ["기관", "organisation_name"]],
    })
    content = export(session, profile).content
    assert content.startswith("\ufeff".encode()) and content != export(session).content
    lines = content.decode("utf-8-sig").splitlines()
    assert lines[0] == "봉사자ID\t일자\t시작\t종료\t분야\t기관"
    assert lines[1] == f"seoyeon77\t{days_ago(3).strftime('%Y.%m.%d')}\t0900\t1130\t노인복지\t{ORGANISATION}"
    with pytest.raises(ValueError):
        ExchangeProfile.from_mapping({"columns": [["x", "no_such_field"]]})


def test_round_trip_into_a_fresh_database_gives_the_same_hours_exactly_once(session, seeded):
    exported = export(session)
    expected = [row for row in hours_of(session) if row[0]]
    with scratch_database(configured_server_url()) as url:
        upgrade_database(url)
        engine = make_engine(url)
        try:
            factory = make_session_factory(engine)

            def prepare(fresh):
                make = Factories(fresh)
                make.organisation(name=ORGANISATION)
                return make.card(volunteer=make.volunteer(name="이서연", portal_1365_id="seoyeon77")).id

            card_id = run_in_transaction(factory, prepare)

            def run(fresh):
                return exchange_1365.import_1365_hours(fresh, exported.content, actor=SYSTEM_ACTOR,
                                                       policy=DEFAULT_POLICY)

            first = run_in_transaction(factory, run)
            assert (first.approved, first.skipped, first.errors, first.approved_minutes) == (2, 0, 0, 211)
            again = run_in_transaction(factory, run)
            assert (again.approved, again.skipped) == (0, 2)
            with factory() as fresh:
                assert hours_of(fresh) == expected
                card = fresh.get(Card, card_id)
                assert get_balance(fresh, card.account_id) == DEFAULT_POLICY.points_for(211)
        finally:
            engine.dispose()


def test_rows_that_break_a_rule_or_name_nobody_are_reported_and_not_paid(session, make):
    place = make.organisation(name="중계 청소년수련관")
    make.card(volunteer=make.volunteer(name="정하늘", portal_1365_id="haneul"))
    header = ",".join(h for h, _n in DEFAULT_PROFILE.columns)
    day = days_ago(5).isoformat()
    text = "\r\n".join([
        header,
        f"haneul,정하늘,{day},08:00,17:30,570,교육,중계 청소년수련관,,",     # 9.5 h: over the 8-hour day
        f"nobody,누구,{day},09:00,10:00,60,교육,중계 청소년수련관,,",
        f"haneul,정하늘,{day},09:00,10:00,60,교육,없는 기관,,",
        f"haneul,정하늘,{days_ago(120).isoformat()},09:00,10:00,60,교육,중계 청소년수련관,,",  # past the window
        f"haneul,정하늘,{day},09:00,10:00,60,교육,중계 청소년수련관,,",
    ]).encode("cp949")
    report = exchange_1365.import_1365_hours(session, text, actor=SYSTEM_ACTOR, policy=DEFAULT_POLICY)
    assert [(row.status, row.messages[0].code if row.messages else None) for row in report.rows] == [
        ("error", "claim_exceeds_daily_limit"), ("error", "portal_1365_id_unknown"),
        ("error", "organisation_not_found"), ("error", "claim_outside_window"), ("ok", None),
    ]
    claims = session.scalars(select(Claim).where(Claim.organisation_id == place.id)).all()
    assert [(c.state, c.minutes) for c in claims] == [("approved", 60)]

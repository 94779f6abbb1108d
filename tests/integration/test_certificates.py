"""Certificates of hours against a real database: frozen once issued, corrections supersede, verification."""

from datetime import timedelta

import pytest

from mileage.audit import SYSTEM_ACTOR
from mileage.claims import certificates, review
from mileage.clock import seoul_today
from mileage.errors import CertificateHasNoHours, CertificatePeriodInvalid
from mileage.models import CertificateState

CENTRE = "노원구 자원봉사센터"


@pytest.fixture
def volunteer(make):
    return make.card(volunteer=make.volunteer(name="윤서준")).volunteer


def approved(make, session, volunteer, days_ago: int, minutes: int, organisation=None):
    claim = make.claim(volunteer=volunteer, work_date=seoul_today() - timedelta(days=days_ago), minutes=minutes,
                       organisation=organisation)
    return review.approve_claim(session, claim.id, actor=SYSTEM_ACTOR)


def issue(session, volunteer, start_days=30, end_days=0):
    today = seoul_today()
    return certificates.issue_certificate(
        session, volunteer.id, today - timedelta(days=start_days), today - timedelta(days=end_days),
        actor=SYSTEM_ACTOR, centre_name=CENTRE,
    )


def test_a_certificate_lists_each_approved_activity_and_the_total(session, make, volunteer):
    library = make.organisation(name="노원 어린이도서관")
    approved(make, session, volunteer, 3, 150, library)
    approved(make, session, volunteer, 2, 90)
    make.claim(volunteer=volunteer, work_date=seoul_today() - timedelta(days=1))  # submitted: not on it
    certificate = issue(session, volunteer)
    assert certificate.total_minutes == 240
    assert [(a["organisation"], a["minutes"]) for a in certificate.activities][0] == ("노원 어린이도서관", 150)
    assert len(certificate.activities) == 2
    assert certificate.serial.startswith(f"VC-{seoul_today().year}-") and certificate.holder_name == "윤서준"


def test_issuing_again_returns_the_same_one_and_a_correction_supersedes_it(session, make, volunteer):
    first_claim = approved(make, session, volunteer, 3, 120)
    approved(make, session, volunteer, 2, 60)
    first = issue(session, volunteer)
    assert issue(session, volunteer).id == first.id
    review.reverse_claim(session, first_claim.id, actor=SYSTEM_ACTOR, reason="기록 오류")
    # The issued certificate is frozen: the reversal does not change it...
    assert first.total_minutes == 180
    corrected = issue(session, volunteer)
    # ...a new one is issued and the old one says it was superseded.
    assert (corrected.id != first.id, corrected.total_minutes) == (True, 60)
    assert (first.state, first.superseded_by_id) == (CertificateState.SUPERSEDED, corrected.id)
    old = certificates.verify_certificate(session, first.serial)
    assert (old.valid, old.superseded_by) == (False, corrected.serial)


def test_the_verification_shows_only_the_masked_holder_period_and_total(session, make, volunteer):
    approved(make, session, volunteer, 3, 125)
    certificate = issue(session, volunteer)
    verification = certificates.verify_certificate(session, certificate.serial.lower())
    assert (verification.holder, verification.total_minutes, verification.valid) == ("윤*준", 125, True)
    assert not hasattr(verification, "activities") and not hasattr(verification, "holder_name")
    certificates.revoke_certificate(session, certificate.serial, actor=SYSTEM_ACTOR, reason="잘못 발급")
    assert certificates.verify_certificate(session, certificate.serial).state == "revoked"


def test_a_period_without_hours_or_in_the_future_is_refused(session, volunteer):
    with pytest.raises(CertificateHasNoHours):
        issue(session, volunteer)
    with pytest.raises(CertificatePeriodInvalid):
        issue(session, volunteer, start_days=3, end_days=-1)

"""Certificates of hours (자원봉사 확인서): a frozen copy of a volunteer's approved hours in a period.

A certificate is immutable once issued: its activities, total and holder are copied when it is
issued, so a later reversal or edit does not change a paper already handed over. Issuing again for
the same volunteer and period returns the same certificate while the hours are unchanged; when they
changed (a correction), a new certificate is issued and the old one is marked superseded by it.
Staff can revoke a certificate. The public verification shows the serial, the masked holder, the
period, the total and whether it still stands — nothing else.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from mileage.audit import Actor, record_audit
from mileage.claims.submission import format_clock_time
from mileage.clock import SEOUL, seoul_today, utc_now
from mileage.errors import (
    CertificateAlreadyRevoked,
    CertificateHasNoHours,
    CertificateNotFound,
    CertificatePeriodInvalid,
)
from mileage.models import Certificate, CertificateState, Claim, ClaimState, Organisation
from mileage.people.tokens import TokenSigner
from mileage.people.volunteers import get_volunteer

MAX_PERIOD = timedelta(days=3660)
# Without 0/O and 1/I/L, so that a serial read aloud or typed from paper is not mistaken.
_SERIAL_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CERTIFICATE_PRINT_TOKEN = "certificate_print"
PRINT_LINK_TTL = timedelta(minutes=30)


def print_token(signer: TokenSigner, serial: str) -> str:
    """Return a signed token that opens one certificate's print page for 30 minutes."""
    return signer.sign({"sub": f"certificate:{serial}"}, token_type=CERTIFICATE_PRINT_TOKEN, ttl=PRINT_LINK_TTL)


def _new_serial(session: Session, today: date) -> str:
    """Draw a serial that cannot be guessed from another: the verification page must not be enumerable."""
    while True:
        code = "".join(secrets.choice(_SERIAL_ALPHABET) for _ in range(10))
        serial = f"VC-{today.year}-{code[:5]}-{code[5:]}"
        if session.scalar(select(Certificate.id).where(Certificate.serial == serial)) is None:
            return serial


def _activities(session: Session, volunteer_id: int, period_start: date, period_end: date) -> list[dict]:
    rows = session.execute(
        select(Claim, Organisation.name)
        .join(Organisation, Organisation.id == Claim.organisation_id)
        .where(
            Claim.volunteer_id == volunteer_id,
            Claim.state == ClaimState.APPROVED,
            Claim.work_date >= period_start,
            Claim.work_date <= period_end,
        )
        .order_by(Claim.work_date, Claim.start_minute, Claim.id)
    ).all()
    return [
        {
            "claim_id": claim.id,
            "date": claim.work_date.isoformat(),
            "organisation": organisation_name,
            "category": claim.category,
            "start": format_clock_time(claim.start_minute),
            "end": format_clock_time(claim.end_minute),
            "minutes": claim.minutes,
        }
        for claim, organisation_name in rows
    ]


def issue_certificate(
    session: Session,
    volunteer_id: int,
    period_start: date,
    period_end: date,
    *,
    actor: Actor,
    centre_name: str,
) -> Certificate:
    """Issue a certificate of the volunteer's approved hours in a period (or return the standing one).

    :raises VolunteerNotFound:
    :raises CertificatePeriodInvalid:
    :raises CertificateHasNoHours:
    """
    volunteer = get_volunteer(session, volunteer_id)
    today = seoul_today()
    if period_start > period_end or period_end > today or period_end - period_start > MAX_PERIOD:
        raise CertificatePeriodInvalid()
    activities = _activities(session, volunteer.id, period_start, period_end)
    if not activities:
        raise CertificateHasNoHours()
    total = sum(item["minutes"] for item in activities)
    standing = session.scalars(
        select(Certificate)
        .where(
            Certificate.volunteer_id == volunteer.id,
            Certificate.period_start == period_start,
            Certificate.period_end == period_end,
            Certificate.state == CertificateState.VALID,
        )
        .with_for_update()
    ).all()
    for certificate in standing:
        if certificate.activities == activities and certificate.holder_name == volunteer.name:
            return certificate
    certificate = Certificate(
        serial=_new_serial(session, today),
        volunteer_id=volunteer.id,
        holder_name=volunteer.name,
        centre_name=centre_name,
        period_start=period_start,
        period_end=period_end,
        total_minutes=total,
        activities=activities,
        issued_by_user_id=actor.user_id,
        state=CertificateState.VALID,
    )
    session.add(certificate)
    session.flush()
    for old in standing:
        # The hours changed since the old one was issued: the new certificate is its correction.
        old.state = CertificateState.SUPERSEDED
        old.superseded_by_id = certificate.id
    session.flush()
    record_audit(
        session, actor, "certificate.issue", target_type="certificate", target_id=certificate.serial,
        after={"volunteer_id": volunteer.id, "period_start": period_start.isoformat(),
               "period_end": period_end.isoformat(), "total_minutes": total,
               "supersedes": [old.serial for old in standing]},
    )
    return certificate


def get_certificate(session: Session, serial: str, *, volunteer_id: int | None = None) -> Certificate:
    """Return a certificate by serial (only the volunteer's own when `volunteer_id` is given).

    :raises CertificateNotFound:
    """
    certificate = session.scalar(select(Certificate).where(Certificate.serial == (serial or "").strip().upper()))
    if certificate is None or (volunteer_id is not None and certificate.volunteer_id != volunteer_id):
        raise CertificateNotFound()
    return certificate


def list_certificates(session: Session, volunteer_id: int) -> list[Certificate]:
    """Return a volunteer's certificates, newest first."""
    return list(
        session.scalars(
            select(Certificate).where(Certificate.volunteer_id == volunteer_id).order_by(Certificate.id.desc())
        )
    )


def revoke_certificate(session: Session, serial: str, *, actor: Actor, reason: str) -> Certificate:
    """Revoke a standing certificate: its verification says so from now on.

    :raises CertificateNotFound:
    :raises CertificateAlreadyRevoked:
    """
    certificate = get_certificate(session, serial)
    if certificate.state != CertificateState.VALID:
        raise CertificateAlreadyRevoked()
    certificate.state = CertificateState.REVOKED
    certificate.revoked_at = utc_now()
    certificate.revocation_reason = reason.strip()[:500]
    session.flush()
    record_audit(session, actor, "certificate.revoke", target_type="certificate", target_id=certificate.serial,
                 after={"reason": certificate.revocation_reason})
    return certificate


def masked(name: str) -> str:
    """Return a name as the public verification shows it: 김민수 → 김*수."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


@dataclass(frozen=True)
class CertificateVerification:
    """What anyone holding the serial may learn: that it exists, for whom (masked), what it says."""

    serial: str
    holder: str
    period_start: date
    period_end: date
    total_minutes: int
    issued_on: date
    state: str
    superseded_by: str | None

    @property
    def valid(self) -> bool:
        return self.state == CertificateState.VALID


def verify_certificate(session: Session, serial: str) -> CertificateVerification:
    """Return the public facts of a certificate.

    :raises CertificateNotFound:
    """
    certificate = get_certificate(session, serial)
    newer = session.get(Certificate, certificate.superseded_by_id) if certificate.superseded_by_id else None
    return CertificateVerification(
        serial=certificate.serial,
        holder=masked(certificate.holder_name),
        period_start=certificate.period_start,
        period_end=certificate.period_end,
        total_minutes=certificate.total_minutes,
        issued_on=certificate.issued_at.astimezone(SEOUL).date(),
        state=certificate.state,
        superseded_by=newer.serial if newer is not None else None,
    )

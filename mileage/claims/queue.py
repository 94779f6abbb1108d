"""Lists of claims: the review queue with its filters, and the volunteer's own claims."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from mileage.claims.submission import organisation_in_scope
from mileage.models import AuditEvent, Claim, User
from mileage.pagination import Page, fetch_page


@dataclass(frozen=True)
class ClaimFilter:
    """Which claims a list holds: by state, organisation, volunteer, category and work dates (inclusive)."""

    state: str | None = None
    organisation_id: int | None = None
    volunteer_id: int | None = None
    category: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    def statement(self, organisation_scope: int | None):
        """Select the claims this filter matches, with their volunteer and organisation (for the lists).

        :raises NotOwner: a coordinator asked for another organisation.
        """
        statement = select(Claim).options(selectinload(Claim.volunteer), selectinload(Claim.organisation))
        if self.organisation_id is not None or organisation_scope is not None:
            statement = statement.where(
                Claim.organisation_id == organisation_in_scope(self.organisation_id, organisation_scope)
            )
        if self.state:
            statement = statement.where(Claim.state == self.state)
        if self.volunteer_id is not None:
            statement = statement.where(Claim.volunteer_id == self.volunteer_id)
        if self.category:
            statement = statement.where(Claim.category == self.category)
        if self.date_from is not None:
            statement = statement.where(Claim.work_date >= self.date_from)
        if self.date_to is not None:
            statement = statement.where(Claim.work_date <= self.date_to)
        return statement


def list_claims(
    session: Session,
    claim_filter: ClaimFilter,
    *,
    organisation_scope: int | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page[Claim]:
    """Return one page of the claims a filter matches, newest first.

    :raises NotOwner: a coordinator asked for another organisation.
    :raises InvalidCursor:
    """
    statement = claim_filter.statement(organisation_scope)
    return fetch_page(session, statement, Claim.id, limit=limit, cursor=cursor, newest_first=True)


# A whole event's claims, with room to spare; a larger selection is approved in several rounds.
MAX_MATCHING_CLAIMS = 2000


def list_matching_claims(
    session: Session, claim_filter: ClaimFilter, *, organisation_scope: int | None = None
) -> list[Claim]:
    """Return every claim a filter matches (oldest first, at most MAX_MATCHING_CLAIMS), for "select all N".

    :raises NotOwner: a coordinator asked for another organisation.
    """
    statement = claim_filter.statement(organisation_scope).order_by(Claim.id).limit(MAX_MATCHING_CLAIMS)
    return list(session.scalars(statement))


def my_claims(session: Session, volunteer_id: int, *, limit: int | None = None, cursor: str | None = None) -> Page:
    """Return one page of the volunteer's hours claims, newest first.

    :raises InvalidCursor:
    """
    query = select(Claim).options(joinedload(Claim.organisation)).where(Claim.volunteer_id == volunteer_id)
    return fetch_page(session, query, Claim.id, limit=limit, cursor=cursor, newest_first=True)


def claim_history(session: Session, claim_id: int) -> list[tuple[AuditEvent, User | None]]:
    """Return what happened to a claim, oldest first: submitted, corrected, approved, rejected, reversed, by whom.

    Bulk approvals and their undo are recorded against each claim as well as against the batch.
    """
    events = session.execute(
        select(AuditEvent, User)
        .outerjoin(User, User.id == AuditEvent.actor_user_id)
        .where(AuditEvent.target_type == "claim", AuditEvent.target_id == str(claim_id))
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    )
    return [(event, user) for event, user in events]

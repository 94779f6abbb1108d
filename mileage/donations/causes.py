"""Donation causes: the district food bank, a neighbour-support fund... created, edited, opened and closed by staff.

Each cause has its own ledger account, which holds exactly what was donated to it minus what was
handed over.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mileage.audit import Actor, record_audit
from mileage.clock import utc_now
from mileage.db import update_rows
from mileage.errors import (
    CauseClosed,
    CauseNameTaken,
    CauseNotFound,
    CauseStatusUnchanged,
)
from mileage.ledger import get_balance, open_account
from mileage.models import (
    AccountKind,
    Cause,
    CauseStatus,
    Disbursement,
)
from mileage.pagination import Page, fetch_page

EDITABLE_CAUSE_FIELDS = ("name", "receiving_organisation", "description", "target_points", "yearly_cap_per_volunteer")


@dataclass(frozen=True)
class CauseSummary:
    """A cause with its ledger figures: what it holds, and what was donated and handed over in total."""

    cause: Cause
    balance: int
    disbursed: int

    @property
    def donated(self) -> int:
        # Only donations credit a cause account and only disbursements debit it.
        return self.balance + self.disbursed


def _cause_state(cause: Cause) -> dict:
    return {
        "name": cause.name,
        "receiving_organisation": cause.receiving_organisation,
        "description": cause.description,
        "target_points": cause.target_points,
        "yearly_cap_per_volunteer": cause.yearly_cap_per_volunteer,
        "status": cause.status,
    }


def create_cause(
    session: Session,
    *,
    name: str,
    receiving_organisation: str,
    description: str = "",
    target_points: int | None = None,
    yearly_cap_per_volunteer: int | None = None,
    actor: Actor,
) -> Cause:
    """Open a donation cause with its own ledger account.

    :raises CauseNameTaken:
    """
    name = name.strip()
    _ensure_cause_name_free(session, name)
    with _unique_cause_name(session, name):
        # A random code rather than the name, which staff may edit, or the id, which does not exist yet.
        account = open_account(session, AccountKind.CAUSE, f"cause:{secrets.token_hex(8)}")
        cause = Cause(
            name=name,
            receiving_organisation=receiving_organisation.strip(),
            description=description,
            target_points=target_points,
            yearly_cap_per_volunteer=yearly_cap_per_volunteer,
            status=CauseStatus.ACTIVE,
            account_id=account.id,
            created_by_user_id=actor.user_id,
        )
        session.add(cause)
        session.flush()
    record_audit(session, actor, "cause.create", target_type="cause", target_id=cause.id, after=_cause_state(cause))
    return cause


@contextmanager
def _unique_cause_name(session: Session, name: str) -> Iterator[None]:
    """Turn losing a race for a name (the unique index) into the same refusal as the check before it."""
    try:
        with session.begin_nested():
            yield
    except IntegrityError as exc:
        raise CauseNameTaken(name=name) from exc


def _ensure_cause_name_free(session: Session, name: str, *, except_cause_id: int | None = None) -> None:
    query = select(Cause.id).where(Cause.name == name)
    if except_cause_id is not None:
        query = query.where(Cause.id != except_cause_id)
    if session.scalar(query) is not None:
        raise CauseNameTaken(name=name)


def get_cause(session: Session, cause_id: int) -> Cause:
    """Return a cause.

    :raises CauseNotFound:
    """
    cause = session.get(Cause, cause_id)
    if cause is None:
        raise CauseNotFound(cause_id=cause_id)
    return cause


def edit_cause(session: Session, cause_id: int, *, actor: Actor, **changes) -> Cause:
    """Change a cause's name, receiving organisation, description or target.

    :raises CauseNotFound:
    :raises CauseNameTaken:
    """
    cause = get_cause(session, cause_id)
    unknown = set(changes) - set(EDITABLE_CAUSE_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    before = _cause_state(cause)
    if "name" in changes:
        changes["name"] = changes["name"].strip()
        _ensure_cause_name_free(session, changes["name"], except_cause_id=cause_id)
    if "receiving_organisation" in changes:
        changes["receiving_organisation"] = changes["receiving_organisation"].strip()
    with _unique_cause_name(session, changes.get("name", cause.name)):
        for name, value in changes.items():
            setattr(cause, name, value)
        session.flush()
    record_audit(session, actor, "cause.edit", target_type="cause", target_id=cause_id, before=before,
                 after=_cause_state(cause))
    return cause


def set_cause_status(session: Session, cause_id: int, status: CauseStatus, *, actor: Actor) -> Cause:
    """Close a cause to new donations, or open it again; what it holds can still be disbursed.

    :raises CauseNotFound:
    :raises CauseStatusUnchanged:
    """
    cause = get_cause(session, cause_id)
    before = _cause_state(cause)
    # Conditional on the current status, so two staff members cannot both "close" it.
    changed = update_rows(
        session, Cause, Cause.id == cause_id, Cause.status != str(status),
        status=str(status), closed_at=utc_now() if status == CauseStatus.CLOSED else None,
    )
    if changed != 1:
        raise CauseStatusUnchanged(status=str(status))
    session.refresh(cause)
    record_audit(session, actor, f"cause.{'close' if status == CauseStatus.CLOSED else 'reopen'}",
                 target_type="cause", target_id=cause_id, before=before, after=_cause_state(cause))
    return cause


def summarise_cause(session: Session, cause: Cause) -> CauseSummary:
    """Return a cause with its balance and its disbursed total."""
    disbursed = session.scalar(
        select(func.coalesce(func.sum(Disbursement.points), 0)).where(Disbursement.cause_id == cause.id)
    )
    return CauseSummary(cause=cause, balance=get_balance(session, cause.account_id), disbursed=int(disbursed))


def list_causes(
    session: Session, *, status: CauseStatus | None = None, limit: int | None = None, cursor: str | None = None
) -> Page:
    """Return one page of causes with their figures, oldest first.

    :raises InvalidCursor:
    """
    query = select(Cause)
    if status is not None:
        query = query.where(Cause.status == str(status))
    page = fetch_page(session, query, Cause.id, limit=limit, cursor=cursor)
    return Page([summarise_cause(session, cause) for cause in page.items], page.next_cursor)


def get_open_cause(session: Session, cause_id: int) -> Cause:
    """Return a cause that takes donations.

    :raises CauseNotFound:
    :raises CauseClosed:
    """
    cause = get_cause(session, cause_id)
    if cause.status != CauseStatus.ACTIVE:
        raise CauseClosed(name=cause.name)
    return cause

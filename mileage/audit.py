"""The staff audit log: every state-changing staff or admin action, appended in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from mileage.clock import seoul_day_start
from mileage.models import AuditEvent
from mileage.pagination import Page, clamp_page_size, decode_cursor, page_of


@dataclass(frozen=True)
class Actor:
    """Who did something, and from where (for the audit log)."""

    user_id: int | None
    role: str
    ip_address: str | None = None
    request_id: str | None = None


SYSTEM_ACTOR = Actor(user_id=None, role="system")


def record_audit(
    session: Session,
    actor: Actor,
    action: str,
    *,
    target_type: str,
    target_id: object = None,
    before: dict | None = None,
    after: dict | None = None,
    flush: bool = True,
) -> AuditEvent:
    """Append one audit event; it commits or rolls back with the action it describes.

    A bulk action passes flush=False for each event and flushes once: one INSERT for them all.
    """
    event = AuditEvent(
        actor_user_id=actor.user_id,
        actor_role=actor.role,
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        before=before,
        after=after,
        ip_address=actor.ip_address,
        request_id=actor.request_id,
    )
    session.add(event)
    if flush:
        session.flush()
    return event


def list_audit_events(
    session: Session,
    *,
    limit: int = 50,
    before_id: int | None = None,
    actor_user_id: int | None = None,
    action: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[AuditEvent]:
    """Return audit events newest first, filtered, one keyset page (ids below before_id)."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    if actor_user_id is not None:
        query = query.where(AuditEvent.actor_user_id == actor_user_id)
    if action:
        query = query.where(AuditEvent.action == action)
    if target_type:
        query = query.where(AuditEvent.target_type == target_type)
    if target_id:
        query = query.where(AuditEvent.target_id == target_id)
    if since is not None:
        query = query.where(AuditEvent.occurred_at >= since)
    if until is not None:
        query = query.where(AuditEvent.occurred_at < until)
    return list(session.scalars(query))


def find_audit_events(
    session: Session,
    *,
    actor_user_id: int | None = None,
    action: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page[AuditEvent]:
    """Return one page of the audit log, newest first; the dates are Seoul days, both inclusive.

    :raises InvalidCursor:
    """
    limit = clamp_page_size(limit)
    events = list_audit_events(
        session,
        limit=limit + 1,
        before_id=decode_cursor(cursor) if cursor else None,
        actor_user_id=actor_user_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        since=seoul_day_start(date_from) if date_from else None,
        until=seoul_day_start(date_to + timedelta(days=1)) if date_to else None,
    )
    return Page(*page_of(events, limit))

"""The rule sets in the database: which one is in force on a day, the list, and new versions.

`rule_set_on(session, day)` is what the claim checks and the approvals ask: the switches (daily
maximum, claim window, self-submission, minimum age, categories) and the earning rules of the version
in force on the day the volunteering happened.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mileage.audit import Actor, record_audit
from mileage.clock import seoul_today
from mileage.errors import RuleSetNotFound, RuleSetRewritesPaidClaims, RuleSetStartsInPast, TransactionConflict
from mileage.models import Claim, ClaimState, RuleSetVersion
from mileage.programme.rules import RuleSet, rule_set_from_definition

# Claims whose points were posted: a new rule set may not start on or before their days.
PAID_STATES = (ClaimState.APPROVED, ClaimState.REVERSED)


@dataclass(frozen=True)
class RuleBook:
    """Every version, by effective date: answers which rules were in force on a day."""

    versions: tuple[RuleSet, ...]

    @classmethod
    def of_one(cls, rules: RuleSet) -> RuleBook:
        """Return a book with one rule set in force on every day."""
        return cls((rules,))

    def on(self, day: date) -> RuleSet:
        """Return the rule set in force on a day (the first one for days before every version)."""
        starts = [rules.effective_from for rules in self.versions]
        index = bisect.bisect_right(starts, day) - 1
        return self.versions[max(index, 0)]


def _rule_set_of(row: RuleSetVersion) -> RuleSet:
    return rule_set_from_definition(row.definition, name=row.name, version=row.version,
                                    effective_from=row.effective_from)


def load_rule_book(session: Session) -> RuleBook:
    """Return every rule set version, ordered so that `on(day)` finds the one in force.

    On the same effective date the higher version wins, so it sorts last.
    """
    rows = session.scalars(select(RuleSetVersion).order_by(RuleSetVersion.effective_from, RuleSetVersion.version))
    versions = tuple(_rule_set_of(row) for row in rows)
    return RuleBook(versions or (RuleSet(),))


def rule_set_on(session: Session, day: date) -> RuleSet:
    """Return the rule set in force on a Seoul day: what a claim of that day is checked against and paid by."""
    return load_rule_book(session).on(day)


def current_rule_set(session: Session, *, today: date | None = None) -> RuleSet:
    """Return the rule set in force today."""
    return rule_set_on(session, today or seoul_today())


def list_rule_sets(session: Session) -> list[RuleSetVersion]:
    """Return every version, newest first."""
    return list(session.scalars(select(RuleSetVersion).order_by(RuleSetVersion.version.desc())))


def get_rule_set(session: Session, version: int) -> RuleSetVersion:
    """Return one version.

    :raises RuleSetNotFound:
    """
    row = session.scalar(select(RuleSetVersion).where(RuleSetVersion.version == version))
    if row is None:
        raise RuleSetNotFound(version=version)
    return row


def paid_through(session: Session) -> date | None:
    """Return the latest day of volunteering whose points were posted, if any."""
    return session.scalar(
        select(func.max(Claim.work_date)).where(Claim.state.in_([str(state) for state in PAID_STATES]))
    )


def create_rule_set(
    session: Session,
    *,
    name: str,
    effective_from: date,
    definition: dict,
    actor: Actor,
    note: str = "",
    preset: str | None = None,
    today: date | None = None,
    allow_past: bool = False,
) -> RuleSetVersion:
    """Add a rule set version in force from a day on; what was already paid is never rewritten.

    The day is today or later (a centre setting up with `allow_past`, from the CLI, may start earlier),
    and always after the last day whose hours were paid.

    :raises InvalidRuleSet:
    :raises RuleSetStartsInPast:
    :raises RuleSetRewritesPaidClaims:
    :raises TransactionConflict: another version took the same number first; run again.
    """
    today = today or seoul_today()
    rules = rule_set_from_definition(definition, name=name, effective_from=effective_from)
    if effective_from < today and not allow_past:
        raise RuleSetStartsInPast(today=today.isoformat())
    last = session.scalar(select(func.max(RuleSetVersion.version)))
    paid = paid_through(session)
    if paid is not None and effective_from <= paid:
        raise RuleSetRewritesPaidClaims(paid_through=paid.isoformat())
    row = RuleSetVersion(
        version=(last or 0) + 1,
        name=name.strip()[:200] or f"v{(last or 0) + 1}",
        effective_from=effective_from,
        definition=rules.definition(),
        preset=preset,
        note=note,
        created_by_user_id=actor.user_id,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as exc:
        # Another admin took this version number first: the unit of work runs again and takes the next.
        raise TransactionConflict(version=row.version) from exc
    record_audit(session, actor, "rule_set.create", target_type="rule_set", target_id=row.version,
                 after={"name": row.name, "effective_from": effective_from.isoformat(), "preset": preset,
                        "definition": row.definition})
    return row

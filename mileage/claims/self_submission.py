"""Whether volunteers may submit their own hours: one question, asked of the rules in force that day."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from mileage.claims.rules import ClaimPolicy, policy_on


def volunteers_may_submit(session: Session, day: date, *, policy: ClaimPolicy | None = None) -> bool:
    """Tell whether volunteers may submit their own claims for hours worked on a day (the rule set then)."""
    return policy_on(session, day, policy).volunteers_may_self_submit

"""Whether volunteers may submit their own hours: one question, asked of the rules in force that day.

Today the answer is the configured claim policy's `volunteers_may_self_submit`; when the rule sets
become effective-dated data, this function reads the set in force on `day` and nothing else changes.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from mileage.claims.rules import ClaimPolicy


def volunteers_may_submit(session: Session, day: date, *, policy: ClaimPolicy) -> bool:
    """Tell whether volunteers may submit their own claims for hours worked on a day."""
    return policy.volunteers_may_self_submit

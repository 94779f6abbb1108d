"""Volunteers: registering them (with an optional sign-in), finding them, their profile, and edits.

Every change made at the desk is written to the audit log in the same transaction.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from sqlalchemy import exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mileage.audit import Actor, record_audit
from mileage.cards.lookup import CardWithBalance, current_card, with_balance
from mileage.cards.numbers import is_valid_card_number
from mileage.errors import (
    Portal1365IdTaken,
    VolunteerHasNoCard,
    VolunteerNotFound,
)
from mileage.models import Card, Role, User, Volunteer, VolunteerStatus
from mileage.pagination import Page, fetch_page
from mileage.people.users import create_user


def get_volunteer(session: Session, volunteer_id: int) -> Volunteer:
    """Return a volunteer.

    :raises VolunteerNotFound:
    """
    volunteer = session.get(Volunteer, volunteer_id)
    if volunteer is None:
        raise VolunteerNotFound(volunteer_id=volunteer_id)
    return volunteer


# Fields staff may change on a volunteer, as the audit log names them.
EDITABLE_FIELDS = ("name", "phone", "birth_date", "portal_1365_id", "status")


# A search needs this many digits before it is also tried against phone numbers.
MIN_PHONE_DIGITS = 3


@dataclass
class VolunteerProfile:
    """What the desk sees about one volunteer: details, every card, the current balance, the sign-in."""

    volunteer: Volunteer
    cards: list[CardWithBalance]
    current_card: Card | None
    balance: int
    login: User | None


def enrol_volunteer(
    session: Session,
    *,
    actor: Actor,
    name: str,
    phone: str,
    birth_date: date | None = None,
    portal_1365_id: str | None = None,
    username: str | None = None,
    password: str | None = None,
) -> VolunteerProfile:
    """Register a volunteer (without a card yet) and, when a username is given, a `volunteer` sign-in for them.

    :raises Portal1365IdTaken:
    :raises UsernameTaken:
    :raises WeakPassword:
    """
    portal_1365_id = (portal_1365_id or "").strip() or None
    _ensure_portal_id_free(session, portal_1365_id)
    volunteer = Volunteer(
        name=name.strip(), phone=phone.strip(), birth_date=birth_date, portal_1365_id=portal_1365_id,
        status=VolunteerStatus.ACTIVE,
    )
    with _portal_id_guard(session, portal_1365_id):
        session.add(volunteer)
        session.flush()
    login = None
    if username:
        login = create_user(
            session,
            actor=actor,
            username=username,
            password=password or "",
            role=Role.VOLUNTEER,
            display_name=volunteer.name,
            volunteer_id=volunteer.id,
        )
    after = _volunteer_state(volunteer) | {"login_username": login.username if login else None}
    record_audit(session, actor, "volunteer.register", target_type="volunteer", target_id=volunteer.id, after=after)
    return get_volunteer_profile(session, volunteer.id)


def edit_volunteer(session: Session, volunteer_id: int, *, actor: Actor, **changes) -> VolunteerProfile:
    """Change a volunteer's name, phone, birth date, 1365 id or status; only the given fields change.

    :raises VolunteerNotFound:
    :raises Portal1365IdTaken:
    """
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    volunteer = get_volunteer(session, volunteer_id)
    if "name" in changes:
        changes["name"] = changes["name"].strip()
    if "phone" in changes:
        changes["phone"] = changes["phone"].strip()
    if "portal_1365_id" in changes:
        changes["portal_1365_id"] = (changes["portal_1365_id"] or "").strip() or None
    if "status" in changes:
        changes["status"] = str(VolunteerStatus(changes["status"]))
    before = _volunteer_state(volunteer)
    changed = {name: value for name, value in changes.items() if _state_value(value) != before[name]}
    if not changed:
        return get_volunteer_profile(session, volunteer_id)
    if "portal_1365_id" in changed:
        _ensure_portal_id_free(session, changed["portal_1365_id"], except_volunteer_id=volunteer_id)
    with _portal_id_guard(session, changed.get("portal_1365_id")):
        for name, value in changed.items():
            setattr(volunteer, name, value)
        session.flush()
    record_audit(
        session,
        actor,
        "volunteer.edit",
        target_type="volunteer",
        target_id=volunteer_id,
        before={name: before[name] for name in changed},
        after={name: _state_value(value) for name, value in changed.items()},
    )
    return get_volunteer_profile(session, volunteer_id)


def get_volunteer_profile(session: Session, volunteer_id: int) -> VolunteerProfile:
    """Return a volunteer with every card, each card's balance, the current card and the sign-in.

    :raises VolunteerNotFound:
    """
    volunteer = get_volunteer(session, volunteer_id)
    held = [with_balance(session, card) for card in volunteer.cards]
    try:
        current = current_card(session, volunteer_id)
    except VolunteerHasNoCard:
        current = None
    balance = next((entry.balance for entry in held if current is not None and entry.card.id == current.id), 0)
    login = session.scalar(select(User).where(User.volunteer_id == volunteer_id))
    return VolunteerProfile(volunteer=volunteer, cards=held, current_card=current, balance=balance, login=login)


def search_volunteers(
    session: Session,
    query: str = "",
    *,
    status: str | None = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page[Volunteer]:
    """Find volunteers whose name, phone number, card number or 1365 id matches what staff typed.

    A name matches by any part of it; a phone number by its digits, with or without dashes, so
    the last four digits are enough; a card number (any status) whole or by its last four digits;
    a 1365 id only whole.
    Oldest registration first.

    :raises InvalidCursor:
    """
    statement = select(Volunteer)
    query = (query or "").strip()
    if query:
        statement = statement.where(or_(*_search_conditions(query)))
    if status:
        statement = statement.where(Volunteer.status == status)
    return fetch_page(session, statement, Volunteer.id, limit=limit, cursor=cursor)


def _search_conditions(query: str) -> list:
    conditions = [Volunteer.name.contains(query, autoescape=True), Volunteer.portal_1365_id == query]
    digits = re.sub(r"[^0-9]", "", query)
    # Only when what was typed looks like a number: "김민수 1" must not match every phone with a 1.
    if len(digits) >= MIN_PHONE_DIGITS and re.fullmatch(r"[0-9\s().+-]+", query):
        stored_digits = func.replace(func.replace(Volunteer.phone, "-", ""), " ", "")
        conditions.append(stored_digits.contains(digits, autoescape=True))
    if is_valid_card_number(digits):
        conditions.append(exists().where(Card.volunteer_id == Volunteer.id, Card.number == digits))
    # The last four digits of a card, as printed on it and as shops and phones show it (**** 1234).
    if re.fullmatch(r"[\s*-]*[0-9]{4}", query):
        conditions.append(exists().where(Card.volunteer_id == Volunteer.id, Card.number.endswith(digits)))
    return conditions


def _ensure_portal_id_free(session: Session, portal_1365_id: str | None, *, except_volunteer_id: int | None = None):
    if portal_1365_id is None:
        return
    holder = session.scalar(select(Volunteer.id).where(Volunteer.portal_1365_id == portal_1365_id))
    if holder is not None and holder != except_volunteer_id:
        raise Portal1365IdTaken()


@contextmanager
def _portal_id_guard(session: Session, portal_1365_id: str | None) -> Iterator[None]:
    """Turn a unique-constraint race on the 1365 id into Portal1365IdTaken instead of a 500.

    The check before it answers nearly every case; this covers two desks saving one id at once.
    """
    if portal_1365_id is None:
        yield
        return
    try:
        with session.begin_nested():
            yield
    except IntegrityError as exc:
        raise Portal1365IdTaken() from exc


def _state_value(value):
    """Return a value as the audit log stores it (JSON: dates as ISO strings)."""
    return value.isoformat() if isinstance(value, date) else value


def _volunteer_state(volunteer: Volunteer) -> dict:
    return {name: _state_value(getattr(volunteer, name)) for name in EDITABLE_FIELDS}

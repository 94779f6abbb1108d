"""Organisations where volunteering happens, and the coordinators who submit hours for them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mileage.audit import Actor, record_audit
from mileage.errors import (
    OrganisationNameTaken,
    OrganisationNotFound,
)
from mileage.models import (
    Organisation,
    Role,
    User,
)
from mileage.pagination import Page, fetch_page
from mileage.people.users import create_user


def get_organisation(session: Session, organisation_id: int) -> Organisation:
    """Return an organisation.

    :raises OrganisationNotFound:
    """
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise OrganisationNotFound(organisation_id=organisation_id)
    return organisation


def create_organisation(
    session: Session, *, actor: Actor, name: str, address: str = "", phone: str = ""
) -> Organisation:
    """Register an organisation under a name no other organisation has.

    :raises OrganisationNameTaken:
    """
    name = name.strip()
    if session.scalar(select(Organisation.id).where(Organisation.name == name)) is not None:
        raise OrganisationNameTaken(name=name)
    try:
        # A savepoint, so that two desks creating one name at once get a 409 rather than a 500.
        with session.begin_nested():
            organisation = Organisation(name=name, address=address, phone=phone)
            session.add(organisation)
            session.flush()
    except IntegrityError as exc:
        raise OrganisationNameTaken(name=name) from exc
    record_audit(
        session,
        actor,
        "organisation.create",
        target_type="organisation",
        target_id=organisation.id,
        after={"name": organisation.name, "address": organisation.address, "phone": organisation.phone},
    )
    return organisation


def list_organisations(
    session: Session, *, name: str = "", limit: int | None = None, cursor: str | None = None
) -> Page[Organisation]:
    """Return organisations in the order they were registered, optionally only names containing a text.

    :raises InvalidCursor:
    """
    statement = select(Organisation)
    if name.strip():
        statement = statement.where(Organisation.name.contains(name.strip(), autoescape=True))
    return fetch_page(session, statement, Organisation.id, limit=limit, cursor=cursor)


def create_coordinator(
    session: Session,
    organisation_id: int,
    *,
    actor: Actor,
    username: str,
    password: str,
    display_name: str = "",
) -> User:
    """Create a coordinator's sign-in, attached to one organisation.

    :raises OrganisationNotFound:
    :raises UsernameTaken:
    :raises WeakPassword:
    """
    get_organisation(session, organisation_id)
    user = create_user(
        session,
        actor=actor,
        username=username,
        password=password,
        role=Role.COORDINATOR,
        display_name=display_name.strip(),
        organisation_id=organisation_id,
    )
    record_audit(
        session,
        actor,
        "coordinator.create",
        target_type="user",
        target_id=user.id,
        after={"username": user.username, "organisation_id": organisation_id, "role": user.role},
    )
    return user


def list_coordinators(
    session: Session, organisation_id: int, *, limit: int | None = None, cursor: str | None = None
) -> Page[User]:
    """Return the coordinators of one organisation, oldest first.

    :raises OrganisationNotFound:
    :raises InvalidCursor:
    """
    get_organisation(session, organisation_id)
    statement = select(User).where(User.organisation_id == organisation_id, User.role == str(Role.COORDINATOR))
    return fetch_page(session, statement, User.id, limit=limit, cursor=cursor)

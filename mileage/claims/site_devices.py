"""Site devices: a tablet at a volunteering site, owned by its organisation, that checks volunteers in.

A device signs in with a key id and a secret. The secret is shown once when the device is created,
stored only as an argon2 hash, and stops working the moment a coordinator or staff revokes it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from mileage.audit import Actor, record_audit
from mileage.clock import utc_now
from mileage.errors import InvalidSiteDeviceCredentials, SiteDeviceNotFound, SiteDeviceRevoked
from mileage.hashing import hash_secret, verify_secret
from mileage.models import SiteDevice
from mileage.people.organisations import get_organisation
from mileage.people.roles import SITE_DEVICE as SITE_ROLE
from mileage.people.tokens import ACCESS, Principal, TokenSigner

SITE_DEVICE_TOKEN_TTL = timedelta(hours=12)


@cache
def _dummy_secret_hash() -> str:
    """A hash checked for an unknown device, so that it costs as long as a wrong secret (made on first use)."""
    return hash_secret(secrets.token_hex(16))


@dataclass(frozen=True)
class NewSiteDevice:
    """A device just created, with its secret: the only time the secret is seen."""

    device: SiteDevice
    secret: str


def create_site_device(session: Session, organisation_id: int, *, name: str, actor: Actor) -> NewSiteDevice:
    """Register a site device for an organisation and return it with its one-time secret.

    :raises OrganisationNotFound:
    """
    get_organisation(session, organisation_id)
    secret = secrets.token_urlsafe(24)
    device = SiteDevice(
        organisation_id=organisation_id,
        name=name.strip()[:100] or "현장 단말기",
        key_id=f"site_{secrets.token_hex(8)}",
        secret_hash=hash_secret(secret),
        created_by_user_id=actor.user_id,
    )
    session.add(device)
    session.flush()
    record_audit(session, actor, "site_device.create", target_type="site_device", target_id=device.id,
                 after={"organisation_id": organisation_id, "name": device.name, "key_id": device.key_id})
    return NewSiteDevice(device=device, secret=secret)


def get_site_device(session: Session, device_id: int, *, organisation_scope: int | None = None) -> SiteDevice:
    """Return a device of the caller's organisation (any, for staff).

    :raises SiteDeviceNotFound:
    """
    device = session.get(SiteDevice, device_id)
    if device is None or (organisation_scope is not None and device.organisation_id != organisation_scope):
        raise SiteDeviceNotFound(device_id=device_id)
    return device


def list_site_devices(session: Session, organisation_id: int) -> list[SiteDevice]:
    """Return an organisation's devices, newest first."""
    return list(
        session.scalars(select(SiteDevice).where(SiteDevice.organisation_id == organisation_id)
                        .order_by(SiteDevice.id.desc()))
    )


def revoke_site_device(
    session: Session, device_id: int, *, actor: Actor, organisation_scope: int | None = None
) -> SiteDevice:
    """Stop a device from signing in or scanning, at once (its tokens are checked on every request).

    :raises SiteDeviceNotFound:
    """
    device = get_site_device(session, device_id, organisation_scope=organisation_scope)
    if device.revoked_at is None:
        device.revoked_at = utc_now()
        session.flush()
        record_audit(session, actor, "site_device.revoke", target_type="site_device", target_id=device.id,
                     after={"revoked_at": device.revoked_at.isoformat()})
    return device


def authenticate_site_device(session: Session, key_id: str, secret: str) -> SiteDevice:
    """Return the device whose key id and secret match, if it is not revoked.

    :raises InvalidSiteDeviceCredentials: unknown key id or wrong secret (indistinguishable).
    :raises SiteDeviceRevoked:
    """
    device = session.scalar(select(SiteDevice).where(SiteDevice.key_id == (key_id or "").strip()))
    if device is None:
        verify_secret(_dummy_secret_hash(), secret or "")
        raise InvalidSiteDeviceCredentials()
    if not verify_secret(device.secret_hash, secret or ""):
        raise InvalidSiteDeviceCredentials()
    if device.revoked_at is not None:
        raise SiteDeviceRevoked()
    return device


def ensure_site_device_active(session: Session, device_id: int) -> SiteDevice:
    """Refuse a device token once its device is revoked.

    :raises SiteDeviceRevoked:
    """
    device = session.get(SiteDevice, device_id)
    if device is None or device.revoked_at is not None:
        raise SiteDeviceRevoked()
    return device


def site_device_principal(device: SiteDevice) -> Principal:
    """Return whom a device speaks for: its organisation, in the site role only."""
    return Principal(role=SITE_ROLE, organisation_id=device.organisation_id, site_device_id=device.id)


def issue_site_device_token(session: Session, signer: TokenSigner, key_id: str, secret: str) -> dict:
    """Exchange a device's key id and secret for an access token of the site role.

    :raises InvalidSiteDeviceCredentials:
    :raises SiteDeviceRevoked:
    """
    device = authenticate_site_device(session, key_id, secret)
    principal = site_device_principal(device)
    token = signer.sign(
        {"sub": principal.scope, **principal.claims()}, token_type=ACCESS, ttl=SITE_DEVICE_TOKEN_TTL
    )
    return {"access_token": token, "token_type": "Bearer", "expires_in": int(SITE_DEVICE_TOKEN_TTL.total_seconds()),
            "device": device}


"""The audit log: every staff action, newest first, filtered by who, what, which target and when."""

from __future__ import annotations

import json

from flask import Blueprint, render_template, request

from admin.console import forms
from admin.console.i18n import N_, NP_
from mileage.audit import find_audit_events
from mileage.errors import UserNotFound
from mileage.http.boundary import get_session
from mileage.labels import LABELS
from mileage.people import users

blueprint = Blueprint("audit", __name__, url_prefix="/audit")

PAGE_SIZE = 50


def change_text(values: dict | None) -> str:
    """Return an audit event's before or after state as short, readable JSON (Korean kept as is)."""
    if not values:
        return ""
    return json.dumps(values, ensure_ascii=False, sort_keys=True, default=str)


@blueprint.get("/")
def index():
    """Show one page of the audit log."""
    session = get_session()
    filters = {
        "actor_user_id": forms.integer("actor_user_id", label=N_("Who"), minimum=1, where="args"),
        "action": forms.text("action", label=N_("Action"), where="args", max_length=64) or None,
        "target_type": forms.text("target_type", label=N_("Target type"), where="args", max_length=32) or None,
        "target_id": forms.text("target_id", label=N_("Target id"), where="args", max_length=64) or None,
        "date_from": forms.day("date_from", label=NP_("common.date_from", "From"), where="args"),
        "date_to": forms.day("date_to", label=N_("To"), where="args"),
    }
    page = find_audit_events(session, **filters, limit=PAGE_SIZE, cursor=request.args.get("cursor") or None)
    actors = {}
    for user_id in {event.actor_user_id for event in page.items if event.actor_user_id is not None}:
        try:
            actors[user_id] = users.get_user(session, user_id)
        except UserNotFound:
            continue
    return render_template(
        "console/audit/index.html", page=page, filters=filters, actors=actors, change_text=change_text,
        action_codes=list(LABELS["action"]), target_types=list(LABELS["target_type"]),
    )

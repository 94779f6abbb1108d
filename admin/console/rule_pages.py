"""The programme's rules: the versions, a new version (admins), and what-if on the last 12 months."""

from __future__ import annotations

import re

from flask import Blueprint, flash, redirect, render_template, request, url_for

from admin.console import forms
from admin.console.forms import FormInvalid
from admin.console.i18n import N_, NP_, _
from mileage.clock import seoul_today
from mileage.errors import RoleNotAllowed
from mileage.http.boundary import get_session
from mileage.http.callers import current_actor, current_principal
from mileage.people.roles import RULE_EDITORS
from mileage.programme import book, presets, whatif

blueprint = Blueprint("rules", __name__, url_prefix="/rules")


def bands_text(definition: dict) -> str:
    """Return bands as the form shows them: "0:0, 50:100" (from hours : points per hour)."""
    return ", ".join(f"{band['from_hours']}:{band['points_per_hour']}" for band in definition.get("bands", []))


def categories_text(definition: dict) -> str:
    """Return categories as "헌혈=240, 행사=0" (fixed minutes per claim; 0 counts nothing)."""
    parts = []
    for name, rule in (definition.get("categories") or {}).items():
        parts.append(f"{name}={0 if not rule.get('counts', True) else rule.get('fixed_minutes') or '*'}")
    return ", ".join(parts)


def tiers_text(definition: dict) -> str:
    """Return tiers as "일반:0:0, 그린:51:20" (name : from hours : hours a year that keep it)."""
    return ", ".join(f"{tier['name']}:{tier['from_hours']}:{tier.get('keep_hours', 0)}"
                     for tier in definition.get("tiers") or [])


def _parts(name: str, label: str) -> list[str]:
    raw = forms.text(name, label=label, max_length=2000)
    return [part.strip() for part in re.split(r"[,\n]+", raw) if part.strip()]


def _definition_from_form() -> dict:
    """Read a rule set definition from the form fields (or the query string, for what-if).

    :raises FormInvalid:
    """
    where = "form"
    bands = []
    for part in _parts("bands", N_("Points per hour by band")):
        match = re.fullmatch(r"([0-9]{1,6})\s*:\s*([0-9]{1,7})", part)
        if not match:
            raise FormInvalid(field=_("Points per hour by band"))
        bands.append({"from_hours": int(match[1]), "points_per_hour": int(match[2])})
    categories = {}
    for part in _parts("categories", N_("Categories")):
        match = re.fullmatch(r"([^=]{1,50})=\s*([0-9]{1,4}|\*)", part)
        if not match:
            raise FormInvalid(field=_("Categories"))
        name, minutes = match[1].strip(), match[2]
        categories[name] = ({"counts": True, "fixed_minutes": None} if minutes == "*"
                            else {"counts": False} if int(minutes) == 0
                            else {"counts": True, "fixed_minutes": int(minutes)})
    tiers = []
    for part in _parts("tiers", N_("Card tiers")):
        match = re.fullmatch(r"([^:]{1,30}):\s*([0-9]{1,6})\s*(?::\s*([0-9]{1,4}))?", part)
        if not match:
            raise FormInvalid(field=_("Card tiers"))
        tiers.append({"name": match[1].strip(), "from_hours": int(match[2]), "keep_hours": int(match[3] or 0)})
    daily_hours = forms.integer("max_hours_per_day", label=N_("Daily maximum (hours)"), minimum=1, where=where)
    return {
        "bands": bands,
        "lifetime_cap": forms.integer("lifetime_cap", label=N_("Lifetime cap"), minimum=0, where=where),
        "yearly_cap": forms.integer("yearly_cap", label=N_("Yearly cap"), minimum=0, where=where),
        "max_minutes_per_day": (daily_hours or 8) * 60,
        "claim_window_days": forms.integer("claim_window_days", label=N_("Claim window (days)"), minimum=0,
                                           where=where) or 90,
        "volunteers_may_self_submit": request.form.get("self_submit") == "1",
        "minimum_age": forms.integer("minimum_age", label=N_("Minimum age"), minimum=0, where=where),
        "min_hours_previous_year": forms.integer("min_hours_previous_year", label=N_("Hours needed the year before"),
                                                 minimum=0, where=where),
        "categories": categories,
        "other_categories_count": True,
        "tiers": tiers,
    }


def _form_values(definition: dict, **extra) -> dict:
    return {
        "bands": bands_text(definition),
        "lifetime_cap": definition.get("lifetime_cap"),
        "yearly_cap": definition.get("yearly_cap"),
        "max_hours_per_day": definition.get("max_minutes_per_day", 480) // 60,
        "claim_window_days": definition.get("claim_window_days", 90),
        "self_submit": definition.get("volunteers_may_self_submit", True),
        "minimum_age": definition.get("minimum_age"),
        "min_hours_previous_year": definition.get("min_hours_previous_year"),
        "categories": categories_text(definition),
        "tiers": tiers_text(definition),
        **extra,
    }


def _page(values: dict, result=None):
    session = get_session()
    current = book.current_rule_set(session)
    return render_template(
        "console/rules/index.html",
        versions=book.list_rule_sets(session),
        current_version=current.version,
        presets=presets.PRESETS,
        values=values,
        result=result,
        today=seoul_today(),
        may_edit=current_principal().role in RULE_EDITORS,
        bands_text=bands_text,
        tiers_text=tiers_text,
    )


@blueprint.get("/")
def index():
    """List the rule set versions and offer a new one, prefilled from the current rules or a preset."""
    session = get_session()
    chosen = request.args.get("preset")
    if chosen:
        terms = presets.preset(chosen)
        values = _form_values(terms["definition"], name=terms["name"], note=terms["note"], preset=chosen)
    else:
        values = _form_values(book.current_rule_set(session).definition(), name="", note="", preset="")
    return _page(values)


@blueprint.post("/what-if")
def what_if():
    """Show what the rules in the form would have paid on the last 12 months; posts nothing."""
    definition = _definition_from_form()
    result = whatif.what_if(get_session(), definition)
    values = _form_values(definition, name=request.form.get("name", ""), note=request.form.get("note", ""),
                          preset=request.form.get("preset", ""))
    return _page(values, result)


@blueprint.post("/")
def create():
    """Save the rules in the form as a new version from a day on (admins only)."""
    if current_principal().role not in RULE_EDITORS:
        raise RoleNotAllowed()
    preset = request.form.get("preset") or None
    if preset is not None:
        presets.preset(preset)
    row = book.create_rule_set(
        get_session(),
        name=forms.text("name", label=NP_("rules.name", "Name"), required=True, max_length=200),
        effective_from=forms.day("effective_from", label=N_("In force from"), required=True),
        definition=_definition_from_form(),
        note=forms.text("note", label=NP_("rules.note", "Note"), max_length=2000),
        preset=preset,
        actor=current_actor(),
    )
    flash(_("Rule set v%(version)s saved; in force from %(day)s.",
            version=row.version, day=row.effective_from.isoformat()), "success")
    return redirect(url_for("console.rules.index"), code=303)

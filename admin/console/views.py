"""The staff console at /console: sign-in, the guard every page passes, error pages, the dashboard.

A plain Flask blueprint (not in the OpenAPI document) that renders Korean-first HTML. Each area
(approvals, volunteers, organisations, merchants, donations, reports, audit log) is a nested
blueprint in its own module; they all pass through the guard below and call the domain services.
"""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from markupsafe import Markup, escape
from sqlalchemy.exc import DataError, SQLAlchemyError
from werkzeug.exceptions import BadRequest, Forbidden, HTTPException, NotFound

from admin.console import (
    approval_pages,
    audit_pages,
    certificate_pages,
    donation_pages,
    merchant_pages,
    organisation_pages,
    overview,
    report_pages,
    rule_pages,
    upload_pages,
    user_pages,
    volunteer_pages,
)
from admin.console.forms import FORM_KEY_FIELD, FormInvalid, new_form_key
from admin.console.i18n import (
    N_,
    _,
    console_language,
    label,
    local_day,
    local_time,
    minutes_as_hours,
    number,
    percent,
    points,
)
from admin.console.navigation import BACK_FIELD, redirect_back, safe_console_path
from admin.console.security import (
    CSRF_FIELD,
    console_sign_in_token,
    csrf_token,
    csrf_token_valid,
    end_console_session,
    load_console_user,
    login_attempt_key,
    signed_in_user_id,
    start_console_session,
)
from mileage import i18n
from mileage.audit import record_audit
from mileage.errors import (
    ConsoleNotAllowed,
    DomainError,
    InvalidCredentials,
    PasswordChangeRequired,
    PasswordUnchanged,
    WeakPassword,
)
from mileage.http.boundary import get_session, request_id
from mileage.http.callers import current_actor
from mileage.http.errors import describe_failure, status_for
from mileage.http.limits import LOGIN_LIMIT_PER_ACCOUNT, LOGIN_LIMIT_PER_IP, failed_sign_in, limiter
from mileage.http.locale import CONSOLE_SESSION_KEY, remember_language
from mileage.http.pages import add_page_headers, language_choices
from mileage.people import console_sessions
from mileage.people.authentication import change_own_password, sign_in_to_console
from mileage.reports import dashboard as dashboard_figures

log = logging.getLogger("mileage.console")

blueprint = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
for _area in (
    approval_pages,
    upload_pages,
    certificate_pages,
    volunteer_pages,
    organisation_pages,
    merchant_pages,
    donation_pages,
    report_pages,
    audit_pages,
    rule_pages,
):
    blueprint.register_blueprint(_area.blueprint)
blueprint.register_blueprint(user_pages.blueprint)
blueprint.register_blueprint(user_pages.account)

# Reachable without signing in (still CSRF-checked when posted).
PUBLIC_ENDPOINTS = frozenset({"console.login", "console.switch_language", "console.static"})
# Posts that change only the user's own session, which auditors may make too.
SESSION_ENDPOINTS = frozenset(
    {"console.login", "console.logout", "console.switch_language", "console.account.change_password"}
)
# Where a user whose password was reset may go before choosing a new one.
PASSWORD_CHANGE_ENDPOINTS = frozenset(
    {"console.account.change_password", "console.logout", "console.switch_language", "console.static"}
)

_REFILL = "console_refill"
# Form fields never written back into a refilled form (nor into the session cookie).
_NEVER_REFILLED = frozenset({CSRF_FIELD, BACK_FIELD, FORM_KEY_FIELD, "password", "pin"})
_REFILL_MAX_CHARS = 1500



class ConsoleRefusal(HTTPException):
    """A refusal only the console makes; its page says why in its own words (`message`, a catalogue msgid)."""

    message: str


class CsrfRefused(ConsoleRefusal, BadRequest):
    """A form arrived without this session's CSRF secret."""

    message = N_(
        "The form's security token was missing or wrong, so nothing was changed. Reload the page and try again."
    )


class ReadOnlyRefused(ConsoleRefusal, Forbidden):
    """An auditor tried to change something."""

    message = N_("Auditor accounts are read-only. Nothing was changed.")


@blueprint.record_once
def _configure_cookies(state) -> None:
    config = state.app.config
    # Flask's own default is no SameSite attribute; the console's forms only ever post to itself.
    if config.get("SESSION_COOKIE_SAMESITE") is None:
        config["SESSION_COOKIE_SAMESITE"] = "Lax"
    config["SESSION_COOKIE_HTTPONLY"] = True


# --- the guard ------------------------------------------------------------------------------

@blueprint.before_request
def _guard():
    """Let a request through only when signed in (or public), with the CSRF secret, and allowed to write."""
    g.console_user = None
    g.refill = {}
    endpoint = request.endpoint or ""
    if endpoint == "console.static":
        return None
    user_id, expired = signed_in_user_id()
    if user_id is not None:
        user = load_console_user(current_app.extensions["mileage.session_factory"], user_id, console_sign_in_token())
        if user is None:
            end_console_session()
        else:
            g.console_user = user
            # mileage.access.current_actor() reads the caller from here, as for a bearer token.
            g.principal = user.principal
    if g.console_user is not None and g.console_user.must_change_password and endpoint not in PASSWORD_CHANGE_ENDPOINTS:
        return redirect(url_for("console.account.change_password"))
    if g.console_user is None and endpoint not in PUBLIC_ENDPOINTS:
        if expired:
            flash(_("Your sign-in expired. Please sign in again."), "warning")
        next_page = request.full_path if request.method == "GET" else None
        return redirect(url_for("console.login", next=next_page))
    if request.method == "POST":
        if not csrf_token_valid():
            raise CsrfRefused()
        if g.console_user is not None and not g.console_user.can_write and endpoint not in SESSION_ENDPOINTS:
            raise ReadOnlyRefused()
    else:
        g.refill = session.pop(_REFILL, None) or {}
    return None


@blueprint.after_request
def _security_headers(response):
    if request.endpoint != "console.static":
        add_page_headers(response)
    return response


def csrf_field() -> Markup:
    """Return the hidden fields every console form carries: the CSRF secret and the page to return to."""
    if request.method == "GET":
        back = request.full_path.rstrip("?")
    else:
        # A page rendered by a POST (bulk results, a terminal's secret) cannot be returned to with a GET.
        back = safe_console_path(request.form.get(BACK_FIELD)) or url_for("console.dashboard")
    return Markup(
        f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(csrf_token())}">'
        f'<input type="hidden" name="{BACK_FIELD}" value="{escape(back)}">'
    )


def refill(name: str, default: object = "") -> object:
    """Return what the user had typed into a field before their submission was refused."""
    return g.get("refill", {}).get(name, default)


@blueprint.context_processor
def _helpers():
    user = g.get("console_user")
    return {
        "lang": console_language(),
        "languages": language_choices(),
        "number": number,
        "points": points,
        "local_time": local_time,
        "local_day": local_day,
        "minutes_as_hours": minutes_as_hours,
        "label": label,
        "percent": percent,
        "new_form_key": new_form_key,
        "request_id": request_id(),
        "csrf_field": csrf_field,
        "refill": refill,
        "user": user,
        "can_write": bool(user and user.can_write),
    }


# --- errors ---------------------------------------------------------------------------------

def error_page(status: int, message: str, *, headers: dict | None = None):
    """Render the friendly error page with a status."""
    body = render_template("console/error.html", status=status, message=message)
    return body, status, headers or {}


def _remember_form() -> None:
    """Keep what the user typed (not secrets), so the page they return to can fill it in again."""
    kept, size = {}, 0
    for name, value in request.form.items():
        if name in _NEVER_REFILLED or size + len(value) > _REFILL_MAX_CHARS:
            continue
        kept[name] = value
        size += len(value)
    session[_REFILL] = kept


@blueprint.errorhandler(DomainError)
def _domain_error(error: DomainError):
    """Show a refused action on the page it came from; anything else on the error page."""
    message = error.message(console_language())
    back = safe_console_path(request.form.get(BACK_FIELD)) if request.method == "POST" else None
    if back:
        # The view raised, so its transaction was rolled back: nothing of the action remains.
        flash(message, "error")
        _remember_form()
        return redirect(back, code=303)
    return _failure(error)


@blueprint.errorhandler(HTTPException)
@blueprint.errorhandler(DataError)
@blueprint.errorhandler(OverflowError)
@blueprint.errorhandler(SQLAlchemyError)
@blueprint.errorhandler(Exception)
def _failure(error: Exception):
    """Show any other failure on the error page, with the status and headers the API would give."""
    failure = describe_failure(error, console_language())
    message = _(error.message) if isinstance(error, ConsoleRefusal) else failure.message
    return error_page(failure.status, message, headers=failure.headers)


# --- sign-in --------------------------------------------------------------------------------

@blueprint.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT_PER_IP, methods=["POST"], deduct_when=failed_sign_in)
@limiter.limit(LOGIN_LIMIT_PER_ACCOUNT, methods=["POST"], key_func=login_attempt_key, deduct_when=failed_sign_in)
def login():
    """Show the sign-in form; sign a staff member, admin or auditor in with their password."""
    next_page = safe_console_path(request.values.get("next"))
    if request.method == "GET":
        if g.console_user is not None:
            return redirect(next_page or url_for("console.dashboard"))
        return render_template("console/login.html", next_page=next_page, username="")
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    new_password = request.form.get("new_password")
    try:
        if new_password is not None:
            # A reset (or first) password is replaced here, on the sign-in form, before signing in.
            if new_password != request.form.get("confirm_password"):
                raise FormInvalid(field=_("Confirm new password"))
            change_own_password(
                get_session(), username, password, new_password,
                ip_address=request.remote_addr, request_id=request_id(),
            )
            password = new_password
        user = sign_in_to_console(
            get_session(), username, password, ip_address=request.remote_addr, request_id=request_id(),
        )
    except PasswordChangeRequired as error:
        # A reset password must be changed first: the form asks for a new one.
        return render_template(
            "console/login.html", next_page=next_page, username=username, error=error.message(console_language()),
            change_password=True,
        ), status_for(error)
    except (InvalidCredentials, ConsoleNotAllowed, FormInvalid, WeakPassword, PasswordUnchanged) as error:
        return render_template(
            "console/login.html", next_page=next_page, username=username, error=error.message(console_language()),
            change_password=new_password is not None,
        ), status_for(error)
    start_console_session(user, console_sessions.start_console_sign_in(get_session(), user.id))
    return redirect(next_page or url_for("console.dashboard"), code=303)


@blueprint.route("/logout", methods=["POST"])
def logout():
    """Sign out of the console."""
    record_audit(get_session(), current_actor(), "console.sign_out", target_type="user", target_id=g.console_user.id)
    console_sessions.end_console_sign_in(get_session(), console_sign_in_token())
    end_console_session()
    flash(_("You have signed out."), "info")
    return redirect(url_for("console.login"), code=303)


@blueprint.route("/language", methods=["POST"])
def switch_language():
    """Switch the console between Korean and English for this browser session."""
    language = request.form.get("lang", "")
    if language not in i18n.available_languages():
        return redirect_back("console.dashboard")
    session[CONSOLE_SESSION_KEY] = language
    return remember_language(redirect_back("console.dashboard"), language)


# --- dashboard ------------------------------------------------------------------------------

@blueprint.route("/")
def dashboard():
    """Show this month's figures and points issued and used over the last twelve months."""
    figures = dashboard_figures.month_overview(get_session())
    return render_template("console/dashboard.html", figures=figures, chart=overview.bar_chart(figures.months))


@blueprint.route("/<path:unknown>", methods=["GET", "POST"])
def unknown_page(unknown):
    """Answer addresses the console does not have with its own not-found page."""
    raise NotFound()

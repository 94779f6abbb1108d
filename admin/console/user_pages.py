"""User administration (admins only) and every console user's own password change.

Admins list the centre's users, create them, disable or enable them, reset a password (the user
must choose a new one at the next sign-in) and change a role; each action is audited by the service,
mileage.people.users, which the API (/admin/users) and the CLI use too.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from admin.console import forms
from admin.console.i18n import N_, NP_, _, label
from admin.console.navigation import redirect_back
from mileage.errors import RoleNotAllowed
from mileage.http.boundary import get_session, request_id
from mileage.http.callers import current_actor
from mileage.people import authentication, users

blueprint = Blueprint("users", __name__, url_prefix="/users")
account = Blueprint("account", __name__, url_prefix="/account")

# Roles an admin gives on this page: the centre's own people. Volunteer and coordinator accounts
# belong to a volunteer or an organisation (the API and the CLI make them with their link).
STAFF_ROLES = ("staff", "admin", "auditor")
# The console lists at most this many users of those roles (the centre has a few dozen).
LIST_LIMIT = 500


@blueprint.before_request
def _admins_only():
    user = g.get("console_user")
    if user is None:
        abort(401)
    if user.role != "admin":
        raise RoleNotAllowed()


@blueprint.get("/")
def index():
    """List the centre's users (staff, admins, auditors), disabled ones included, by username."""
    session = get_session()
    people = [
        person
        for role in STAFF_ROLES
        for person in users.list_users(session, role=role, limit=LIST_LIMIT).items
    ]
    people.sort(key=lambda person: person.username)
    return render_template("console/users/index.html", users=people, roles=STAFF_ROLES)


@blueprint.post("/")
def create():
    """Create a user with a first password that they must change when they first sign in."""
    session = get_session()
    user = users.create_user(
        session,
        actor=current_actor(),
        username=forms.text("username", label=N_("Username"), required=True, max_length=64),
        display_name=forms.text("display_name", label=NP_("volunteers.name", "Name"), max_length=100),
        role=forms.choice("role", STAFF_ROLES, label=N_("Role")),
        password=request.form.get("password", ""),
    )
    user.must_change_password = True
    flash(_("User %(username)s created.", username=user.username), "success")
    return redirect_back("console.users.index")


@blueprint.post("/<int:user_id>/disable")
def disable(user_id: int):
    """Disable a user: no more sign-ins, and their current ones end."""
    user = users.disable_user(get_session(), user_id, actor=current_actor())
    flash(_("User %(username)s disabled.", username=user.username), "success")
    return redirect_back("console.users.index")


@blueprint.post("/<int:user_id>/enable")
def enable(user_id: int):
    """Let a disabled user sign in again."""
    user = users.enable_user(get_session(), user_id, actor=current_actor())
    flash(_("User %(username)s enabled.", username=user.username), "success")
    return redirect_back("console.users.index")


@blueprint.post("/<int:user_id>/reset-password")
def reset_password(user_id: int):
    """Give a user a temporary password, shown on this page only, to be changed at the next sign-in."""
    reset = users.reset_password(get_session(), user_id, actor=current_actor())
    return render_template(
        "console/users/temporary_password.html", target=reset.user, temporary=reset.temporary_password
    )


@blueprint.post("/<int:user_id>/role")
def set_role(user_id: int):
    """Change a user's role (among the centre's own roles)."""
    role = forms.choice("role", STAFF_ROLES, label=N_("Role"))
    user = users.set_role(get_session(), user_id, role, actor=current_actor())
    flash(_("%(username)s is now %(role)s.", username=user.username, role=label("role", user.role)), "success")
    return redirect_back("console.users.index")


@account.route("/password", methods=["GET", "POST"])
def change_password():
    """Change one's own password (auditors too), proving the current one."""
    if request.method == "GET":
        return render_template("console/users/password.html", forced=g.console_user.must_change_password)
    if request.form.get("new_password") != request.form.get("confirm_password"):
        raise forms.FormInvalid(field=_("Confirm new password"))
    authentication.change_own_password(
        get_session(), g.console_user.username, request.form.get("current_password", ""),
        request.form.get("new_password", ""), ip_address=request.remote_addr, request_id=request_id(),
    )
    flash(_("Password changed."), "success")
    return redirect(url_for("console.dashboard"), code=303)

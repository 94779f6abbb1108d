"""User administration (admins only) and every console user's own password change.

Admins list the centre's users, create them, disable or enable them, reset a password (the user
must choose a new one at the next sign-in) and change a role; each action is audited by the service.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from admin.console import forms
from admin.console.i18n import t
from admin.console.navigation import redirect_back
from mileage.errors import RoleNotAllowed
from mileage.http.boundary import get_session
from mileage.http.callers import current_actor
from mileage.people import users

blueprint = Blueprint("users", __name__, url_prefix="/users")
account = Blueprint("account", __name__, url_prefix="/account")


@blueprint.before_request
def _admins_only():
    user = g.get("console_user")
    if user is None:
        abort(401)
    if user.role != "admin":
        raise RoleNotAllowed()


@blueprint.get("/")
def index():
    """List the centre's users (staff, admins, auditors), disabled ones included."""
    return render_template("console/users/index.html", users=users.list_users(get_session()),
                           roles=users.STAFF_ROLES)


@blueprint.post("/")
def create():
    """Create a user with a first password that they must change when they first sign in."""
    session = get_session()
    user = users.create_user(
        session,
        actor=current_actor(),
        username=forms.text("username", label="users.username", required=True, max_length=64),
        display_name=forms.text("display_name", label="users.display_name", max_length=100),
        role=forms.choice("role", users.STAFF_ROLES, label="users.role"),
        password=request.form.get("password", ""),
    )
    user.must_change_password = True
    flash(t("users.created", username=user.username), "success")
    return redirect_back("console.users.index")


@blueprint.post("/<int:user_id>/disable")
def disable(user_id: int):
    """Disable a user: no more sign-ins, and their current ones end."""
    user = users.disable_user(get_session(), user_id, actor=current_actor())
    flash(t("users.disabled", username=user.username), "success")
    return redirect_back("console.users.index")


@blueprint.post("/<int:user_id>/enable")
def enable(user_id: int):
    """Let a disabled user sign in again."""
    user = users.enable_user(get_session(), user_id, actor=current_actor())
    flash(t("users.enabled", username=user.username), "success")
    return redirect_back("console.users.index")


@blueprint.post("/<int:user_id>/reset-password")
def reset_password(user_id: int):
    """Give a user a temporary password, shown on this page only, to be changed at the next sign-in."""
    user, temporary = users.reset_password(get_session(), user_id, actor=current_actor())
    return render_template("console/users/temporary_password.html", target=user, temporary=temporary)


@blueprint.post("/<int:user_id>/role")
def set_role(user_id: int):
    """Change a user's role."""
    user = users.set_role(get_session(), user_id, forms.choice("role", users.STAFF_ROLES, label="users.role"),
                          actor=current_actor())
    flash(t("users.role_set", username=user.username, role=t("role." + user.role)), "success")
    return redirect_back("console.users.index")


@account.route("/password", methods=["GET", "POST"])
def change_password():
    """Change one's own password (auditors too); required right after an admin reset it."""
    if request.method == "GET":
        return render_template("console/users/password.html", forced=g.console_user.must_change_password)
    if request.form.get("new_password") != request.form.get("confirm_password"):
        raise forms.FormInvalid(field=t("users.confirm_password"))
    users.change_own_password(
        get_session(), g.console_user.id, request.form.get("current_password", ""),
        request.form.get("new_password", ""), actor=current_actor(),
    )
    flash(t("users.password_changed"), "success")
    return redirect(url_for("console.dashboard"), code=303)

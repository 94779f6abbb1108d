"""Staff API for the people who sign in. Admins change users (each change audited); auditors read.

A reset password is shown once, in the answer to the reset, and must be changed at the next sign-in.
"""

from flask import after_this_request
from flask_smorest import Blueprint

from admin.users.schemas import (
    PasswordResetResultSchema,
    PasswordResetSchema,
    UserArgsSchema,
    UserCreateSchema,
    UserPageSchema,
    UserRoleSchema,
    UserSchema,
)
from mileage.http.boundary import get_session
from mileage.http.callers import current_actor, requires
from mileage.people import users
from mileage.people.roles import USER_ADMINS, USER_READERS

blueprint = Blueprint("admin_users", __name__, url_prefix="/admin", description="Staff: users who sign in")


@blueprint.route("/users", methods=["GET"])
@requires(*USER_READERS)
@blueprint.arguments(UserArgsSchema, location="query")
@blueprint.response(200, UserPageSchema)
def list_users(args):
    """List users oldest first (keyset pages), by role, active or not, and part of a name."""
    return users.list_users(get_session(), **args)


@blueprint.route("/users/<int:user_id>", methods=["GET"])
@requires(*USER_READERS)
@blueprint.response(200, UserSchema)
def get_user(user_id):
    """Return one user."""
    return users.get_user(get_session(), user_id)


@blueprint.route("/users", methods=["POST"])
@requires(*USER_ADMINS)
@blueprint.arguments(UserCreateSchema)
@blueprint.response(201, UserSchema)
def create_user(body):
    """Create a user; a coordinator needs an organisation and a volunteer's login a volunteer."""
    return users.create_user(get_session(), actor=current_actor(), **body)


@blueprint.route("/users/<int:user_id>/disable", methods=["POST"])
@requires(*USER_ADMINS)
@blueprint.response(200, UserSchema)
def disable_user(user_id):
    """Disable a user and end their sign-ins; the last active admin cannot be disabled."""
    return users.disable_user(get_session(), user_id, actor=current_actor())


@blueprint.route("/users/<int:user_id>/enable", methods=["POST"])
@requires(*USER_ADMINS)
@blueprint.response(200, UserSchema)
def enable_user(user_id):
    """Let a disabled user sign in again."""
    return users.enable_user(get_session(), user_id, actor=current_actor())


@blueprint.route("/users/<int:user_id>/password-reset", methods=["POST"])
@requires(*USER_ADMINS)
@blueprint.arguments(PasswordResetSchema)
@blueprint.response(200, PasswordResetResultSchema)
def reset_password(body, user_id):
    """Give a user a temporary password that they must change at their next sign-in."""

    @after_this_request
    def never_cache(response):
        # The answer may carry the generated password: no proxy or browser may keep it.
        response.headers["Cache-Control"] = "no-store"
        return response

    return users.reset_password(get_session(), user_id, actor=current_actor(), **body)


@blueprint.route("/users/<int:user_id>/role", methods=["PUT"])
@requires(*USER_ADMINS)
@blueprint.arguments(UserRoleSchema)
@blueprint.response(200, UserSchema)
def set_role(body, user_id):
    """Give a user another role with the links it needs; their sign-ins end."""
    return users.set_role(get_session(), user_id, body.pop("role"), actor=current_actor(), **body)

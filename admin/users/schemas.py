"""Request and response schemas of user administration."""

from marshmallow import Schema, fields, validate

from admin.hours.schemas import StaffPageArgsSchema
from mileage.http.schemas import page_schema
from mileage.people.users import MAX_PASSWORD_LENGTH, USER_ROLES

ROLE_NAMES = sorted(str(role) for role in USER_ROLES)


class UserArgsSchema(StaffPageArgsSchema):
    role = fields.String(validate=validate.OneOf(ROLE_NAMES))
    active = fields.Boolean(metadata={"description": "only active (true) or disabled (false) users"})
    search = fields.String(validate=validate.Length(max=64), metadata={"description": "part of a username or name"})
    organisation_id = fields.Integer()


class UserSchema(Schema):
    id = fields.Integer(dump_only=True)
    username = fields.String(dump_only=True)
    display_name = fields.String(dump_only=True)
    role = fields.String(dump_only=True)
    organisation_id = fields.Integer(dump_only=True, allow_none=True)
    volunteer_id = fields.Integer(dump_only=True, allow_none=True)
    is_active = fields.Boolean(dump_only=True)
    must_change_password = fields.Boolean(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    disabled_at = fields.DateTime(dump_only=True, allow_none=True)


UserPageSchema = page_schema(UserSchema)


class UserCreateSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64),
                             metadata={"example": "kim.staff"})
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=MAX_PASSWORD_LENGTH))
    role = fields.String(required=True, validate=validate.OneOf(ROLE_NAMES))
    display_name = fields.String(load_default="", validate=validate.Length(max=100))
    organisation_id = fields.Integer(strict=True, load_default=None, allow_none=True,
                                     metadata={"description": "required for a coordinator"})
    volunteer_id = fields.Integer(strict=True, load_default=None, allow_none=True,
                                  metadata={"description": "required for a volunteer's login"})


class UserRoleSchema(Schema):
    role = fields.String(required=True, validate=validate.OneOf(ROLE_NAMES))
    organisation_id = fields.Integer(strict=True, load_default=None, allow_none=True)
    volunteer_id = fields.Integer(strict=True, load_default=None, allow_none=True)


class PasswordResetSchema(Schema):
    temporary_password = fields.String(
        load_default=None, allow_none=True, load_only=True, validate=validate.Length(min=1, max=MAX_PASSWORD_LENGTH),
        metadata={"description": "omit to have one generated and shown once in the answer"},
    )


class PasswordResetResultSchema(Schema):
    user = fields.Nested(UserSchema, dump_only=True)
    temporary_password = fields.String(
        dump_only=True, allow_none=True,
        metadata={"description": "the generated temporary password, shown only in this answer; null if you chose it"},
    )

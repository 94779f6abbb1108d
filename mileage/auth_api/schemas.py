"""Request and response schemas of the sign-in API."""

from marshmallow import Schema, fields, validate


class SignInSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256), load_only=True)


class PasswordChangeSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    current_password = fields.String(required=True, validate=validate.Length(min=1, max=256), load_only=True)
    new_password = fields.String(required=True, validate=validate.Length(min=1, max=256), load_only=True)


class RefreshSchema(Schema):
    refresh_token = fields.String(required=True, validate=validate.Length(min=1, max=4096))


class TokenPairSchema(Schema):
    access_token = fields.String(dump_only=True)
    refresh_token = fields.String(dump_only=True)
    token_type = fields.String(dump_only=True, dump_default="Bearer")
    expires_in = fields.Integer(dump_only=True, metadata={"description": "Seconds until the access token expires."})
    role = fields.String(dump_only=True)


class BrowserTokenSchema(Schema):
    access_token = fields.String(dump_only=True)
    token_type = fields.String(dump_only=True, dump_default="Bearer")
    expires_in = fields.Integer(dump_only=True, metadata={"description": "Seconds until the access token expires."})
    role = fields.String(dump_only=True)


class PrincipalSchema(Schema):
    role = fields.String(dump_only=True)
    user_id = fields.Integer(dump_only=True, allow_none=True)
    organisation_id = fields.Integer(dump_only=True, allow_none=True)
    volunteer_id = fields.Integer(dump_only=True, allow_none=True)
    merchant_id = fields.Integer(dump_only=True, allow_none=True)
    terminal_id = fields.Integer(dump_only=True, allow_none=True)

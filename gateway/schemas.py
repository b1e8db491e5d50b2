"""Request and response schemas of the gateway's own API."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.fields import Integer
from shared.identity import ORGANISATION_KINDS, ROLES

LANGUAGES = ("fr", "en")


class ChangesSchema(Schema):
    """A PATCH body: at least one field to change (an empty body is a mistake, not a no-op)."""

    @validates_schema
    def _not_empty(self, data, **_kwargs):
        if not data:
            raise ValidationError("Give at least one field to change.", "_schema")


class TokenRequestSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, validate=validate.Length(1, 256), load_only=True)


class TokenSchema(Schema):
    access_token = fields.String()
    token_type = fields.String()
    expires_in = Integer(metadata={"description": "seconds"})


class OrganisationSchema(Schema):
    id = fields.String(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(1, 200))
    kind = fields.String(required=True, validate=validate.OneOf(ORGANISATION_KINDS))


class SignUpSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, load_only=True, validate=validate.Length(1, 256),
                             metadata={"description": "at least 10 characters"})
    display_name = fields.String(required=True, validate=validate.Length(1, 100))
    language = fields.String(load_default="fr", validate=validate.OneOf(LANGUAGES))


class AccountSchema(Schema):
    id = fields.String()
    email = fields.String()
    display_name = fields.String()
    language = fields.String()
    roles = fields.List(fields.String())
    organisation = fields.Nested(OrganisationSchema, allow_none=True)
    created_at = fields.DateTime()


class OwnAccountUpdateSchema(ChangesSchema):
    display_name = fields.String(validate=validate.Length(1, 100))
    language = fields.String(validate=validate.OneOf(LANGUAGES))
    password = fields.String(load_only=True, validate=validate.Length(1, 256))
    current_password = fields.String(load_only=True, validate=validate.Length(1, 256))


class AccountAdminUpdateSchema(ChangesSchema):
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), validate=validate.Length(max=3))
    organisation_id = fields.String(allow_none=True, validate=validate.Length(1, 36))


class ApiKeyCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 100))
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), load_default=list,
                        validate=validate.Length(max=3))


class ApiKeySchema(Schema):
    id = fields.String()
    name = fields.String()
    prefix = fields.String()
    roles = fields.List(fields.String())
    created_at = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)


class ApiKeyCreatedSchema(ApiKeySchema):
    key = fields.String(metadata={"description": "shown once: give it as `Authorization: Bearer <key>`"})


class OpeningSpanSchema(Schema):
    opens = fields.String(required=True, validate=validate.Regexp(r"^\d\d:\d\d$"))
    closes = fields.String(required=True, validate=validate.Regexp(r"^\d\d:\d\d$"))


def opening_hours_field(**kwargs) -> fields.Dict:
    return fields.Dict(
        keys=fields.String(validate=validate.OneOf(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))),
        values=fields.List(fields.Nested(OpeningSpanSchema), validate=validate.Length(max=4)),
        metadata={"description": 'e.g. {"mon": [{"opens": "09:00", "closes": "19:00"}]}; a missing day is closed'},
        **kwargs)


class SiteSchema(Schema):
    id = fields.String(dump_only=True)
    slug = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,79}$"))
    name = fields.String(required=True, validate=validate.Length(1, 200))
    address = fields.String(required=True, validate=validate.Length(1, 300))
    description = fields.String(load_default="", validate=validate.Length(max=2000))
    timezone = fields.String(load_default="Europe/Paris", validate=validate.Length(1, 64))
    opening_hours = opening_hours_field(load_default=dict)
    version = Integer(dump_only=True)


class SiteUpdateSchema(SiteSchema, ChangesSchema):
    class Meta:
        exclude = ("slug",)

    name = fields.String(validate=validate.Length(1, 200))
    address = fields.String(validate=validate.Length(1, 300))
    description = fields.String(validate=validate.Length(max=2000))
    timezone = fields.String(validate=validate.Length(1, 64))
    opening_hours = opening_hours_field()

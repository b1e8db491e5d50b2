"""Request and response schemas of the relay API."""
from marshmallow import Schema, fields


class SiteSchema(Schema):
    id = fields.String()
    slug = fields.String()
    name = fields.String()
    timezone = fields.String()

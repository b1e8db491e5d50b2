"""Event types the housing service publishes and consumes (ids and non-personal fields only)."""
from marshmallow import EXCLUDE, Schema, fields

SOURCE = "housing"
REQUEST_PUBLISHED = "housing.request.published"
REQUEST_EXPIRED = "housing.request.expired"
OFFER_PUBLISHED = "housing.offer.published"
MATCH_ACCEPTED = "housing.match.accepted"
GROUP_FORMED = "housing.group.formed"

ACCOUNT_ERASED = "identity.account.erased"

PUBLISHED = (REQUEST_PUBLISHED, REQUEST_EXPIRED, OFFER_PUBLISHED, MATCH_ACCEPTED, GROUP_FORMED)
CONSUMED = (ACCOUNT_ERASED,)


class AccountErasedData(Schema):
    class Meta:
        unknown = EXCLUDE

    account_id = fields.String(required=True)

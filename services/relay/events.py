"""Event types the relay service publishes and consumes."""
from marshmallow import EXCLUDE, Schema, fields

from shared.sites import SITE_EVENTS

SOURCE = "relay"
CONTRACT_CREATED = "relay.contract.created"
DISTRIBUTION_SCHEDULED = "relay.distribution.scheduled"
DISTRIBUTION_MOVED = "relay.distribution.moved"
DISTRIBUTION_CANCELLED = "relay.distribution.cancelled"
DISTRIBUTION_CLOSED = "relay.distribution.closed"
DISTRIBUTION_UNSTAFFED = "relay.distribution.unstaffed"
DELIVERY_RECEIVED = "relay.delivery.received"
BASKET_READY = "relay.basket.ready"
BASKET_COLLECTED = "relay.basket.collected"
BASKET_UNCLAIMED = "relay.basket.unclaimed"
BASKET_ABSENCE_DECLARED = "relay.basket.absence_declared"

PUBLISHED = (
    CONTRACT_CREATED, DISTRIBUTION_SCHEDULED, DISTRIBUTION_MOVED,
    DISTRIBUTION_CANCELLED, DISTRIBUTION_CLOSED, DISTRIBUTION_UNSTAFFED, DELIVERY_RECEIVED,
    BASKET_READY, BASKET_COLLECTED, BASKET_UNCLAIMED, BASKET_ABSENCE_DECLARED,
)

ACCOUNT_ERASED = "identity.account.erased"
CONSUMED = (*SITE_EVENTS, ACCOUNT_ERASED)


class AccountErasedData(Schema):
    class Meta:
        unknown = EXCLUDE

    account_id = fields.String(required=True, validate=lambda v: 0 < len(v) <= 64)

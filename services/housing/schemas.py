"""Request and response schemas of the housing API."""
import re

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from services.housing.addresses import street_address_in
from services.housing.languages import LANGUAGES
from services.housing.vocabulary import (
    ACCESSIBILITY,
    AREAS,
    CURRENCIES,
    HOURS,
    OFFER_KINDS,
    REPORT_REASONS,
    WANTED_KINDS,
)
from shared.fields import Cents, Integer

MAX_BUDGET_CENTS = 1_000_000      # 10,000 € a month for a whole household is already absurd
MAX_RENT_CENTS = 500_000
MAX_CHARGES_CENTS = 100_000
MAX_DEPOSIT_CENTS = 1_000_000
PHONE = re.compile(r"^\+?[0-9][0-9 .\-()]{5,24}$")


def language_codes(**kwargs):
    return fields.List(fields.String(validate=validate.OneOf(
        sorted(LANGUAGES), error="{input!r} is not an ISO 639-1 language code (e.g. fr, en, es, ar).")),
        validate=validate.Length(1, 10), **kwargs)


def area_code(**kwargs):
    return fields.String(validate=validate.OneOf(
        sorted(AREAS), error="{input!r} is not a known area; see GET /vocabulary."), **kwargs)


def accessibility_codes(**kwargs):
    return fields.List(fields.String(validate=validate.OneOf(sorted(ACCESSIBILITY))),
                       validate=validate.Length(max=len(ACCESSIBILITY)), **kwargs)


def _no_duplicates(values, field_name):
    if values is not None and len(set(values)) != len(values):
        raise ValidationError("each value may appear once", field_name)


def _contact_rules(data, partial: bool):
    email, phone = data.get("contact_email"), data.get("contact_phone")
    if not partial and not email and not phone:
        raise ValidationError("give contact_email or contact_phone (or both): shared only after mutual consent",
                              "contact_email")


def _no_address(text: str | None, field_name: str):
    found = street_address_in(text)
    if found:
        raise ValidationError(f"do not write a street address ({found!r}): only the area is shown", field_name)


class RequestCreateSchema(Schema):
    arrival_date = fields.Date(required=True, metadata={"description": "YYYY-MM-DD"})
    stay_months = Integer(required=True, validate=validate.Range(1, 60),
                          metadata={"description": "length of stay in months"})
    max_budget_cents = Cents(1_000, MAX_BUDGET_CENTS, required=True,
                             metadata={"description": "monthly budget including charges, cents"})
    currency = fields.String(load_default="EUR", validate=validate.OneOf(CURRENCIES))
    areas = fields.List(area_code(), load_default=list, validate=validate.Length(max=len(AREAS)),
                        metadata={"description": "wished areas; empty: any area"})
    household_size = Integer(load_default=1, validate=validate.Range(1, 10))
    kind_wanted = fields.String(load_default="any", validate=validate.OneOf(WANTED_KINDS))
    languages = language_codes(required=True)
    smoker = fields.Boolean(load_default=False)
    has_pets = fields.Boolean(load_default=False)
    hours = fields.String(load_default="flexible", validate=validate.OneOf(HOURS))
    accessibility_needs = accessibility_codes(load_default=list)
    max_roommates = Integer(load_default=0, validate=validate.Range(0, 3),
                            metadata={"description": "0: not looking for roommates; else the most "
                                                     "other newcomers to rent with"})
    about = fields.String(load_default="", validate=validate.Length(max=500),
                          metadata={"description": "a short free text for matched hosts"})
    contact_email = fields.Email(validate=validate.Length(max=254), allow_none=True)
    contact_phone = fields.String(validate=validate.Regexp(PHONE, error="not a phone number"), allow_none=True)

    @validates_schema
    def _rules(self, data, partial=False, **_kwargs):
        _contact_rules(data, bool(partial))
        for name in ("areas", "languages", "accessibility_needs"):
            _no_duplicates(data.get(name), name)


class RequestUpdateSchema(RequestCreateSchema):
    @validates_schema
    def _not_empty(self, data, **_kwargs):
        if not data:
            raise ValidationError("Give at least one field to change.", "_schema")


class OfferCreateSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(OFFER_KINDS),
                         metadata={"description": "room (in a flatshare) or whole_flat"})
    rent_cents = Cents(1_000, MAX_RENT_CENTS, required=True,
                       metadata={"description": "monthly rent without charges, cents"})
    charges_cents = Cents(0, MAX_CHARGES_CENTS, load_default=0)
    deposit_cents = Cents(0, MAX_DEPOSIT_CENTS, load_default=0)
    currency = fields.String(load_default="EUR", validate=validate.OneOf(CURRENCIES))
    available_from = fields.Date(required=True)
    available_until = fields.Date(allow_none=True, load_default=None,
                                  metadata={"description": "empty: open-ended"})
    area = area_code(required=True, metadata={"description": "an area, never a street address"})
    max_occupants = Integer(load_default=1, validate=validate.Range(1, 12),
                            metadata={"description": "how many people the room or flat takes"})
    furnished = fields.Boolean(load_default=False)
    languages = language_codes(required=True, metadata={"description": "languages spoken at home"})
    smoking_allowed = fields.Boolean(load_default=False)
    pets_allowed = fields.Boolean(load_default=False)
    hours = fields.String(load_default="flexible", validate=validate.OneOf(HOURS))
    accessibility = accessibility_codes(load_default=list)
    house_rules = fields.String(load_default="", validate=validate.Length(max=1000))
    contact_email = fields.Email(validate=validate.Length(max=254), allow_none=True)
    contact_phone = fields.String(validate=validate.Regexp(PHONE, error="not a phone number"), allow_none=True)

    @validates("house_rules")
    def _rules_without_address(self, value, **_kwargs):
        _no_address(value, "house_rules")

    @validates_schema
    def _rules(self, data, partial=False, **_kwargs):
        _contact_rules(data, bool(partial))
        start, end = data.get("available_from"), data.get("available_until")
        if start and end and end <= start:
            raise ValidationError("must be after available_from", "available_until")
        rent, deposit = data.get("rent_cents"), data.get("deposit_cents")
        if rent is not None and deposit is not None and deposit > 2 * rent:
            raise ValidationError("a deposit above two months of rent is not allowed", "deposit_cents")
        for name in ("languages", "accessibility"):
            _no_duplicates(data.get(name), name)


class OfferUpdateSchema(OfferCreateSchema):
    @validates_schema
    def _not_empty(self, data, **_kwargs):
        if not data:
            raise ValidationError("Give at least one field to change.", "_schema")


class RejectSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(3, 500),
                           metadata={"description": "why, for the host"})


class ReportCreateSchema(Schema):
    reason = fields.String(required=True, validate=validate.OneOf(REPORT_REASONS))
    comment = fields.String(load_default="", validate=validate.Length(max=1000))


class MessageCreateSchema(Schema):
    body = fields.String(required=True, validate=validate.Length(1, 2000))


class OfferQuerySchema(Schema):
    status = fields.String(load_default="published",
                           validate=validate.OneOf(["published", "pending", "rejected"]),
                           metadata={"description": "pending and rejected: veilleurs only"})


class MatchQuerySchema(Schema):
    limit = Integer(text=True, load_default=50, validate=validate.Range(1, 200))
    include_declined = fields.Boolean(load_default=False)


# -- responses ----------------------------------------------------------------------------------
def reasons_field(**kwargs):
    return fields.List(fields.Dict(), metadata={"description": (
        "reasons, best understood by their code: {code, ...parameters, text}, e.g. "
        '{"code": "under_budget", "amount_cents": 4000, "text": "Rent with charges is 40 € under the budget."}')},
        **kwargs)


class RequestSchema(Schema):
    """A request as its owner sees it, contact details included."""

    id = fields.String()
    status = fields.String(metadata={"description": "active or expired"})
    arrival_date = fields.Date()
    stay_months = Integer()
    max_budget_cents = Integer()
    currency = fields.String()
    areas = fields.List(fields.String())
    household_size = Integer()
    kind_wanted = fields.String()
    languages = fields.List(fields.String())
    smoker = fields.Boolean()
    has_pets = fields.Boolean()
    hours = fields.String()
    accessibility_needs = fields.List(fields.String())
    max_roommates = Integer()
    about = fields.String()
    contact_email = fields.String(allow_none=True)
    contact_phone = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    expires_at = fields.DateTime()


class RequestPublicSchema(Schema):
    """A request as a matched host or a veilleur sees it: no contact, no budget, no owner."""

    id = fields.String()
    status = fields.String()
    arrival_date = fields.Date()
    stay_months = Integer()
    areas = fields.List(fields.String())
    household_size = Integer()
    kind_wanted = fields.String()
    languages = fields.List(fields.String())
    smoker = fields.Boolean()
    has_pets = fields.Boolean()
    hours = fields.String()
    accessibility_needs = fields.List(fields.String())
    about = fields.String()


class OfferPublicSchema(Schema):
    """An offer as newcomers see it: an area, never an address; no contact before consent."""

    id = fields.String()
    status = fields.String()
    kind = fields.String()
    rent_cents = Integer()
    charges_cents = Integer()
    total_cents = Integer(metadata={"description": "rent + charges"})
    deposit_cents = Integer()
    currency = fields.String()
    available_from = fields.Date()
    available_until = fields.Date(allow_none=True)
    area = fields.String()
    area_name = fields.String()
    max_occupants = Integer()
    furnished = fields.Boolean()
    languages = fields.List(fields.String())
    smoking_allowed = fields.Boolean()
    pets_allowed = fields.Boolean()
    hours = fields.String()
    accessibility = fields.List(fields.String())
    house_rules = fields.String()
    published_at = fields.DateTime(allow_none=True)


class OfferSchema(OfferPublicSchema):
    """An offer as its owner (or a reviewing veilleur, without contact) sees it."""

    contact_email = fields.String(allow_none=True)
    contact_phone = fields.String(allow_none=True)
    rejection_reason = fields.String(allow_none=True)
    open_reports = Integer()
    reviewed_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ReportSchema(Schema):
    id = fields.String()
    offer_id = fields.String()
    reason = fields.String()
    comment = fields.String()
    created_at = fields.DateTime()
    resolved_at = fields.DateTime(allow_none=True)


class ContactSchema(Schema):
    contact_email = fields.String(allow_none=True)
    contact_phone = fields.String(allow_none=True)


class ConsentSchema(Schema):
    mine = fields.String(allow_none=True, metadata={"description": "interested, declined, withdrawn or null"})
    theirs = fields.String(allow_none=True)
    mutual = fields.Boolean()


class MatchSchema(Schema):
    """One match as one side sees it."""

    seeker_id = fields.String(metadata={"description": "a request id, or a group id"})
    seeker_kind = fields.String()
    offer_id = fields.String()
    score = Integer(metadata={"description": "0-100"})
    reasons = reasons_field()
    side = fields.String(metadata={"description": "seeker or host: the side of the caller"})
    consent = fields.Nested(ConsentSchema)
    offer = fields.Nested(OfferPublicSchema, allow_none=True)
    request = fields.Nested(RequestPublicSchema, allow_none=True)
    members = fields.List(fields.Nested(RequestPublicSchema), allow_none=True)
    contact = fields.List(fields.Nested(ContactSchema), allow_none=True,
                          metadata={"description": "the other side's contact details, once both are interested"})
    messages = Integer(metadata={"description": "how many messages were exchanged"})


class MessageSchema(Schema):
    id = fields.String()
    sender_side = fields.String()
    mine = fields.Boolean()
    body = fields.String()
    sent_at = fields.DateTime()


class GroupMemberSchema(Schema):
    request = fields.Nested(RequestPublicSchema)
    agreed = fields.Boolean()
    mine = fields.Boolean()


class GroupSchema(Schema):
    id = fields.String()
    status = fields.String(metadata={"description": "proposed, or formed once every member agreed"})
    score = Integer()
    reasons = reasons_field()
    members = fields.List(fields.Nested(GroupMemberSchema))
    created_at = fields.DateTime()
    formed_at = fields.DateTime(allow_none=True)


class ProposalRunSchema(Schema):
    proposed = Integer(metadata={"description": "new groups proposed"})
    considered = Integer(metadata={"description": "requests looking for roommates and free"})


class VocabularySchema(Schema):
    languages = fields.Dict(keys=fields.String(), values=fields.String())
    areas = fields.Dict(keys=fields.String(), values=fields.String())
    accessibility = fields.Dict(keys=fields.String(), values=fields.String())
    hours = fields.List(fields.String())

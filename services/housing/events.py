"""Event types the housing service publishes and consumes (ids and non-personal fields only), and the contract
of each published one's data."""
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validates_schema

from services.housing.vocabulary import OFFER_KINDS, WANTED_KINDS
from shared.bus.contracts import (
    Boolean,
    Contract,
    Day,
    EventData,
    Id,
    ListOf,
    Moment,
    Text,
    Whole,
    example_id,
    publishes,
    reads,
)

SOURCE = "housing"
REQUEST_PUBLISHED = "housing.request.published"
REQUEST_EXPIRED = "housing.request.expired"
OFFER_PUBLISHED = "housing.offer.published"
MATCH_ACCEPTED = "housing.match.accepted"
GROUP_FORMED = "housing.group.formed"

ACCOUNT_ERASED = "identity.account.erased"
CONSUMED = (ACCOUNT_ERASED,)

REQUEST = example_id("housing-request:1")
OFFER = example_id("housing-offer:1")
AREA = "an area code (see `GET /api/housing/vocabulary`); never a street address"


class RequestData(EventData):
    request_id = Id("the request (also the `subject`)", example=REQUEST)
    arrival_date = Day("when the newcomer arrives", example="2026-12-12")
    stay_months = Whole("length of stay, months", minimum=1, maximum=60, example=6)
    household_size = Whole("people to house", minimum=1, example=1)
    areas = ListOf(Text(AREA, length=(1, 40)), "wished areas; empty: any area", example=["wazemmes", "moulins"])
    kind_wanted = Text("what is looked for", choices=WANTED_KINDS, example="any")
    looking_for_roommates = Boolean("the newcomer would team up with other newcomers", example=True)
    expires_at = Moment("when it expires unless renewed (60 days)", example="2027-01-21T09:00:00+00:00")


class RequestExpiredData(EventData):
    request_id = Id("the request (also the `subject`)", example=REQUEST)
    expired_at = Moment("when the expiry was applied", example="2027-01-22T02:31:01+00:00")


class OfferData(EventData):
    offer_id = Id("the offer (also the `subject`)", example=OFFER)
    kind = Text("`room` (in a flatshare) or `whole_flat`", choices=OFFER_KINDS, example="room")
    area = Text(AREA, length=(1, 40), example="wazemmes")
    rent_cents = Whole("monthly rent, cents", example=40000)
    charges_cents = Whole("monthly charges, cents", example=6000)
    currency = Text("currency of the amounts", length=(3, 3), example="EUR")
    available_from = Day("available from", example="2026-12-02")
    available_until = Day("available until; null: open-ended", nullable=True, example=None)
    max_occupants = Whole("how many people it takes", minimum=1, example=1)
    furnished = Boolean("furnished", example=True)


class MatchAcceptedData(EventData):
    match_id = Id("the match (also the `subject`)", example=example_id("housing-match:1"))
    seeker_kind = Text("who seeks: a `request` or a roommate `group`", choices=("request", "group"),
                       example="request")
    offer_id = Id("the offer", example=OFFER)
    accepted_at = Moment("when both sides had said they are interested", example="2026-11-22T09:00:00+00:00")
    request_id = Id("the request, when `seeker_kind` is `request`", required=False, example=REQUEST)
    group_id = Id("the roommate group, when `seeker_kind` is `group`", required=False)

    @validates_schema
    def _the_seekers_id(self, data, **_kwargs):
        wanted = "request_id" if data.get("seeker_kind") == "request" else "group_id"
        if set(data) & {"request_id", "group_id"} != {wanted}:
            raise ValidationError(f"a match of a {data.get('seeker_kind')} carries {wanted} and only it", wanted)


class GroupFormedData(EventData):
    group_id = Id("the group (also the `subject`)", example=example_id("housing-group:1"))
    request_ids = ListOf(Id("a member's request"), "the members' requests (2 to 4)",
                         example=[REQUEST, example_id("housing-request:2")])
    members = Whole("number of requests in the group", minimum=2, example=2)
    household_size = Whole("people in total", minimum=2, example=2)
    formed_at = Moment("when the last member agreed", example="2026-11-22T09:00:00+00:00")


PUBLISHED = publishes(
    SOURCE,
    Contract(REQUEST_PUBLISHED, RequestData, "A newcomer posted or renewed a request.", subject="request_id"),
    Contract(REQUEST_EXPIRED, RequestExpiredData, "A request was not renewed within 60 days.",
             subject="request_id"),
    Contract(OFFER_PUBLISHED, OfferData, "A veilleur reviewed an offer and published it.", subject="offer_id"),
    Contract(MATCH_ACCEPTED, MatchAcceptedData, "Both sides of a match said they are interested.",
             subject="match_id"),
    Contract(GROUP_FORMED, GroupFormedData, "Every member of a proposed roommate group agreed.",
             subject="group_id"),
)


@reads(ACCOUNT_ERASED)
class AccountErasedData(Schema):
    class Meta:
        unknown = EXCLUDE

    account_id = fields.String(required=True)

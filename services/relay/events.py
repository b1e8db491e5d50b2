"""Event types the relay service publishes and consumes, and the contract of each published one's data."""
from marshmallow import EXCLUDE, Schema, fields

from shared.bus.contracts import (
    AccountId,
    ClockTime,
    Contract,
    Day,
    EventData,
    Id,
    ListOf,
    Moment,
    Object,
    Text,
    Whole,
    example_id,
    publishes,
    reads,
)
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

ACCOUNT_ERASED = "identity.account.erased"
CONSUMED = (*SITE_EVENTS, ACCOUNT_ERASED)

# What a basket holds, as a code: events carry it instead of the description a veilleur typed.
BASKET_CATEGORIES = ("vegetables", "fruit", "vegetables_and_fruit", "eggs", "dairy", "bread", "meat", "mixed")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

SITE = example_id("site:la-coroutine")
CONTRACT = example_id("contract:ferme-du-marais/2026")
PRODUCER = example_id("producer:ferme-du-marais")
DISTRIBUTION = example_id("distribution:ferme-du-marais/2026-11-05")
BASKET = example_id("basket:2026-11-05/small")
ACCOUNT = example_id("account:subscriber")
DAY = "2026-11-05"
OPENS, CLOSES = "2026-11-05T17:00:00+00:00", "2026-11-05T19:00:00+00:00"


class BasketKindData(EventData):
    name = Text("its short name in the contract, e.g. `small`", length=(1, 40), example="small")
    price_cents = Whole("price of one basket, cents", example=1200)
    solidarity_price_cents = Whole("price of a solidarity share, cents; null: this kind has none", nullable=True,
                                   example=600)


class ContractCreatedData(EventData):
    contract_id = Id("the season contract (also the `subject`)", example=CONTRACT)
    producer_id = Id("the farmer who delivers", example=PRODUCER)
    site_id = Id("the relay site", example=SITE)
    season_start = Day("first day of the season", example="2026-11-05")
    season_end = Day("last day of the season", example="2026-11-12")
    weekday = Text("the day of the distributions", choices=WEEKDAYS, example="thu")
    window_opens = ClockTime("pickup window opens, site's local time", example="18:00")
    window_closes = ClockTime("pickup window closes, site's local time", example="20:00")
    currency = Text("currency of the prices", choices=("EUR",), example="EUR")
    distributions = Whole("number of distributions scheduled", example=2)
    basket_kinds = ListOf(Object(BasketKindData, "a basket kind"), "the basket kinds and their prices",
                          example=[{"name": "small", "price_cents": 1200, "solidarity_price_cents": 600},
                                   {"name": "large", "price_cents": 2000, "solidarity_price_cents": None}])


class DistributionData(EventData):
    """The fields every `relay.distribution.*` event starts with."""

    distribution_id = Id("the distribution (also the `subject`)", example=DISTRIBUTION)
    contract_id = Id("the season contract it belongs to", example=CONTRACT)
    site_id = Id("where it happens", example=SITE)
    producer_id = Id("the farmer who delivers", example=PRODUCER)
    sequence = Whole("its rank in the season: 0, 1, 2 ... (shared shares alternate on it)", example=0)
    date = Day("local date of the pickup", example=DAY)
    starts_at = Moment("the pickup window opens (UTC)", example=OPENS)
    ends_at = Moment("the pickup window closes (UTC)", example=CLOSES)


class DistributionMovedData(DistributionData):
    previous_date = Day("the local date before the move", example=DAY)
    previous_starts_at = Moment("the window before the move opened (UTC)", example="2026-11-05T16:30:00+00:00")
    previous_ends_at = Moment("the window before the move closed (UTC)", example=CLOSES)


class DistributionCancelledData(DistributionData):
    baskets_cancelled = Whole("baskets that will not be handed out", example=12)


class BasketCountsData(EventData):
    collected = Whole("baskets collected", example=10)
    unclaimed = Whole("baskets nobody collected, given to the grocery", example=1)
    not_delivered = Whole("baskets the delivery did not cover", example=1)
    absent = Whole("baskets of subscribers who said they would be away", example=2)


class DistributionClosedData(DistributionData):
    baskets = Object(BasketCountsData, "counts of basket rows by what became of them")


class DistributionUnstaffedData(DistributionData):
    openers_needed = Whole("openers the contract needs", example=1)
    openers = Whole("openers who signed up", example=0)
    distributors_needed = Whole("distributors the contract needs", example=2)
    distributors = Whole("distributors who signed up", example=1)


class KindDeliveryData(EventData):
    basket_kind = Text("the basket kind's short name", length=(1, 40), example="small")
    expected = Whole("baskets expected (absences excluded)", example=10)
    arrived = Whole("baskets that arrived", example=9)
    shortfall = Whole("baskets missing: max(0, expected - arrived)", example=1)


class DeliveryReceivedData(EventData):
    distribution_id = Id("the distribution (also the `subject`)", example=DISTRIBUTION)
    contract_id = Id("its season contract", example=CONTRACT)
    site_id = Id("where it happens", example=SITE)
    producer_id = Id("the farmer who delivered", example=PRODUCER)
    distribution_date = Day("local date of the pickup", example=DAY)
    kinds = ListOf(Object(KindDeliveryData, "one basket kind"), "per basket kind: expected, arrived, missing")
    shortfall = Whole("baskets missing in all", example=1)


class BasketReadyData(EventData):
    basket_id = Id("the basket (also the `subject`)", example=BASKET)
    distribution_id = Id("the distribution", example=DISTRIBUTION)
    site_id = Id("where it is", example=SITE)
    account_id = AccountId("the subscriber who collects this week (for a shared share, that week's partner)",
                           example=ACCOUNT)
    distribution_date = Day("local date of the pickup", example=DAY)
    basket_kind = Text("the basket kind's short name", length=(1, 40), example="small")
    quantity = Whole("baskets of that kind", minimum=1, example=1)
    starts_at = Moment("the pickup window opens (UTC)", example=OPENS)
    ends_at = Moment("the pickup window closes (UTC)", example=CLOSES)


class BasketCollectedData(EventData):
    basket_id = Id("the basket (also the `subject`)", example=BASKET)
    distribution_id = Id("the distribution", example=DISTRIBUTION)
    site_id = Id("where it was collected", example=SITE)
    account_id = AccountId("the subscriber whose basket it is; null once the account is erased", nullable=True,
                           example=ACCOUNT)
    basket_kind = Text("the basket kind's short name", length=(1, 40), example="small")
    quantity = Whole("baskets handed over (fewer than subscribed when the delivery was short)", example=1)
    collected_via = Text("how it was found: `code` (pickup code), `proxy_code` (one-off proxy code), "
                         "`subscriber` (ticked by name or id), `proxy` (the proxy account)",
                         choices=("code", "proxy_code", "subscriber", "proxy"), example="code")
    collected_at = Moment("when", example="2026-11-05T17:10:00+00:00")


class BasketUnclaimedData(EventData):
    basket_id = Id("the basket (also the `subject`); take the donation in once per basket", example=BASKET)
    distribution_id = Id("the distribution", example=DISTRIBUTION)
    site_id = Id("where the basket is", example=SITE)
    distribution_date = Day("local date of the distribution", example=DAY)
    producer_id = Id("the producer", example=PRODUCER)
    basket_kind = Text("the basket kind's short name in the contract, e.g. `large`", length=(1, 40),
                       example="small")
    category = Text("what the basket holds (set per basket kind in the contract, default `vegetables`)",
                    choices=BASKET_CATEGORIES, example="vegetables")
    quantity = Whole("baskets left: at most what the producer delivered minus what was collected", minimum=1,
                     example=1)


class AbsenceDeclaredData(EventData):
    basket_id = Id("the basket (also the `subject`)", example=BASKET)
    distribution_id = Id("the distribution", example=DISTRIBUTION)
    site_id = Id("where it happens", example=SITE)
    account_id = AccountId("the subscriber who will be away", example=ACCOUNT)
    distribution_date = Day("local date of the pickup", example=DAY)
    starts_at = Moment("the pickup window opens (UTC)", example=OPENS)
    ends_at = Moment("the pickup window closes (UTC)", example=CLOSES)
    basket_kind = Text("the basket kind's short name", length=(1, 40), example="small")
    quantity = Whole("baskets", minimum=1, example=1)
    status = Text("`absent` (not prepared) or `offered` (offered to neighbours waiting for one), as the "
                  "contract says", choices=("absent", "offered"), example="absent")
    absences_used = Whole("absences used on this share this season, this one included", minimum=1, example=1)
    absence_allowance = Whole("absences the contract allows in a season", example=2)


PUBLISHED = publishes(
    SOURCE,
    Contract(CONTRACT_CREATED, ContractCreatedData, "A season contract was created and its distributions "
             "scheduled.", subject="contract_id"),
    Contract(DISTRIBUTION_SCHEDULED, DistributionData, "A distribution of a new contract.",
             subject="distribution_id"),
    Contract(DISTRIBUTION_MOVED, DistributionMovedData, "A veilleur moved a distribution.",
             subject="distribution_id", example={"sequence": 1}),
    Contract(DISTRIBUTION_CANCELLED, DistributionCancelledData, "The producer cannot come.",
             subject="distribution_id"),
    Contract(DISTRIBUTION_CLOSED, DistributionClosedData, "A distribution was closed.",
             subject="distribution_id"),
    Contract(DISTRIBUTION_UNSTAFFED, DistributionUnstaffedData, "A distribution within 48 hours lacks "
             "volunteers.", subject="distribution_id"),
    Contract(DELIVERY_RECEIVED, DeliveryReceivedData, "The producer's drop-off was checked in.",
             subject="distribution_id"),
    Contract(BASKET_READY, BasketReadyData, "A basket is ready to collect.", subject="basket_id"),
    Contract(BASKET_COLLECTED, BasketCollectedData, "A veilleur ticked a basket off.", subject="basket_id"),
    Contract(BASKET_UNCLAIMED, BasketUnclaimedData, "A basket nobody collected goes to the social grocery.",
             subject="basket_id"),
    Contract(BASKET_ABSENCE_DECLARED, AbsenceDeclaredData, "A subscriber will not collect their basket.",
             subject="basket_id"),
)


@reads(ACCOUNT_ERASED)
class AccountErasedData(Schema):
    class Meta:
        unknown = EXCLUDE

    account_id = fields.String(required=True, validate=lambda v: 0 < len(v) <= 64)

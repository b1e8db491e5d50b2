"""Event types the gateway publishes, and the contract of each one's data."""
from shared.bus.contracts import (
    AccountId,
    ClockTime,
    Contract,
    EventData,
    Id,
    ListOf,
    MapOf,
    Object,
    Text,
    Whole,
    example_id,
    publishes,
)

SOURCE = "gateway"
ACCOUNT_ERASED = "identity.account.erased"
SITE_CREATED = "platform.site.created"
SITE_UPDATED = "platform.site.updated"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class OpeningSpanData(EventData):
    opens = ClockTime("opens at, local time", example="09:00")
    closes = ClockTime("closes at, local time (after `opens`)", example="19:00")


class SiteData(EventData):
    site_id = Id("the site (also the `subject`)", example=example_id("site:la-coroutine"))
    slug = Text("short name used in URLs", example="la-coroutine", length=(1, 80))
    name = Text("public name of the place", example="La Coroutine", length=(1, 200))
    address = Text("public address of the place", example="8 rue Molière, 59800 Lille", length=(0, 300))
    timezone = Text("IANA time zone of the place", example="Europe/Paris", length=(1, 64))
    opening_hours = MapOf(
        ListOf(Object(OpeningSpanData, "one span of opening"), "the spans of that day, in order"),
        "per day (`mon` ... `sun`), the spans it is open; a missing day is closed", keys=WEEKDAYS,
        key_name="day",
        example={"mon": [{"opens": "09:00", "closes": "19:00"}], "sat": [{"opens": "10:00", "closes": "18:00"}]})
    version = Whole("grows with each change; ignore an event older than what you have", minimum=1, example=2)


class AccountErasedData(EventData):
    account_id = AccountId("the erased account (also the `subject`)", example=example_id("account:erased"))


PUBLISHED = publishes(
    SOURCE,
    Contract(ACCOUNT_ERASED, AccountErasedData, "A person deleted their account: forget them.",
             subject="account_id"),
    Contract(SITE_CREATED, SiteData, "A place the platform serves was created.", subject="site_id",
             example={"version": 1}),
    Contract(SITE_UPDATED, SiteData, "A place the platform serves was changed.", subject="site_id"),
)

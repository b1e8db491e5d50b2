"""End to end through the gateway: every mutating operation × every role gives the outcome the matrix writes down.

The table is tests/e2e/authorization_matrix.py (rendered in docs/authorization.md). Each cell sends a plausible,
valid request built on fresh resources, so that a refusal can only come from authorization and a missing check
would show as a success.
"""
from __future__ import annotations

import itertools
import re
import time
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property
from pathlib import Path

import pytest
import requests

from services.housing.languages import LANGUAGES
from tests.e2e.authorization_matrix import (
    ADMIN,
    ALLOWED,
    ANONYMOUS,
    FORBIDDEN,
    HIDDEN,
    INVALID_BODIES,
    INVALID_BODY_ROLES,
    MATRIX,
    MEMBER,
    NEIGHBOUR,
    OPERATIONS,
    OWN_ONLY,
    PEOPLE,
    PROGRAM,
    ROLES,
    TABLE_BEGIN,
    TABLE_END,
    UNAUTHENTICATED,
    VEILLEUR,
    invalid_body_expected,
    render_markdown,
)
from tests.support import platform_time

ROOT = Path(__file__).resolve().parents[2]
EMAILS = {NEIGHBOUR: "voisin@coroutine.test", MEMBER: "asso@coroutine.test", VEILLEUR: "veilleur@coroutine.test",
          ADMIN: "admin@coroutine.test"}
PASSWORD = "veilleuse-demo"
THROWAWAY_PASSWORD = "un mot de passe assez long"
HELPER = "helper"  # a throwaway neighbour: the host of housing offers and the partner in roommate groups
MUTATING = ("post", "put", "patch", "delete")
PAID = {"hour": 200, "half_day": 500, "day": 1000, "money_box": False}
FREE = {"hour": 0, "half_day": 0, "day": 0, "money_box": True}
RATES = {"association": FREE, "citizen_group": FREE, "individual": PAID, "public_body": PAID, "company": PAID}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# The test's own site, so that what other tests do to the demo sites (hours, closures, rules) cannot interfere.
SITE_HOURS = {day: [{"opens": "08:00", "closes": "20:00"}] for day in WEEKDAYS}
GROCERY_RULES = {"threshold_cents_per_day": 1000, "access_months": 3, "monthly_caps_cents": [3000, 4500, 6000],
                 "tier_percentages": {"1": 10, "2": 20, "3": 30}, "currency": "EUR"}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def other_person(role: str) -> str:
    """Whose resource a role tries when it is not its own."""
    return MEMBER if role == NEIGHBOUR else NEIGHBOUR


@dataclass
class Call:
    method: str
    path: str
    json: object = None
    headers: dict | None = None  # instead of the role's own credentials (throwaway accounts)


class World:
    """Callers and the resources the requests need, made through the API as the right role."""

    def __init__(self, system):
        self.system = system
        self.requests_sent = 0
        self.credentials: dict[str, dict] = {ANONYMOUS: {}}
        for role, email in EMAILS.items():
            self.credentials[role] = self.bearer(system.token(email))
        self.accounts = {role: self.ok(role, "GET", "/api/accounts/me") for role in PEOPLE}
        key = self.ok(ADMIN, "POST", "/api/api-keys", {"name": "Matrice des autorisations", "roles": []})
        self.credentials[PROGRAM] = self.bearer(key["key"])
        helper, self.credentials[HELPER] = self.new_account("hote")
        self.helper_id = helper["id"]
        self._slots = self._open_slots(platform_time.days_ahead(14), range(9, 19))
        self._series_slots = self._open_slots(platform_time.days_ahead(21), range(9, 19), days=5)
        self._nights = (platform_time.days_ahead(120 + n) for n in itertools.count())

    # -- HTTP ------------------------------------------------------------------------------------------
    @staticmethod
    def bearer(secret: str) -> dict:
        return {"Authorization": f"Bearer {secret}"}

    def send(self, who, method: str, path: str, json=None) -> requests.Response:
        self.requests_sent += 1
        headers = who if isinstance(who, dict) else self.credentials[who]
        return requests.request(method, self.system.url(path), json=json, headers=headers, timeout=30)

    def ok(self, who, method: str, path: str, json=None):
        """A set-up step: it must succeed."""
        response = self.send(who, method, path, json)
        assert 200 <= response.status_code < 300, \
            f"set-up {method} {path} as {who if isinstance(who, str) else 'throwaway'}: " \
            f"{response.status_code} {response.text[:500]}"
        return response.json() if response.content else None

    def eventually_ok(self, who, method: str, path: str, json=None, timeout: float = 30):
        """A set-up step on the test's site, which each service learns from the bus a moment after it is made."""
        deadline = time.monotonic() + timeout
        response = self.send(who, method, path, json)
        while response.status_code in (404, 409, 422) and time.monotonic() < deadline:
            time.sleep(0.2)
            response = self.send(who, method, path, json)
        assert 200 <= response.status_code < 300, \
            f"set-up {method} {path} as {who}: {response.status_code} {response.text[:500]}"
        return response.json() if response.content else None

    def new_account(self, name: str, **admin_changes) -> tuple[dict, dict]:
        email = f"{unique(name)}@example.test"
        account = self.ok(ANONYMOUS, "POST", "/api/accounts",
                          {"email": email, "password": THROWAWAY_PASSWORD, "display_name": name})
        if admin_changes:
            self.ok(ADMIN, "PATCH", f"/api/accounts/{account['id']}", admin_changes)
        return account, self.bearer(self.system.token(email, THROWAWAY_PASSWORD))

    def throwaway_like(self, role: str) -> dict:
        """Credentials of a new account with the roles and organisation of `role`'s demo account."""
        demo = self.accounts[role]
        organisation = demo.get("organisation") or {}
        changes = {"roles": demo["roles"]}
        if organisation:
            changes["organisation_id"] = organisation["id"]
        return self.new_account("partant", **changes)[1]

    # -- gateway -------------------------------------------------------------------------------------------
    @property
    def association_id(self) -> str:
        return self.accounts[MEMBER]["organisation"]["id"]

    @cached_property
    def other_organisation_id(self) -> str:
        return self.ok(ADMIN, "POST", "/api/organisations", {"name": unique("Autre collectif"),
                                                              "kind": "association"})["id"]

    @cached_property
    def spare_account_id(self) -> str:
        return self.new_account("rechange")[0]["id"]

    @cached_property
    def site(self) -> dict:
        return self.ok(ADMIN, "POST", "/api/sites", {"slug": unique("lieu"), "name": "Lieu de la matrice",
                                                      "address": "Lille", "opening_hours": SITE_HOURS})

    @property
    def slug(self) -> str:
        return self.site["slug"]

    # -- booking -------------------------------------------------------------------------------------------
    @staticmethod
    def _open_slots(start: date, hours, days=None):
        """Hour-long slots on the days from `start` that the test's site is open then, by SITE_HOURS."""
        day_numbers = itertools.count() if days is None else range(days + 2)
        for offset in day_numbers:
            day = start + timedelta(days=offset)
            for hour in hours:
                starts = platform_time.paris(day, hour)
                if platform_time.is_open(SITE_HOURS, day, f"{hour:02d}:00", f"{hour + 1:02d}:00"):
                    yield starts.isoformat(), (starts + timedelta(hours=1)).isoformat()

    def new_room(self, name: str = "Salle") -> dict:
        return self.eventually_ok(ADMIN, "POST", "/api/booking/rooms", {"site": self.slug, "name": unique(name),
                                                                        "capacity": 12, "rates": RATES})

    @cached_property
    def room(self) -> dict:
        return self.new_room("Salle de la matrice")

    @cached_property
    def series_room(self) -> dict:
        return self.new_room("Salle des séries")

    def reservation_body(self) -> dict:
        starts_at, ends_at = next(self._slots)
        return {"room": self.room["id"], "starts_at": starts_at, "ends_at": ends_at, "attendees": 3,
                "title": "Réunion", "public": False}

    def reservation(self, owner: str) -> dict:
        """A fresh reservation: requested for the association member, confirmed for a person without one."""
        return self.ok(owner, "POST", "/api/booking/reservations", self.reservation_body())

    def series_body(self) -> dict:
        starts_at, ends_at = next(self._series_slots)
        return {"room": self.series_room["id"], "starts_at": starts_at, "ends_at": ends_at, "attendees": 3,
                "recurrence": {"frequency": "weekly", "count": 2}}

    def series(self, owner: str) -> dict:
        return self.ok(owner, "POST", "/api/booking/reservation-series", self.series_body())["series"]

    def closure_body(self) -> dict:
        night = next(self._nights)
        # From midnight: an hour that exists every night, daylight-saving changes included.
        starts = platform_time.paris(night, 0)
        self.room  # noqa: B018 - the booking service knows the site
        return {"site": self.slug, "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=1)).isoformat(), "reason": "travaux"}

    # -- relay ---------------------------------------------------------------------------------------------
    @cached_property
    def producer(self) -> dict:
        return self.ok(VEILLEUR, "POST", "/api/relay/producers", self.producer_body())

    @staticmethod
    def producer_body() -> dict:
        return {"name": "Ferme de la matrice", "contact": "03 20 00 00 01", "produce": "légumes"}

    def contract_body(self, weeks: int, days_ahead: int = 8) -> dict:
        start = platform_time.days_ahead(days_ahead)
        return {"producer_id": self.producer["id"], "site": self.slug, "name": unique("Légumes"),
                "weekday": WEEKDAYS[start.weekday()], "window_opens": "18:00", "window_closes": "20:00",
                "season_start": start.isoformat(), "season_end": (start + timedelta(weeks=weeks - 1)).isoformat(),
                "basket_kinds": [{"name": "small", "description": "Petit panier", "price_cents": 1200}],
                "absence_allowance": 2}

    def distributions_of(self, contract: dict) -> list[dict]:
        return self.ok(ANONYMOUS, "GET", f"/api/relay/distributions?contract={contract['id']}")

    @cached_property
    def open_contract(self) -> dict:
        """Nobody has a share yet: each person takes one. The first contract: the relay may still learn the site."""
        return self.eventually_ok(VEILLEUR, "POST", "/api/relay/contracts", self.contract_body(weeks=2))

    @cached_property
    def _staff_distributions(self):
        """One distribution per change a veilleur makes; the helper holds a basket in each."""
        self.open_contract  # noqa: B018 - the relay knows the site
        contract = self.ok(VEILLEUR, "POST", "/api/relay/contracts", self.contract_body(weeks=40))
        self.ok(HELPER, "POST", f"/api/relay/contracts/{contract['id']}/subscriptions", {"basket_kind": "small"})
        return iter(self.distributions_of(contract))

    def staff_distribution(self) -> dict:
        return next(self._staff_distributions)

    @cached_property
    def basket_contract(self) -> dict:
        """Every person holds a share, so everyone has baskets of their own."""
        self.open_contract  # noqa: B018 - the relay knows the site
        contract = self.ok(VEILLEUR, "POST", "/api/relay/contracts", self.contract_body(weeks=20))
        for role in PEOPLE:
            self.ok(role, "POST", f"/api/relay/contracts/{contract['id']}/subscriptions", {"basket_kind": "small"})
        return contract

    @cached_property
    def _baskets(self) -> dict:
        contract_id = self.basket_contract["id"]
        found = {}
        for role in PEOPLE:
            mine = [b for b in self.ok(role, "GET", "/api/relay/baskets?mine=true")
                    if b["contract_id"] == contract_id and b["account_id"] == self.accounts[role]["id"]]
            found[role] = iter(sorted(mine, key=lambda b: b["starts_at"]))
        return found

    def basket(self, owner: str) -> dict:
        return next(self._baskets[owner])

    @cached_property
    def roster_distributions(self) -> tuple[str, str]:
        first, second = self.distributions_of(self.basket_contract)[:2]
        return first["id"], second["id"]

    # -- grocery -------------------------------------------------------------------------------------------
    @cached_property
    def rules(self) -> dict:
        """The grocery rules of the test's site, set once the grocery knows the site."""
        self.eventually_ok(ADMIN, "PUT", f"/api/grocery/sites/{self.slug}/rules", GROCERY_RULES)
        return GROCERY_RULES

    def household_body(self) -> dict:
        self.rules  # noqa: B018
        return {"site": self.slug, "referrer_organisation": "CCAS de Lille", "household_size": 2,
                "monthly_resources_cents": 110_000, "fixed_charges_cents": 65_000}

    @cached_property
    def household(self) -> dict:
        return self.ok(VEILLEUR, "POST", "/api/grocery/households", self.household_body())

    def product_body(self) -> dict:
        self.rules  # noqa: B018
        return {"site": self.slug, "name": unique("Riz"), "category": "épicerie", "unit": "piece",
                "retail_price_cents": 250, "tier": "1"}

    @cached_property
    def product(self) -> dict:
        return self.ok(ADMIN, "POST", "/api/grocery/products", self.product_body())

    @cached_property
    def lot(self) -> dict:
        return self.ok(VEILLEUR, "POST", "/api/grocery/lots", {"product_id": self.product["id"], "quantity": 100,
                                                               "source": "purchase", "storage_place": "réserve"})

    # -- housing -------------------------------------------------------------------------------------------
    # Far ahead and cheap, so that these requests and offers match one another and never crowd the rankings
    # of other tests' requests and offers (budget and dates are hard filters).
    @staticmethod
    def request_body(**overrides) -> dict:
        body = {"arrival_date": platform_time.days_ahead(300).isoformat(), "stay_months": 6,
                "max_budget_cents": 10_000, "areas": ["wazemmes"], "languages": ["fr", "es"], "hours": "quiet",
                "about": "J'arrive pour mes études.", "contact_email": "contact@example.test"}
        return {**body, **overrides}

    @staticmethod
    def offer_body() -> dict:
        return {"kind": "room", "rent_cents": 6_000, "charges_cents": 1_000, "deposit_cents": 6_000,
                "available_from": platform_time.days_ahead(295).isoformat(), "area": "wazemmes",
                "max_occupants": 1, "furnished": True, "languages": ["fr", "es"], "hours": "quiet",
                "house_rules": "Calme après 22 h.", "contact_email": "hote@example.test"}

    def housing_request(self, owner: str) -> dict:
        return self.ok(owner, "POST", "/api/housing/requests", self.request_body())

    def offer(self, owner: str) -> dict:
        return self.ok(owner, "POST", "/api/housing/offers", self.offer_body())

    def published_offer(self) -> dict:
        offer = self.offer(HELPER)
        return self.ok(VEILLEUR, "POST", f"/api/housing/offers/{offer['id']}/publish")

    @cached_property
    def match_offer(self) -> dict:
        """The helper's published room: every fresh request matches it."""
        return self.published_offer()

    def match_path(self, owner: str, action: str, interested_first: bool = False) -> str:
        request = self.housing_request(owner)
        path = f"/api/housing/matches/{request['id']}/{self.match_offer['id']}"
        if interested_first:
            self.ok(owner, "POST", f"{path}/interest")
        return f"{path}/{action}"

    @cached_property
    def _groups(self) -> dict:
        """Roommate groups of two: a person's request and the helper's, in a language nobody else speaks."""
        wanted = {NEIGHBOUR: 12, MEMBER: 4, VEILLEUR: 2, ADMIN: 2}
        languages = iter(sorted(LANGUAGES)[::-1])
        pairs = []
        for role, count in wanted.items():
            for _ in range(count):
                language = next(languages)
                body = self.request_body(languages=[language], areas=["fives"], max_roommates=1)
                mine = self.ok(role, "POST", "/api/housing/requests", body)
                self.ok(HELPER, "POST", "/api/housing/requests", body)
                pairs.append((role, mine["id"]))
        self.ok(VEILLEUR, "POST", "/api/housing/groups/proposals")
        groups = {role: [] for role in wanted}
        for role, request_id in pairs:
            groups[role].append(self.ok(role, "GET", f"/api/housing/requests/{request_id}/group")["id"])
        return {role: iter(ids) for role, ids in groups.items()}

    def group(self, owner: str) -> str:
        return next(self._groups[owner])


# -- one request per operation: scenario(world, role, owner) -> Call -------------------------------------
SCENARIOS = {}


def scenario(method: str, path: str):
    def register(build):
        SCENARIOS[(method, path)] = build
        return build
    return register


@scenario("POST", "/api/auth/token")
def _sign_in(w, role, owner):
    return Call("POST", "/api/auth/token", {"email": EMAILS[NEIGHBOUR], "password": PASSWORD})


@scenario("POST", "/api/accounts")
def _sign_up(w, role, owner):
    return Call("POST", "/api/accounts", {"email": f"{unique('inscrit')}@example.test",
                                          "password": THROWAWAY_PASSWORD, "display_name": "Inscrit"})


@scenario("PATCH", "/api/accounts/me")
def _change_me(w, role, owner):
    return Call("PATCH", "/api/accounts/me", {"language": "fr"})  # what the demo accounts already have


@scenario("DELETE", "/api/accounts/me")
def _erase_me(w, role, owner):
    # Never the demo accounts: a throwaway account with the same roles and organisation.
    return Call("DELETE", "/api/accounts/me", headers=w.throwaway_like(role) if role in PEOPLE else None)


def link_token(w, path: str, kind: str) -> str:
    """A fresh single-use token from a real mail: a throwaway account asks, the test's SMTP server receives."""
    account, credentials = w.new_account(kind)
    if path == "/password-reset":
        w.ok(ANONYMOUS, "POST", "/api/auth/password-reset", {"email": account["email"]})
    mails = w.system.mailbox.wait_for(lambda m: account["email"] in m.recipients and f"{path}?token=" in m.text)
    assert mails, f"no {path} mail reached {account['email']}"
    return re.search(rf"{re.escape(path)}\?token=([\w-]+)", mails[-1].text).group(1)


@scenario("POST", "/api/auth/password-reset")
def _reset_asked(w, role, owner):
    return Call("POST", "/api/auth/password-reset", {"email": f"{unique('oubli')}@example.test"})


@scenario("POST", "/api/auth/password-reset/confirm")
def _reset(w, role, owner):
    return Call("POST", "/api/auth/password-reset/confirm",
                {"token": link_token(w, "/password-reset", "oubli"), "password": "un tout nouveau secret"})


@scenario("POST", "/api/auth/email-confirmation")
def _confirmation_asked(w, role, owner):
    return Call("POST", "/api/auth/email-confirmation")


@scenario("POST", "/api/auth/email-confirmation/confirm")
def _confirm(w, role, owner):
    return Call("POST", "/api/auth/email-confirmation/confirm", {"token": link_token(w, "/confirm-email", "inscrit")})


@scenario("PATCH", "/api/accounts/me/notifications")
def _preferences(w, role, owner):
    return Call("PATCH", "/api/accounts/me/notifications", {"topics": {"amap": True}})


@scenario("PATCH", "/api/accounts/{account_id}")
def _administer(w, role, owner):
    return Call("PATCH", f"/api/accounts/{w.spare_account_id}", {"roles": ["neighbour"]})


@scenario("POST", "/api/organisations")
def _organisation(w, role, owner):
    return Call("POST", "/api/organisations", {"name": unique("Collectif"), "kind": "association"})


@scenario("POST", "/api/api-keys")
def _api_key(w, role, owner):
    return Call("POST", "/api/api-keys", {"name": unique("programme"), "roles": []})


@scenario("DELETE", "/api/api-keys/{key_id}")
def _revoke(w, role, owner):
    key = w.ok(ADMIN, "POST", "/api/api-keys", {"name": unique("à révoquer"), "roles": []})
    return Call("DELETE", f"/api/api-keys/{key['id']}")


@scenario("POST", "/api/sites")
def _new_site(w, role, owner):
    return Call("POST", "/api/sites", {"slug": unique("lieu"), "name": "Nouveau lieu", "address": "Roubaix"})


@scenario("PATCH", "/api/sites/{site_ref}")
def _change_site(w, role, owner):
    return Call("PATCH", f"/api/sites/{w.site['id']}", {"description": "Un lieu du test des autorisations."})


@scenario("POST", "/api/booking/rooms")
def _new_room(w, role, owner):
    w.room  # noqa: B018 - the booking service knows the site
    return Call("POST", "/api/booking/rooms", {"site": w.slug, "name": unique("Atelier"), "capacity": 6})


@scenario("PATCH", "/api/booking/rooms/{room_id}")
def _change_room(w, role, owner):
    return Call("PATCH", f"/api/booking/rooms/{w.room['id']}", {"accessibility": "Plain-pied."})


@scenario("POST", "/api/booking/rooms/{room_id}/retire")
def _retire_room(w, role, owner):
    return Call("POST", f"/api/booking/rooms/{w.new_room('À retirer')['id']}/retire")


@scenario("POST", "/api/booking/reservations")
def _reserve(w, role, owner):
    return Call("POST", "/api/booking/reservations", w.reservation_body())


@scenario("POST", "/api/booking/reservations/{reservation_id}/confirm")
def _confirm(w, role, owner):
    return Call("POST", f"/api/booking/reservations/{w.reservation(MEMBER)['id']}/confirm")


@scenario("POST", "/api/booking/reservations/{reservation_id}/decline")
def _decline(w, role, owner):
    return Call("POST", f"/api/booking/reservations/{w.reservation(MEMBER)['id']}/decline",
                {"reason": "La salle est prise par un atelier."})


@scenario("POST", "/api/booking/reservations/{reservation_id}/cancel")
def _cancel(w, role, owner):
    return Call("POST", f"/api/booking/reservations/{w.reservation(owner)['id']}/cancel")


@scenario("POST", "/api/booking/reservations/{reservation_id}/price")
def _price(w, role, owner):
    return Call("POST", f"/api/booking/reservations/{w.reservation(NEIGHBOUR)['id']}/price",
                {"price_cents": 0, "reason": "Atelier solidaire"})


@scenario("POST", "/api/booking/reservations/{reservation_id}/contribution")
def _contribution(w, role, owner):
    return Call("POST", f"/api/booking/reservations/{w.reservation(MEMBER)['id']}/contribution",
                {"amount_cents": 500})


@scenario("POST", "/api/booking/reservation-series")
def _series(w, role, owner):
    return Call("POST", "/api/booking/reservation-series", w.series_body())


@scenario("POST", "/api/booking/reservation-series/{series_id}/cancel")
def _cancel_series(w, role, owner):
    return Call("POST", f"/api/booking/reservation-series/{w.series(owner)['id']}/cancel", {})


@scenario("POST", "/api/booking/closures")
def _closure(w, role, owner):
    return Call("POST", "/api/booking/closures", w.closure_body())


@scenario("DELETE", "/api/booking/closures/{closure_id}")
def _remove_closure(w, role, owner):
    closure = w.ok(VEILLEUR, "POST", "/api/booking/closures", w.closure_body())
    return Call("DELETE", f"/api/booking/closures/{closure['id']}")


@scenario("POST", "/api/booking/calendars/organisations/{organisation_id}/token")
def _feed_token(w, role, owner):
    organisation = w.other_organisation_id if role == MEMBER and owner != MEMBER else w.association_id
    return Call("POST", f"/api/booking/calendars/organisations/{organisation}/token")


@scenario("POST", "/api/relay/producers")
def _producer(w, role, owner):
    return Call("POST", "/api/relay/producers", w.producer_body())


@scenario("PATCH", "/api/relay/producers/{producer_id}")
def _change_producer(w, role, owner):
    return Call("PATCH", f"/api/relay/producers/{w.producer['id']}", {"produce": "légumes, pommes"})


@scenario("POST", "/api/relay/contracts")
def _contract(w, role, owner):
    w.open_contract  # noqa: B018 - the relay knows the site
    return Call("POST", "/api/relay/contracts", w.contract_body(weeks=2))


@scenario("POST", "/api/relay/contracts/{contract_id}/subscriptions")
def _subscribe(w, role, owner):
    return Call("POST", f"/api/relay/contracts/{w.open_contract['id']}/subscriptions", {"basket_kind": "small"})


@scenario("POST", "/api/relay/distributions/{distribution_id}/move")
def _move(w, role, owner):
    return Call("POST", f"/api/relay/distributions/{w.staff_distribution()['id']}/move", {"window_opens": "17:30"})


@scenario("POST", "/api/relay/distributions/{distribution_id}/cancel")
def _cancel_distribution(w, role, owner):
    return Call("POST", f"/api/relay/distributions/{w.staff_distribution()['id']}/cancel")


@scenario("POST", "/api/relay/distributions/{distribution_id}/delivery")
def _delivery(w, role, owner):
    return Call("POST", f"/api/relay/distributions/{w.staff_distribution()['id']}/delivery",
                {"arrived": {"small": 1}})


@scenario("POST", "/api/relay/distributions/{distribution_id}/collections")
def _collect(w, role, owner):
    return Call("POST", f"/api/relay/distributions/{w.staff_distribution()['id']}/collections",
                {"account_id": w.helper_id})


@scenario("POST", "/api/relay/distributions/{distribution_id}/close")
def _close(w, role, owner):
    return Call("POST", f"/api/relay/distributions/{w.staff_distribution()['id']}/close")


@scenario("POST", "/api/relay/distributions/{distribution_id}/roster")
def _sign_up_roster(w, role, owner):
    return Call("POST", f"/api/relay/distributions/{w.roster_distributions[0]}/roster", {"role": "opener"})


@scenario("DELETE", "/api/relay/distributions/{distribution_id}/roster/{role}")
def _withdraw_roster(w, role, owner):
    distribution = w.roster_distributions[1]
    if role in PEOPLE:
        w.ok(role, "POST", f"/api/relay/distributions/{distribution}/roster", {"role": "distributor"})
    return Call("DELETE", f"/api/relay/distributions/{distribution}/roster/distributor")


@scenario("POST", "/api/relay/baskets/{basket_id}/absence")
def _absence(w, role, owner):
    return Call("POST", f"/api/relay/baskets/{w.basket(owner)['id']}/absence")


@scenario("POST", "/api/relay/baskets/{basket_id}/proxy")
def _proxy(w, role, owner):
    return Call("POST", f"/api/relay/baskets/{w.basket(owner)['id']}/proxy", {})


@scenario("DELETE", "/api/relay/baskets/{basket_id}/proxy")
def _withdraw_proxy(w, role, owner):
    basket = w.basket(owner)
    w.ok(owner, "POST", f"/api/relay/baskets/{basket['id']}/proxy", {})
    return Call("DELETE", f"/api/relay/baskets/{basket['id']}/proxy")


@scenario("PUT", "/api/grocery/sites/{site}/rules")
def _rules(w, role, owner):
    return Call("PUT", f"/api/grocery/sites/{w.slug}/rules", w.rules)  # the rules it already has


@scenario("POST", "/api/grocery/sites/{site}/daily-check")
def _daily_check(w, role, owner):
    w.rules  # noqa: B018 - the grocery knows the site
    return Call("POST", f"/api/grocery/sites/{w.slug}/daily-check", {"days": 2})


@scenario("POST", "/api/grocery/households")
def _household(w, role, owner):
    return Call("POST", "/api/grocery/households", w.household_body())


@scenario("POST", "/api/grocery/households/{household_id}/renew")
def _renew_household(w, role, owner):
    return Call("POST", f"/api/grocery/households/{w.household['id']}/renew", {})


@scenario("POST", "/api/grocery/households/{household_id}/end")
def _end_household(w, role, owner):
    # A household of its own for each caller: ending one twice is a 409, not an authorization answer.
    household = w.ok(VEILLEUR, "POST", "/api/grocery/households", w.household_body())
    return Call("POST", f"/api/grocery/households/{household['id']}/end")


@scenario("POST", "/api/grocery/products")
def _product(w, role, owner):
    return Call("POST", "/api/grocery/products", w.product_body())


@scenario("PATCH", "/api/grocery/products/{product_id}")
def _change_product(w, role, owner):
    return Call("PATCH", f"/api/grocery/products/{w.product['id']}", {"category": "épicerie sèche"})


@scenario("POST", "/api/grocery/lots")
def _lot(w, role, owner):
    return Call("POST", "/api/grocery/lots", {"product_id": w.product["id"], "quantity": 5, "source": "purchase"})


@scenario("POST", "/api/grocery/lots/{lot_id}/movements")
def _movement(w, role, owner):
    return Call("POST", f"/api/grocery/lots/{w.lot['id']}/movements", {"kind": "loss", "quantity": 1,
                                                                        "reason": "paquet déchiré"})


@scenario("POST", "/api/grocery/sales")
def _sale(w, role, owner):
    w.lot  # noqa: B018 - stock to sell from
    return Call("POST", "/api/grocery/sales", {"site": w.slug, "kind": "shop", "payment_method": "cash",
                                               "lines": [{"product_id": w.product["id"], "quantity": 1}]})


@scenario("POST", "/api/housing/requests")
def _request(w, role, owner):
    return Call("POST", "/api/housing/requests", w.request_body())


@scenario("PATCH", "/api/housing/requests/{request_id}")
def _change_request(w, role, owner):
    return Call("PATCH", f"/api/housing/requests/{w.housing_request(owner)['id']}", {"stay_months": 7})


@scenario("DELETE", "/api/housing/requests/{request_id}")
def _delete_request(w, role, owner):
    return Call("DELETE", f"/api/housing/requests/{w.housing_request(owner)['id']}")


@scenario("POST", "/api/housing/requests/{request_id}/renew")
def _renew_request(w, role, owner):
    return Call("POST", f"/api/housing/requests/{w.housing_request(owner)['id']}/renew")


@scenario("POST", "/api/housing/offers")
def _new_offer(w, role, owner):
    return Call("POST", "/api/housing/offers", w.offer_body())


@scenario("PATCH", "/api/housing/offers/{offer_id}")
def _change_offer(w, role, owner):
    return Call("PATCH", f"/api/housing/offers/{w.offer(owner)['id']}", {"rent_cents": 41_000})


@scenario("DELETE", "/api/housing/offers/{offer_id}")
def _delete_offer(w, role, owner):
    return Call("DELETE", f"/api/housing/offers/{w.offer(owner)['id']}")


@scenario("POST", "/api/housing/offers/{offer_id}/publish")
def _publish(w, role, owner):
    return Call("POST", f"/api/housing/offers/{w.offer(HELPER)['id']}/publish")


@scenario("POST", "/api/housing/offers/{offer_id}/reject")
def _reject(w, role, owner):
    return Call("POST", f"/api/housing/offers/{w.offer(HELPER)['id']}/reject", {"reason": "Il manque les photos."})


@scenario("POST", "/api/housing/offers/{offer_id}/reports")
def _report(w, role, owner):
    return Call("POST", f"/api/housing/offers/{w.published_offer()['id']}/reports", {"reason": "scam"})


@scenario("POST", "/api/housing/matches/{seeker_id}/{offer_id}/interest")
def _interest(w, role, owner):
    return Call("POST", w.match_path(owner, "interest"))


@scenario("POST", "/api/housing/matches/{seeker_id}/{offer_id}/decline")
def _decline_match(w, role, owner):
    return Call("POST", w.match_path(owner, "decline"))


@scenario("POST", "/api/housing/matches/{seeker_id}/{offer_id}/withdraw")
def _withdraw_match(w, role, owner):
    return Call("POST", w.match_path(owner, "withdraw", interested_first=True))


@scenario("POST", "/api/housing/matches/{seeker_id}/{offer_id}/messages")
def _message(w, role, owner):
    return Call("POST", w.match_path(owner, "messages"), {"body": "Bonjour, la chambre est-elle libre ?"})


@scenario("POST", "/api/housing/groups/proposals")
def _proposals(w, role, owner):
    return Call("POST", "/api/housing/groups/proposals")


@scenario("POST", "/api/housing/groups/{group_id}/agree")
def _agree(w, role, owner):
    return Call("POST", f"/api/housing/groups/{w.group(owner)}/agree")


@scenario("POST", "/api/housing/groups/{group_id}/decline")
def _leave(w, role, owner):
    return Call("POST", f"/api/housing/groups/{w.group(owner)}/decline")


# -- the tests -----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def world(system):
    made = World(system)
    yield made
    print(f"\nauthorization matrix: {made.requests_sent} requests through the gateway")


def cases():
    for operation in OPERATIONS:
        for role in ROLES:
            cell = operation.cells[role]
            marks = [pytest.mark.xfail(strict=True, reason=f"known defect: {cell.actual} instead of {cell.expected}"
                                       f" ({cell.reason})")] if cell.defect else []
            yield pytest.param(operation.method, operation.path, role, marks=marks,
                               id=f"{operation.method} {operation.path} as {role}")


def run(w: World, role: str, call: Call) -> requests.Response:
    return w.send(call.headers if call.headers is not None else role, call.method, call.path, call.json)


def describe(role: str, call: Call, response: requests.Response) -> str:
    return f"{call.method} {call.path} as {role}: {response.status_code} {response.text[:300]}"


def assert_outcome(expected: str, role: str, call: Call, response: requests.Response) -> None:
    status = response.status_code
    if expected == ALLOWED:
        assert 200 <= status < 300, f"expected allowed (2xx): {describe(role, call, response)}"
    elif expected == UNAUTHENTICATED:
        assert status == 401, f"expected 401: {describe(role, call, response)}"
    elif expected == FORBIDDEN:
        assert status == 403, f"expected 403: {describe(role, call, response)}"
    elif expected == HIDDEN:
        assert status == 404, f"expected 404 (hidden): {describe(role, call, response)}"
    else:
        raise AssertionError(f"unknown outcome {expected!r}")
    if status >= 400:
        assert response.headers["Content-Type"].startswith("application/problem+json")


@pytest.mark.parametrize("method,path,role", list(cases()))
def test_each_role_gets_the_outcome_the_matrix_writes_down(world, method, path, role):
    cell = MATRIX[(method, path)].cells[role]
    build = SCENARIOS[(method, path)]
    if cell.expected == OWN_ONLY:
        own = build(world, role, role)
        assert_outcome(ALLOWED, role, own, run(world, role, own))
        others = build(world, role, other_person(role))
        assert_outcome(cell.others, role, others, run(world, role, others))
    else:
        call = build(world, role, other_person(role))
        assert_outcome(cell.expected, role, call, run(world, role, call))


def invalid_body_cases():
    for operation in OPERATIONS:
        for role in INVALID_BODY_ROLES:
            expected = invalid_body_expected(operation, role)
            if expected:
                yield pytest.param(operation.method, operation.path, role, expected,
                                   id=f"{operation.method} {operation.path} as {role}, invalid body")


SERVICE_PATHS = ("/api/booking", "/api/relay", "/api/grocery", "/api/housing")


@pytest.mark.parametrize("method,path,role,expected", list(invalid_body_cases()))
def test_a_refused_caller_is_refused_the_same_way_whatever_the_body(world, method, path, role, expected):
    """The request of the cell to the left, with a body that is invalid or not even JSON.

    The neighbour's on the same fresh resources; the anonymous caller's on any id, since a service refuses an
    anonymous change before it looks for the resource (the scenarios' resources are counted)."""
    if role == ANONYMOUS and path.startswith(SERVICE_PATHS):
        call = Call(method, re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path))
    else:
        call = SCENARIOS[(method, path)](world, role, other_person(role))
    headers = call.headers if call.headers is not None else world.credentials[role]
    for label, body in INVALID_BODIES.items():
        world.requests_sent += 1
        response = requests.request(call.method, world.system.url(call.path), data=body, timeout=30,
                                    headers={**headers, "Content-Type": "application/json"})
        assert_outcome(expected, role, Call(call.method, call.path, body), response)


def mutating_operations(spec: dict) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, operations in spec["paths"].items()
            for method in operations if method in MUTATING}


def test_every_mutating_operation_of_the_merged_openapi_is_in_the_matrix(system):
    spec = requests.get(system.url("/api/openapi.json"), timeout=30).json()
    assert "x-unavailable-services" not in spec["info"], "a service was missing from the merged document"
    published = mutating_operations(spec)
    missing = sorted(published - set(MATRIX))
    assert not missing, f"add these operations to tests/e2e/authorization_matrix.py: {missing}"
    gone = sorted(set(MATRIX) - published)
    assert not gone, f"these operations of the matrix no longer exist: {gone}"
    assert set(SCENARIOS) == set(MATRIX), "every operation of the matrix needs a scenario"


def test_bad_or_revoked_credentials_are_a_401_on_every_operation_that_needs_a_caller(world):
    revoked = world.ok(ADMIN, "POST", "/api/api-keys", {"name": unique("révoquée"), "roles": ["veilleur"]})
    world.ok(ADMIN, "DELETE", f"/api/api-keys/{revoked['id']}")
    bad = {"bad token": World.bearer("pas-un-jeton"), "revoked key": World.bearer(revoked["key"]),
           "malformed header": {"Authorization": "Basic dm9pc2luOnZlaWxsZXVzZQ=="}}
    checked = 0
    for operation in OPERATIONS:
        if operation.cells[ANONYMOUS].expected == ALLOWED:
            continue  # public: the credentials are in the body, the header is not looked at
        if operation.path.startswith(("/api/booking", "/api/relay", "/api/grocery", "/api/housing")):
            # The gateway refuses before forwarding: any id will do.
            call = Call(operation.method, re.sub(r"\{[^}]+\}", str(uuid.uuid4()), operation.path), {})
        else:
            call = SCENARIOS[operation.key](world, ADMIN, NEIGHBOUR)
        for label, headers in bad.items():
            response = world.send(headers, call.method, call.path, call.json)
            assert response.status_code == 401, f"{label}: {describe('nobody', call, response)}"
            assert response.headers["Content-Type"].startswith("application/problem+json")
            checked += 1
    assert checked == 3 * sum(1 for o in OPERATIONS if o.cells[ANONYMOUS].expected != ALLOWED)


def test_the_documentation_shows_the_matrix_the_tests_check():
    doc = (ROOT / "docs" / "authorization.md").read_text(encoding="utf-8")
    assert TABLE_BEGIN in doc and TABLE_END in doc
    shown = doc.split(TABLE_BEGIN, 1)[1].split(TABLE_END, 1)[0].strip()
    assert shown == render_markdown().strip(), \
        "docs/authorization.md is out of date: regenerate it with `python -m tests.e2e.authorization_matrix`"

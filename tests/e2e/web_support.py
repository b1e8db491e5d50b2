"""Browser helpers for the end-to-end page tests: Debian's Chromium driven by Playwright, axe-core checks."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

from shared.config import ROOT

CHROMIUM = "/usr/bin/chromium"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
BLOCKING_IMPACTS = ("serious", "critical")
# Longer than a story that makes a distribution for today and then reads today's pages, with room to spare.
STORY_LENGTH = timedelta(minutes=10)
# The three ways every story runs: French, English, and French on a 375 px wide phone.
VARIANTS = {
    "fr": {"lang": "fr", "viewport": {"width": 1280, "height": 900}},
    "en": {"lang": "en", "viewport": {"width": 1280, "height": 900}},
    "fr-375px": {"lang": "fr", "viewport": {"width": 375, "height": 740}},
}


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


@dataclass
class Person:
    """One person in one browser context; every page visited is checked with axe-core."""

    page: object
    base_url: str
    lang: str
    width: int
    checked: list = field(default_factory=list)
    speaking: str = "fr"   # pages speak French until the person uses the switch

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def goto(self, path: str) -> None:
        response = self.page.goto(self.url(path))
        assert response is not None and response.status < 500, (path, response and response.status)
        self.check()

    def check(self) -> None:
        """axe-core finds no serious or critical violation; the page fits the screen; it speaks our language."""
        page = self.page
        page.wait_for_load_state("domcontentloaded")
        assert page.evaluate("document.documentElement.lang") == self.speaking, page.url
        if page.evaluate("typeof window.axe") == "undefined":
            page.add_script_tag(path=str(AXE))
        violations = page.evaluate("""async () => {
            const result = await axe.run(document, {resultTypes: ['violations']});
            return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                                 targets: v.nodes.map(n => n.target.join(' '))}));
        }""")
        blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
        assert blocking == [], f"{page.url}: {blocking}"
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= self.width, f"{page.url} is {overflow}px wide on a {self.width}px screen"
        self.checked.append(page.url)

    def click(self, name: str, role: str = "button") -> None:
        self.page.get_by_role(role, name=name, exact=True).first.click()
        self.check()

    def field(self, label: str):
        """The field named `label`, "(required)" or not."""
        return self.page.get_by_label(re.compile(rf"^{re.escape(label)}( \(.*\))?$"))

    def fill(self, label: str, value: str) -> None:
        self.field(label).fill(value)

    def text(self) -> str:
        return " ".join(self.page.inner_text("main").split())

    def field_error(self, label: str) -> str:
        """The message shown next to the field (linked by aria-describedby)."""
        field = self.field(label)
        assert field.get_attribute("aria-invalid") == "true"
        ids = field.get_attribute("aria-describedby").split()
        return " ".join(self.page.locator(f"#{i}").inner_text() for i in ids if i.endswith("-error"))

    def use_language(self) -> None:
        """Pick the page language with the switch in the header when the story runs in English."""
        if self.lang != "fr":
            self.page.get_by_role("button", name="English").click()
            self.speaking = self.lang
        self.check()

    def sign_in(self, email: str, password: str = "veilleuse-demo") -> None:
        self.goto("/signin")
        self.fill(T[self.lang]["email"], email)
        self.fill(T[self.lang]["password"], password)
        self.page.locator("main form button[type=submit]").click()
        self.check()


# What a person reads, in each language; the tests look for these words.
T = {
    "fr": {"email": "Adresse e-mail", "password": "Mot de passe", "name": "Nom affiché aux autres",
           "sign_up": "Créer mon compte", "hours": "Horaires d'ouverture", "monday": "Lundi de 09:00 à 19:00",
           "rooms": "Salles", "short_password": "Utilisez au moins 10 caractères.", "ready": "Votre compte est prêt.",
           "my_account": "Mon compte", "language": "Langue des pages", "save": "Enregistrer",
           "confirm_delete": "Je veux supprimer mon compte", "delete": "Supprimer mon compte",
           "deleted": "Votre compte est supprimé", "wrong": "L'adresse e-mail ou le mot de passe n'est pas correct.",
           "add_room": "Ajouter une salle", "place": "Lieu", "room_name": "Nom", "capacity": "Capacité (personnes)",
           "created_room": "La salle Atelier {} est créée.", "retire": "Retirer Atelier {}", "retired": "retirée",
           "per_hour_company": "À l'heure", "key_name": "Nom du programme", "create_key": "Créer la clé",
           "shown_once": "elle n'est affichée qu'une fois", "revoke": "Révoquer Programme {}",
           "revoked": "révoquée le", "people": "10 personnes", "capacity_error": "Indiquez un nombre entre 1 et 1000."},
    "en": {"email": "E-mail address", "password": "Password", "name": "Name shown to others",
           "sign_up": "Create my account", "hours": "Opening hours", "monday": "Monday 09:00 to 19:00",
           "rooms": "Rooms", "short_password": "Use at least 10 characters.", "ready": "Your account is ready.",
           "my_account": "My account", "language": "Language of the pages", "save": "Save",
           "confirm_delete": "I want to delete my account", "delete": "Delete my account",
           "deleted": "Your account is deleted", "wrong": "The e-mail or the password is not right.",
           "add_room": "Add a room", "place": "Place", "room_name": "Name", "capacity": "Capacity (people)",
           "created_room": "The room Atelier {} is created.", "retire": "Retire Atelier {}", "retired": "retired",
           "per_hour_company": "Per hour", "key_name": "Name of the program", "create_key": "Create the key",
           "shown_once": "it is shown only once", "revoke": "Revoke Programme {}",
           "revoked": "revoked on", "people": "10 people", "capacity_error": "Give a number from 1 to 1000."},
}


def todays_distribution(post, staff: dict, neighbour: dict, site: str = "la-coroutine",
                        producer_name: str = "Ferme des tests") -> dict:
    """A distribution open all day today at `site`, with the neighbour's small basket waiting.

    `post(path, body, headers) -> (status, json)` calls the gateway's API. Baskets are made only for
    distributions still to come, so the contract starts tomorrow and its one distribution is then moved
    to today. Less than STORY_LENGTH before midnight, it waits for the next day: the story that shows
    "today's" distribution must not see the day change.
    """
    from tests.support.platform_time import platform_today

    today = platform_today(lasting=STORY_LENGTH)
    tomorrow = today + timedelta(days=1)
    status, producer = post("/api/relay/producers", {"name": producer_name}, staff)
    assert status == 201, producer
    status, contract = post("/api/relay/contracts", {
        "producer_id": producer["id"], "site": site, "name": f"{producer_name}, {today}",
        "weekday": ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[tomorrow.weekday()],
        "window_opens": "18:00", "window_closes": "20:00", "season_start": tomorrow.isoformat(),
        "season_end": tomorrow.isoformat(), "absence_allowance": 1, "absence_cutoff_hours": 0,
        "basket_kinds": [{"name": "small", "price_cents": 1200}, {"name": "large", "price_cents": 2000}]}, staff)
    assert status == 201, contract
    status, share = post(f"/api/relay/contracts/{contract['id']}/subscriptions",
                         {"basket_kind": "small", "display_name": "Sam"}, neighbour)
    assert status == 201, share
    status, distributions = post(f"/api/relay/distributions?contract={contract['id']}", None, None)
    assert status == 200 and len(distributions) == 1, distributions
    status, moved = post(f"/api/relay/distributions/{distributions[0]['id']}/move",
                         {"date": today.isoformat(), "window_opens": "00:00", "window_closes": "23:59"}, staff)
    assert status == 200, moved
    return moved


def grocery_household(post, staff: dict, admin: dict, site: str = "la-coroutine",
                      product_name: str = "Colis de fêtes") -> tuple[str, dict]:
    """An eligible one-person household (cap 30 €) and a 'Colis' worth 60 € at solidarity price.

    Returns the card number and the product. `post(path, body, headers) -> (status, json)`.
    """
    status, household = post("/api/grocery/households", {
        "site": site, "referrer_organisation": "CCAS de Lille", "household_size": 1,
        "monthly_resources_cents": 60000, "fixed_charges_cents": 40000}, staff)
    assert status == 201 and household["status"] == "eligible", household
    status, product = post("/api/grocery/products", {
        "site": site, "name": product_name, "category": "épicerie", "unit": "piece",
        "retail_price_cents": 20000, "tier": "3"}, admin)
    assert status == 201, product
    status, lot = post("/api/grocery/lots", {"product_id": product["id"], "quantity": 5, "source": "purchase"},
                       staff)
    assert status == 201, lot
    return household["card_number"], product


def requests_post(base_url: str):
    """`post(path, body, headers) -> (status, json)` over HTTP; a None body makes a GET."""
    import requests

    def post(path, body, headers):
        if body is None:
            response = requests.get(base_url + path, headers=headers or {}, timeout=10)
        else:
            response = requests.post(base_url + path, json=body, headers=headers or {}, timeout=10)
        return response.status_code, response.json()
    return post

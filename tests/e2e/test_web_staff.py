"""Staff stories in Chromium, axe-core on every page: the AMAP coordinator sets up a season and runs a desk; the
grocery referent sets up a new place's grocery. French at 1280 and 375 px, and English by the switch."""
import re
import time
from datetime import timedelta

import pytest
import requests

from tests.e2e.web_support import VARIANTS, Person, requests_post
from tests.support.platform_time import weekday_ahead


@pytest.fixture(params=list(VARIANTS))
def person(request, browser, system):
    variant = VARIANTS[request.param]
    context = browser.new_context(viewport=variant["viewport"], bypass_csp=True, locale=variant["lang"])
    page = context.new_page()
    page.set_default_timeout(15000)
    yield Person(page, system.base_url, variant["lang"], variant["viewport"]["width"])
    context.close()


AMAP = {
    "fr": {"amap": "Contrats et producteurs AMAP", "producers": "Producteurs", "add_producer": "Ajouter un producteur",
           "farm": "Nom de la ferme", "save": "Enregistrer", "required": "Ce champ est obligatoire.",
           "registered": "Le producteur {} est enregistré.", "back": "Retour aux contrats AMAP",
           "new_contract": "Nouveau contrat de saison", "producer": "Producteur", "contract_name": "Nom du contrat",
           "preview": "Voir les dates", "will_be_made": "3 distributions seront créées",
           "create": "Créer le contrat et ses distributions",
           "created": "Le contrat {} est créé avec ses 3 distributions.",
           "move": "Déplacer la distribution", "moved": "La distribution est déplacée",
           "cancel_link": "Annuler la distribution", "cancel": "Oui, annuler cette distribution",
           "cancelled": "est annulée ; ses abonnés sont prévenus.", "open_desk": "Ouvrir l'accueil de {}",
           "counter": "{} paniers récupérés sur 2", "find": "Chercher par nom", "handed": "Panier remis à Sam.",
           "sheet": "Feuille d'émargement à imprimer", "sheet_title": "Feuille d'émargement",
           "close": "Clore la distribution…", "waiting": "1 panier attend encore",
           "confirm": "Oui, clore la distribution",
           "closed": "La distribution est close ; 1 panier(s) non récupéré(s)"},
    "en": {"amap": "AMAP contracts and producers", "producers": "Producers", "add_producer": "Add a producer",
           "farm": "Farm name", "save": "Save", "required": "This field is required.",
           "registered": "The producer {} is registered.", "back": "Back to the AMAP contracts",
           "new_contract": "New season contract", "producer": "Producer", "contract_name": "Name of the contract",
           "preview": "See the dates", "will_be_made": "3 distributions will be made",
           "create": "Create the contract and its distributions", "created": "The contract {} is created with its 3 "
           "distributions.", "move": "Move the distribution", "moved": "The distribution is moved to",
           "cancel_link": "Cancel the distribution", "cancel": "Yes, cancel this distribution",
           "cancelled": "is cancelled; its subscribers are told.", "open_desk": "Open the desk of {}",
           "counter": "{} of 2 baskets collected", "find": "Find by name", "handed": "Basket handed over to Sam.",
           "sheet": "Printable sign-in sheet", "sheet_title": "Sign-in sheet", "close": "Close the distribution…",
           "waiting": "1 basket is still waiting", "confirm": "Yes, close the distribution",
           "closed": "The distribution is closed; 1 uncollected baskets go to the social grocery."},
}


def test_a_coordinator_sets_up_a_season_and_runs_a_distribution_desk(person, request, system):
    t = AMAP[person.lang]
    suffix = request.node.callspec.id
    producer, contract_name = f"Ferme {suffix}", f"Saison {suffix}"
    # Thursdays far enough ahead that the baskets are still to come; each variant its own weeks.
    first = weekday_ahead(3, 2 + 5 * list(VARIANTS).index(suffix))
    holiday, last = first + timedelta(weeks=2), first + timedelta(weeks=3)

    person.goto("/")
    person.use_language()
    person.sign_in("veilleur@coroutine.test")
    person.goto("/veilleur?site=la-coroutine")
    person.click(t["amap"], role="link")
    person.click(t["producers"], role="link")
    person.click(t["add_producer"], role="link")
    person.click(t["save"])
    assert t["required"] in person.field_error(t["farm"])
    person.fill(t["farm"], producer)
    person.click(t["save"])
    assert t["registered"].format(producer) in person.text()

    person.click(t["back"], role="link")
    person.click(t["new_contract"], role="link")
    person.field(t["producer"]).select_option(label=producer)
    person.fill(t["contract_name"], contract_name)
    page = person.page
    page.locator("#f-kinds-0-name").fill("petit")
    page.locator("#f-kinds-0-price").fill("12")
    page.locator("#f-kinds-0-solidarity_price").fill("6")
    page.locator("#f-kinds-1-name").fill("grand")
    page.locator("#f-kinds-1-price").fill("20,50")
    page.locator("#f-weekday").select_option("thu")
    page.locator("#f-window_opens").fill("18:00")
    page.locator("#f-window_closes").fill("20:00")
    page.locator("#f-season_start").fill(first.isoformat())
    page.locator("#f-season_end").fill(last.isoformat())
    page.locator("#f-skip_dates").fill(holiday.strftime("%d/%m/%Y"))
    person.click(t["preview"])
    assert t["will_be_made"] in person.text()
    person.click(t["create"])
    assert t["created"].format(contract_name) in person.text()
    contract_id = page.url.rstrip("/").rsplit("/", 1)[-1]

    # Neighbours take their shares by the API (their own story is elsewhere): Sam and Dominique.
    post = requests_post(system.base_url)
    for email, name in (("voisin@coroutine.test", "Sam"), ("asso@coroutine.test", "Dominique")):
        status, share = post(f"/api/relay/contracts/{contract_id}/subscriptions",
                             {"basket_kind": "petit", "display_name": name}, system.auth(email))
        assert status == 201, share
    baskets = requests.get(system.url("/api/relay/baskets"), params={"mine": "true"}, timeout=10,
                           headers=system.auth("voisin@coroutine.test")).json()
    code = next(b["pickup_code"] for b in baskets if b["contract_id"] == contract_id
                and b["distribution_date"] == first.isoformat())

    # The last distribution moves to the Friday; the second is cancelled (the producer cannot come).
    page.get_by_role("link", name=re.compile(re.escape(t["move"]))).last.click()
    person.check()
    page.locator("#f-date").fill((last + timedelta(days=1)).isoformat())
    person.click(t["move"])
    assert t["moved"] in person.text()
    page.get_by_role("link", name=re.compile(re.escape(t["cancel_link"]))).nth(1).click()
    person.check()
    person.click(t["cancel"])
    assert t["cancelled"] in person.text()

    # The desk of that day (not today), on a tablet or a phone.
    person.goto(f"/veilleur/distributions?site=la-coroutine&day={first.isoformat()}")
    person.click(t["open_desk"].format(producer), role="link")
    assert t["counter"].format(0) in person.text()
    page.get_by_label(t["find"]).fill("dom")
    assert page.locator("tbody tr[data-name]:visible").count() == 1
    assert "Dominique" in page.locator("tbody tr[data-name]:visible").inner_text()
    page.get_by_label(t["find"]).fill("")
    # The code field has the focus when the desk opens: the volunteer types the code and presses Enter.
    page.locator("#f-code").focus()
    page.keyboard.type(code.lower())
    with page.expect_navigation():
        page.keyboard.press("Enter")
    person.check()
    assert t["handed"] in person.text() and t["counter"].format(1) in person.text()
    desk = page.url.removeprefix(system.base_url)

    person.click(t["sheet"], role="link")
    assert t["sheet_title"] in person.text() and "Dominique" in person.text() and code not in person.text()
    # Printed, every sheet of the day takes its own A4 page (the demo contract may deliver that day too).
    person.goto(f"/veilleur/sheets?site=la-coroutine&day={first.isoformat()}")
    sheets = page.locator("section.sheet").count()
    pdf = page.pdf(format="A4")
    assert sheets >= 1 and len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) == sheets
    person.goto(desk)
    person.click(t["close"], role="link")
    assert t["waiting"] in person.text()
    person.click(t["confirm"])
    assert t["closed"] in person.text()
    assert len(person.checked) >= 20


GROCERY = {
    "fr": {"no_rules": "Cette épicerie n'a pas encore de règles", "set_rules": "Fixer les règles",
           "threshold": "Seuil (euros par personne et par jour)", "save_rules": "Enregistrer les règles",
           "required": "Ce champ est obligatoire.", "months": "Durée de l'accès (mois)",
           "rules_saved": "Éligible sous 10,00 € par personne et par jour, pour 3 mois.",
           "products": "Produits et prix", "add_product": "Ajouter un produit", "product_name": "Nom du produit",
           "category": "Catégorie", "price": "Prix public (euros par unité)", "tier": "Palier solidaire",
           "save": "Enregistrer", "solidarity": "palier 1 : 0,25 €", "receive": "Réceptionner {}",
           "quantity": "Quantité reçue", "take": "Entrer en stock", "in_stock": "20 pièces de {} sont en stock.",
           "referrer": "Service social qui oriente", "size": "Personnes dans le foyer",
           "resources": "Ressources mensuelles (euros)", "charges": "Charges fixes mensuelles (euros)",
           "register": "Inscrire et calculer", "eligible": "Inscrit et éligible : carte",
           "renew": "Renouveler l'accès", "renewed": "Renouvelé : accès jusqu'au", "cap": "plafond mensuel 45,00 €",
           "households": "Retour aux foyers", "card": "Numéro de carte", "search": "Chercher", "found": "1 foyer"},
    "en": {"no_rules": "This grocery has no rules yet", "set_rules": "Set the rules",
           "threshold": "Threshold (euros per person per day)", "save_rules": "Save the rules",
           "required": "This field is required.", "months": "Access period (months)",
           "rules_saved": "Eligible under €10.00 per person per day, for 3 months.",
           "products": "Products and prices", "add_product": "Add a product", "product_name": "Name of the product",
           "category": "Category", "price": "Retail price (euros per unit)", "tier": "Solidarity tier",
           "save": "Save", "solidarity": "tier 1: €0.25", "receive": "Receive {}", "quantity": "Quantity received",
           "take": "Take into stock", "in_stock": "20 pieces of {} are in stock.",
           "referrer": "Referring social service", "size": "People in the household",
           "resources": "Monthly resources (euros)", "charges": "Monthly fixed charges (euros)",
           "register": "Register and judge", "eligible": "Registered and eligible: card",
           "renew": "Renew the access", "renewed": "Renewed: access until", "cap": "monthly cap €45.00",
           "households": "Back to the households", "card": "Card number", "search": "Search", "found": "1 household"},
}


def new_place(system, suffix: str) -> str:
    """A place of its own for the story (other stories sell at La Coroutine under its rules)."""
    slug = f"epicerie-{suffix}-{int(time.time())}"
    created = requests.post(system.url("/api/sites"), headers=system.auth("admin@coroutine.test"), timeout=10,
                            json={"slug": slug, "name": f"Épicerie {suffix}", "address": "1 rue du Test, Lille",
                                  "timezone": "Europe/Paris", "opening_hours": {}})
    assert created.status_code == 201, created.text
    for _ in range(120):  # the grocery learns the place from the bus
        if any(s["slug"] == slug for s in requests.get(system.url("/api/grocery/sites"), timeout=10).json()):
            return slug
        time.sleep(0.25)
    raise AssertionError(f"the grocery never heard of {slug}")


def test_a_referent_sets_up_the_grocery_of_a_new_place_and_renews_a_household(person, request, system):
    t = GROCERY[person.lang]
    suffix = request.node.callspec.id
    slug, product = new_place(system, suffix), f"Riz {suffix}"

    person.goto("/")
    person.use_language()
    person.sign_in("admin@coroutine.test")
    person.goto(f"/veilleur/grocery?site={slug}")
    assert t["no_rules"] in person.text()
    person.click(t["set_rules"], role="link")
    person.fill(t["months"], "3")
    person.click(t["save_rules"])
    assert t["required"] in person.field_error(t["threshold"])
    person.fill(t["threshold"], "10")
    page = person.page
    page.locator("#f-caps-0").fill("30")
    page.locator("#f-caps-1").fill("45")
    page.locator("#f-tiers-0-name").fill("1")
    page.locator("#f-tiers-0-percentage").fill("10")
    page.locator("#f-tiers-1-name").fill("2")
    page.locator("#f-tiers-1-percentage").fill("30")
    person.click(t["save_rules"])
    assert t["rules_saved"] in person.text()

    person.click(t["products"], role="link")
    person.click(t["add_product"], role="link")
    person.fill(t["product_name"], product)
    person.fill(t["category"], "épicerie")
    person.fill(t["price"], "2,50")
    person.field(t["tier"]).select_option("1")
    person.click(t["save"])
    assert t["solidarity"] in person.text()
    person.click(t["receive"].format(product), role="link")
    person.fill(t["quantity"], "20")
    person.click(t["take"])
    assert t["in_stock"].format(product) in person.text()

    person.goto(f"/veilleur/households/new?site={slug}")
    person.fill(t["referrer"], "CCAS de Lille")
    person.fill(t["size"], "1")
    person.fill(t["resources"], "600")
    person.fill(t["charges"], "400")
    person.click(t["register"])
    assert t["eligible"] in person.text()
    card = re.search(r"EPI-[A-Z0-9]{4}-[A-Z0-9]{4}", person.text()).group(0)
    person.fill(t["size"], "2")
    person.click(t["renew"])
    assert t["renewed"] in person.text() and t["cap"] in person.text()

    person.click(t["households"], role="link")
    person.fill(t["card"], card[-4:].lower())
    person.click(t["search"])
    assert t["found"] in person.text() and card in person.text()
    assert len(person.checked) >= 14
